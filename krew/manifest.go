// Package krew renders the krew plugin manifest (netpol.yaml, a template) for a release and checks
// a rendered manifest and its archives against krew's rules. krew's own validator lives in a
// module the Go proxy does not serve to this project, so the rules are restated here from krew's
// documentation: each is tested on its own in manifest_test.go.
package krew

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/version"
	"sigs.k8s.io/yaml"
)

// PluginName is the name users type: kubectl netpol, krew install netpol.
const PluginName = "netpol"

//go:embed netpol.yaml
var manifestTemplate string

// Platform is one release archive as the manifest lists it.
type Platform struct {
	OS, Arch string
	URI      string // where users download the archive from
	SHA256   string
	Bin      string // the executable's path inside the archive
}

// Render writes the manifest for version and platforms.
func Render(w io.Writer, version string, platforms []Platform) error {
	tmpl, err := template.New("netpol.yaml").Option("missingkey=error").Parse(manifestTemplate)
	if err != nil {
		return err
	}
	return tmpl.Execute(w, struct {
		Version   string
		Platforms []Platform
	}{version, platforms})
}

// The parts of krew's Plugin type (v1alpha2) that validation looks at.
type manifest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string             `json:"version"`
		ShortDescription string             `json:"shortDescription"`
		Description      string             `json:"description"`
		Platforms        []manifestPlatform `json:"platforms"`
	} `json:"spec"`
}

type manifestPlatform struct {
	Selector *metav1.LabelSelector `json:"selector"`
	URI      string                `json:"uri"`
	SHA256   string                `json:"sha256"`
	Bin      string                `json:"bin"`
	Files    []struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"files"`
}

// The os/arch pairs krew runs on; each must be matched by at most one platform.
var knownPlatforms = [][2]string{
	{"darwin", "amd64"}, {"darwin", "arm64"}, {"linux", "amd64"}, {"linux", "arm"}, {"linux", "arm64"},
	{"linux", "ppc64le"}, {"linux", "s390x"}, {"windows", "amd64"}, {"windows", "arm64"},
}

var (
	safeName  = regexp.MustCompile(`^[\w-]+$`)
	validHash = regexp.MustCompile(`^[a-f0-9]{64}$`)
)

// Validate checks the manifest at manifestPath, and each archive it names (looked up by file
// name in archiveDir): the checksum, the bin inside it, and a LICENSE file. It returns every
// problem found, joined.
func Validate(manifestPath, archiveDir string) error {
	data, err := os.ReadFile(manifestPath)
	if err != nil {
		return err
	}
	var m manifest
	if err := yaml.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("%s: %w", manifestPath, err)
	}
	var errs []error
	fail := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	if m.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" {
		fail("apiVersion is %q, krew reads krew.googlecontainertools.github.com/v1alpha2", m.APIVersion)
	}
	if m.Kind != "Plugin" {
		fail("kind is %q, must be Plugin", m.Kind)
	}
	fileName := strings.TrimSuffix(filepath.Base(manifestPath), ".yaml")
	if m.Metadata.Name != fileName {
		fail("metadata.name %q must equal the file name %q", m.Metadata.Name, fileName)
	}
	if !safeName.MatchString(m.Metadata.Name) {
		fail("plugin name %q must match %s", m.Metadata.Name, safeName)
	}
	if m.Spec.ShortDescription == "" || strings.ContainsAny(m.Spec.ShortDescription, "\r\n") {
		fail("shortDescription must be set and on one line")
	}
	if strings.TrimSpace(m.Spec.Description) == "" {
		fail("description must be set")
	}
	if !strings.HasPrefix(m.Spec.Version, "v") {
		fail("version %q must be a semantic version with a leading v", m.Spec.Version)
	} else if _, err := version.ParseSemantic(m.Spec.Version); err != nil {
		fail("version %q: %v", m.Spec.Version, err)
	}
	if len(m.Spec.Platforms) == 0 {
		fail("no platforms")
	}
	selectors := make([]labels.Selector, len(m.Spec.Platforms))
	for i, p := range m.Spec.Platforms {
		where := fmt.Sprintf("platforms[%d]", i)
		sel, err := validateSelector(p.Selector)
		if err != nil {
			fail("%s: %v", where, err)
		}
		selectors[i] = sel
		if p.URI == "" || !(strings.HasSuffix(p.URI, ".tar.gz") || strings.HasSuffix(p.URI, ".zip")) {
			fail("%s: uri %q must name a .tar.gz or .zip archive", where, p.URI)
		}
		if !validHash.MatchString(p.SHA256) {
			fail("%s: sha256 %q must be 64 lowercase hex digits", where, p.SHA256)
		}
		if p.Bin == "" {
			fail("%s: bin must be set", where)
		}
		if p.Files != nil && len(p.Files) == 0 {
			fail("%s: files must be left out or non-empty", where)
		}
		for _, f := range p.Files {
			if f.From == "" || f.To == "" {
				fail("%s: every files entry needs from and to", where)
			}
		}
		if sel != nil && sel.Matches(labels.Set{"os": "windows", "arch": "amd64"}) && !strings.HasSuffix(p.Bin, ".exe") {
			fail("%s: bin %q runs on Windows and must end in .exe", where, p.Bin)
		}
		if p.URI != "" && archiveDir != "" {
			if err := checkArchive(filepath.Join(archiveDir, path.Base(p.URI)), p.SHA256, p.Bin); err != nil {
				fail("%s: %v", where, err)
			}
		}
	}
	for _, osArch := range knownPlatforms {
		set := labels.Set{"os": osArch[0], "arch": osArch[1]}
		var matching []int
		for i, sel := range selectors {
			if sel != nil && sel.Matches(set) {
				matching = append(matching, i)
			}
		}
		if len(matching) > 1 {
			fail("%s/%s is matched by more than one platform: %v", osArch[0], osArch[1], matching)
		}
	}
	return errors.Join(errs...)
}

func validateSelector(sel *metav1.LabelSelector) (labels.Selector, error) {
	if sel == nil || (len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0) {
		return nil, errors.New("selector must be set and not empty")
	}
	for k := range sel.MatchLabels {
		if k != "os" && k != "arch" {
			return nil, fmt.Errorf("selector key %q: krew knows only os and arch", k)
		}
	}
	for _, e := range sel.MatchExpressions {
		if e.Key != "os" && e.Key != "arch" {
			return nil, fmt.Errorf("selector key %q: krew knows only os and arch", e.Key)
		}
	}
	return metav1.LabelSelectorAsSelector(sel)
}

// checkArchive verifies the checksum and that the archive holds bin and a LICENSE file.
func checkArchive(archive, wantSHA, bin string) error {
	data, err := os.ReadFile(archive)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != wantSHA {
		return fmt.Errorf("%s: sha256 is %s, the manifest says %s", filepath.Base(archive), got, wantSHA)
	}
	names, err := archiveFiles(archive)
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(archive), err)
	}
	var errs []error
	if !names[path.Clean(bin)] {
		errs = append(errs, fmt.Errorf("%s has no file %q (bin)", filepath.Base(archive), bin))
	}
	if !names["LICENSE"] {
		errs = append(errs, fmt.Errorf("%s has no LICENSE file", filepath.Base(archive)))
	}
	return errors.Join(errs...)
}

// archiveFiles lists the regular files of a .tar.gz or .zip archive.
func archiveFiles(archive string) (map[string]bool, error) {
	names := map[string]bool{}
	if strings.HasSuffix(archive, ".zip") {
		r, err := zip.OpenReader(archive)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		for _, f := range r.File {
			if !f.FileInfo().IsDir() {
				names[path.Clean(f.Name)] = true
			}
		}
		return names, nil
	}
	f, err := os.Open(archive)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names, nil
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg {
			names[path.Clean(h.Name)] = true
		}
	}
}
