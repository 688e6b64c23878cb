// Command dist builds the release: one archive per platform (the kubectl-netpol binary, its
// completion helper where a shell script runs, and LICENSE), then the krew manifest rendered with
// each archive's sha256, checked against krew's rules. `make dist` runs it.
package main

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/kubectl-netpol/kubectl-netpol/krew"
)

const repoURL = "https://github.com/kubectl-netpol/kubectl-netpol"

// The platforms krew users run, each built with CGO_ENABLED=0 so the binary needs no libc.
var defaultPlatforms = "linux/amd64,linux/arm64,darwin/amd64,darwin/arm64,windows/amd64,windows/arm64"

func main() {
	version := flag.String("version", "v0.0.0-dev", "release version (semver with a leading v)")
	commit := flag.String("commit", "unknown", "source commit, stamped into the binary")
	out := flag.String("out", "dist", "output folder")
	platforms := flag.String("platforms", defaultPlatforms, "comma-separated os/arch list")
	flag.Parse()
	if err := run(*version, *commit, *out, strings.Split(*platforms, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(version, commit, out string, platforms []string) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var listed []krew.Platform
	for _, p := range platforms {
		goos, goarch, ok := strings.Cut(p, "/")
		if !ok {
			return fmt.Errorf("platform %q: want os/arch", p)
		}
		archive, err := buildArchive(root, out, version, commit, goos, goarch)
		if err != nil {
			return err
		}
		sum, err := sha256File(archive)
		if err != nil {
			return err
		}
		bin := "kubectl-netpol"
		if goos == "windows" {
			bin += ".exe"
		}
		listed = append(listed, krew.Platform{
			OS: goos, Arch: goarch, SHA256: sum, Bin: bin,
			URI: fmt.Sprintf("%s/releases/download/%s/%s", repoURL, version, filepath.Base(archive)),
		})
		fmt.Fprintf(os.Stderr, "%s  %s\n", sum, archive)
	}
	manifest := filepath.Join(out, krew.PluginName+".yaml")
	f, err := os.Create(manifest)
	if err != nil {
		return err
	}
	if err := krew.Render(f, version, listed); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := krew.Validate(manifest, out); err != nil {
		return fmt.Errorf("%s breaks krew's rules:\n%w", manifest, err)
	}
	fmt.Fprintf(os.Stderr, "wrote %s (checked against krew's rules)\n", manifest)
	return nil
}

// buildArchive cross-compiles the plugin for goos/goarch and packs it with LICENSE.
func buildArchive(root, out, version, commit, goos, goarch string) (string, error) {
	work, err := os.MkdirTemp("", "kubectl-netpol-dist-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	bin := "kubectl-netpol"
	if goos == "windows" {
		bin += ".exe"
	}
	pkg := "github.com/kubectl-netpol/kubectl-netpol/plugin"
	build := exec.Command("go", "build", "-trimpath",
		"-ldflags", fmt.Sprintf("-s -w -X %s.buildVersion=%s -X %s.buildCommit=%s", pkg, version, pkg, commit),
		"-o", filepath.Join(work, bin), "./cmd/kubectl-netpol")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("building for %s/%s: %w", goos, goarch, err)
	}
	files := []archiveFile{
		{name: bin, src: filepath.Join(work, bin), mode: 0o755},
		{name: "LICENSE", src: filepath.Join(root, "LICENSE"), mode: 0o644},
	}
	if goos != "windows" {
		files = append(files, archiveFile{name: "kubectl_complete-netpol", src: filepath.Join(root, "hack", "kubectl_complete-netpol"), mode: 0o755})
	}
	archive := filepath.Join(out, fmt.Sprintf("kubectl-netpol_%s_%s_%s.tar.gz", version, goos, goarch))
	return archive, writeTarGz(archive, files)
}

type archiveFile struct {
	name, src string
	mode      int64
}

// writeTarGz packs files with a fixed time stamp and owner, so that the same inputs give the
// same archive and the same sha256.
func writeTarGz(path string, files []archiveFile) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	for _, file := range files {
		data, err := os.ReadFile(file.src)
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: file.name, Mode: file.mode, Size: int64(len(data)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	return f.Close()
}

func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("run dist from the kubectl-netpol source tree")
	}
	return filepath.Dir(gomod), nil
}
