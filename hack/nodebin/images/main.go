// Command images writes the local node's container images as docker-archive tarballs for
// `ctr images import`: the lab image (BusyBox, with every applet linked), the pod sandbox
// (pause) and CoreDNS, each a single layer made from binaries built on this machine.
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func main() {
	out := flag.String("out", "", "folder for the image tarballs")
	busybox := flag.String("busybox", "", "a static busybox binary")
	pause := flag.String("pause", "", "the pause binary")
	coredns := flag.String("coredns", "", "the coredns binary")
	busyboxRef := flag.String("busybox-ref", "docker.io/library/busybox:1.36.1", "the lab image's name")
	pauseRef := flag.String("pause-ref", "registry.k8s.io/pause:3.10.1", "the sandbox image's name")
	corednsRef := flag.String("coredns-ref", "registry.k8s.io/coredns/coredns:v1.15.0", "CoreDNS's image name")
	flag.Parse()
	if *out == "" || *busybox == "" || *pause == "" || *coredns == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*out, *busybox, *pause, *coredns, *busyboxRef, *pauseRef, *corednsRef); err != nil {
		fmt.Fprintln(os.Stderr, "images:", err)
		os.Exit(1)
	}
}

const path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

func run(out, busybox, pause, coredns, busyboxRef, pauseRef, corednsRef string) error {
	applets, err := exec.Command(busybox, "--list-full").Output()
	if err != nil {
		return fmt.Errorf("listing the applets of %s: %w", busybox, err)
	}
	bb := newLayer()
	for _, dir := range []string{"bin", "etc", "home", "root", "usr", "usr/bin", "usr/sbin", "sbin", "var", "var/www"} {
		bb.dir(dir, 0o755)
	}
	bb.dir("tmp", 0o1777)
	if err := bb.file("bin/busybox", busybox, 0o755); err != nil {
		return err
	}
	for _, applet := range strings.Fields(string(applets)) {
		if applet != "bin/busybox" {
			bb.link(applet, "/bin/busybox")
		}
	}
	// What the busybox image carries, so that users and groups resolve as they do there.
	bb.text("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n")
	bb.text("etc/group", "root:x:0:\nnobody:x:65534:\n")
	if err := write(out, "busybox.tar", busyboxRef, bb, v1.Config{Env: []string{path}, Cmd: []string{"sh"}}); err != nil {
		return err
	}

	p := newLayer()
	if err := p.file("pause", pause, 0o755); err != nil {
		return err
	}
	if err := write(out, "pause.tar", pauseRef, p, v1.Config{Entrypoint: []string{"/pause"}, User: "65535:65535"}); err != nil {
		return err
	}

	c := newLayer()
	if err := c.file("coredns", coredns, 0o755); err != nil {
		return err
	}
	return write(out, "coredns.tar", corednsRef, c, v1.Config{Entrypoint: []string{"/coredns"}, Env: []string{path}})
}

// layer is one image layer's tar, built in memory (a few MB).
type layer struct {
	buf bytes.Buffer
	tw  *tar.Writer
}

func newLayer() *layer {
	l := &layer{}
	l.tw = tar.NewWriter(&l.buf)
	return l
}

// Fixed times and owners: the same binaries give the same image digest.
var epoch = time.Unix(0, 0)

func (l *layer) dir(name string, mode int64) {
	_ = l.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, ModTime: epoch})
}

func (l *layer) link(name, target string) {
	_ = l.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: epoch})
}

func (l *layer) text(name, content string) {
	_ = l.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(content)), Mode: 0o644, ModTime: epoch})
	_, _ = l.tw.Write([]byte(content))
}

func (l *layer) file(name, src string, mode int64) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := l.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(data)), Mode: mode, ModTime: epoch}); err != nil {
		return err
	}
	_, err = l.tw.Write(data)
	return err
}

func write(out, file, ref string, l *layer, cfg v1.Config) error {
	if err := l.tw.Close(); err != nil {
		return err
	}
	content := l.buf.Bytes()
	lay, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(content)), nil })
	if err != nil {
		return err
	}
	img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{Architecture: runtime.GOARCH, OS: "linux", Config: cfg, RootFS: v1.RootFS{Type: "layers"}, Created: v1.Time{Time: epoch}})
	if err != nil {
		return err
	}
	if img, err = mutate.AppendLayers(img, lay); err != nil {
		return err
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		return err
	}
	return tarball.WriteToFile(filepath.Join(out, file), tag, img)
}
