package krew

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// writeArchive makes a .tar.gz holding the named files and returns its sha256.
func writeArchive(t *testing.T, path string, names ...string) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o755, Size: 2, Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte("x\n")); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:])
}

// validRelease writes archives for linux/amd64 and windows/amd64 and the manifest Render gives
// for them, as a generic map that each case below breaks in one place.
func validRelease(t *testing.T, dir string) map[string]any {
	t.Helper()
	linuxSum := writeArchive(t, filepath.Join(dir, "l.tar.gz"), "kubectl-netpol", "LICENSE")
	winSum := writeArchive(t, filepath.Join(dir, "w.tar.gz"), "kubectl-netpol.exe", "LICENSE")
	var buf bytes.Buffer
	err := Render(&buf, "v1.2.3", []Platform{
		{OS: "linux", Arch: "amd64", URI: "https://example.invalid/l.tar.gz", SHA256: linuxSum, Bin: "kubectl-netpol"},
		{OS: "windows", Arch: "amd64", URI: "https://example.invalid/w.tar.gz", SHA256: winSum, Bin: "kubectl-netpol.exe"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatalf("rendered manifest is not YAML: %v\n%s", err, buf.String())
	}
	return m
}

func writeManifest(t *testing.T, path string, m map[string]any) {
	t.Helper()
	data, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func platforms(m map[string]any) []any { return m["spec"].(map[string]any)["platforms"].([]any) }
func platform(m map[string]any, i int) map[string]any {
	return platforms(m)[i].(map[string]any)
}

func TestValidateAcceptsRenderedManifest(t *testing.T) {
	dir := t.TempDir()
	writeManifest(t, filepath.Join(dir, "netpol.yaml"), validRelease(t, dir))
	if err := Validate(filepath.Join(dir, "netpol.yaml"), dir); err != nil {
		t.Fatalf("valid manifest rejected: %v", err)
	}
}

// Each of krew's rules, broken once.
func TestValidateRejects(t *testing.T) {
	cases := []struct {
		name     string
		file     string // manifest file name; netpol.yaml unless set
		breakIt  func(t *testing.T, dir string, m map[string]any)
		wantText string
	}{
		{"name differs from file name", "kubectl-netpol.yaml", func(*testing.T, string, map[string]any) {}, `must equal the file name "kubectl-netpol"`},
		{"wrong apiVersion", "", func(_ *testing.T, _ string, m map[string]any) {
			m["apiVersion"] = "krew.googlecontainertools.github.com/v1alpha1"
		}, "apiVersion"},
		{"wrong kind", "", func(_ *testing.T, _ string, m map[string]any) { m["kind"] = "Plugins" }, "kind"},
		{"version without v", "", func(_ *testing.T, _ string, m map[string]any) { m["spec"].(map[string]any)["version"] = "1.2.3" }, "leading v"},
		{"version not semver", "", func(_ *testing.T, _ string, m map[string]any) { m["spec"].(map[string]any)["version"] = "v1.2" }, `version "v1.2"`},
		{"short description on two lines", "", func(_ *testing.T, _ string, m map[string]any) {
			m["spec"].(map[string]any)["shortDescription"] = "one\ntwo"
		}, "shortDescription"},
		{"no platforms", "", func(_ *testing.T, _ string, m map[string]any) { m["spec"].(map[string]any)["platforms"] = []any{} }, "no platforms"},
		{"two platforms for linux/amd64", "", func(_ *testing.T, _ string, m map[string]any) {
			platform(m, 1)["selector"] = map[string]any{"matchLabels": map[string]any{"os": "linux"}}
			platform(m, 1)["bin"] = "kubectl-netpol"
		}, "linux/amd64 is matched by more than one platform"},
		{"selector key krew does not know", "", func(_ *testing.T, _ string, m map[string]any) {
			platform(m, 0)["selector"] = map[string]any{"matchLabels": map[string]any{"os": "linux", "cpu": "amd64"}}
		}, `selector key "cpu"`},
		{"empty selector", "", func(_ *testing.T, _ string, m map[string]any) { platform(m, 0)["selector"] = map[string]any{} }, "selector must be set"},
		{"sha256 not hex", "", func(_ *testing.T, _ string, m map[string]any) { platform(m, 0)["sha256"] = strings.Repeat("Z", 64) }, "64 lowercase hex"},
		{"sha256 of another file", "", func(_ *testing.T, _ string, m map[string]any) { platform(m, 0)["sha256"] = strings.Repeat("a", 64) }, "the manifest says"},
		{"bin not in archive", "", func(t *testing.T, dir string, m map[string]any) {
			platform(m, 0)["sha256"] = writeArchive(t, filepath.Join(dir, "l.tar.gz"), "other", "LICENSE")
		}, `no file "kubectl-netpol"`},
		{"no LICENSE in archive", "", func(t *testing.T, dir string, m map[string]any) {
			platform(m, 0)["sha256"] = writeArchive(t, filepath.Join(dir, "l.tar.gz"), "kubectl-netpol")
		}, "no LICENSE"},
		{"windows bin without .exe", "", func(t *testing.T, dir string, m map[string]any) {
			platform(m, 1)["bin"] = "kubectl-netpol"
			platform(m, 1)["sha256"] = writeArchive(t, filepath.Join(dir, "w.tar.gz"), "kubectl-netpol", "LICENSE")
		}, "must end in .exe"},
		{"uri not an archive", "", func(_ *testing.T, _ string, m map[string]any) {
			platform(m, 0)["uri"] = "https://example.invalid/l.exe"
		}, ".tar.gz or .zip"},
		{"empty files list", "", func(_ *testing.T, _ string, m map[string]any) { platform(m, 0)["files"] = []any{} }, "files must be left out or non-empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			m := validRelease(t, dir)
			tc.breakIt(t, dir, m)
			file := tc.file
			if file == "" {
				file = "netpol.yaml"
			}
			writeManifest(t, filepath.Join(dir, file), m)
			err := Validate(filepath.Join(dir, file), dir)
			if err == nil || !strings.Contains(err.Error(), tc.wantText) {
				t.Fatalf("got %v, want an error containing %q", err, tc.wantText)
			}
		})
	}
}

// The release as `hack/dist` writes it, for this machine's platform: what it writes must pass
// krew's rules, with checksums and archive contents checked here independently of Validate.
// One native build: the six cross-compiles of a real release run in `make dist` (and once in
// CI, .ci/run), which checks the full manifest against the same rules; hack/dist's own test
// holds the platform list.
func TestReleaseArchivesAndManifest(t *testing.T) {
	if testing.Short() {
		t.Skip("integration tier skipped under -short: it builds the plugin")
	}
	out := t.TempDir()
	native := runtime.GOOS + "/" + runtime.GOARCH
	cmd := exec.Command("go", "run", "./hack/dist", "-version", "v1.2.3", "-commit", "abc1234", "-out", out, "-platforms", native)
	cmd.Dir = ".."
	if output, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hack/dist: %v\n%s", err, output)
	}
	manifestPath := filepath.Join(out, "netpol.yaml")
	if err := Validate(manifestPath, out); err != nil {
		t.Fatalf("release manifest breaks krew's rules: %v", err)
	}

	var m struct {
		Metadata struct{ Name string }
		Spec     struct {
			Version   string
			Platforms []struct {
				Selector         struct{ MatchLabels map[string]string }
				URI, SHA256, Bin string
			}
		}
	}
	data, err := os.ReadFile(manifestPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if m.Metadata.Name != "netpol" || m.Spec.Version != "v1.2.3" {
		t.Errorf("name %q version %q, want netpol v1.2.3", m.Metadata.Name, m.Spec.Version)
	}
	var got []string
	for _, p := range m.Spec.Platforms {
		osArch := p.Selector.MatchLabels["os"] + "/" + p.Selector.MatchLabels["arch"]
		got = append(got, osArch)
		archive := filepath.Join(out, filepath.Base(p.URI))
		raw, err := os.ReadFile(archive)
		if err != nil {
			t.Fatalf("%s: %v", osArch, err)
		}
		sum := sha256.Sum256(raw)
		if hex.EncodeToString(sum[:]) != p.SHA256 {
			t.Errorf("%s: manifest sha256 %s does not match the archive", osArch, p.SHA256)
		}
		files := untar(t, raw)
		wantBin := "kubectl-netpol"
		if p.Selector.MatchLabels["os"] == "windows" {
			wantBin += ".exe"
		}
		if p.Bin != wantBin || files[wantBin] == nil || files["LICENSE"] == nil {
			t.Errorf("%s: bin %q, archive holds %v; want %s and LICENSE", osArch, p.Bin, keys(files), wantBin)
		}
		if osArch == runtime.GOOS+"/"+runtime.GOARCH {
			checkBinaryRuns(t, files[wantBin])
		}
	}
	if strings.Join(got, " ") != native {
		t.Errorf("platforms %v, want %s alone", got, native)
	}
}

// checkBinaryRuns runs the archived binary for this machine and reads the version stamped in.
func checkBinaryRuns(t *testing.T, binary []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubectl-netpol")
	if err := os.WriteFile(path, binary, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(path, "version", "--client", "-o", "json").Output()
	if err != nil {
		t.Fatalf("archived binary: %v", err)
	}
	var v struct {
		ClientVersion struct{ Version, Commit string } `json:"clientVersion"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("version -o json: %v\n%s", err, out)
	}
	if v.ClientVersion.Version != "v1.2.3" || v.ClientVersion.Commit != "abc1234" {
		t.Errorf("archived binary says %+v, want v1.2.3 / abc1234", v.ClientVersion)
	}
}

func untar(t *testing.T, raw []byte) map[string][]byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	files := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = data
	}
}

func keys(m map[string][]byte) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}
