// Command images writes the local node's container images as docker-archive tarballs for
// `ctr images import`: the lab image (BusyBox, with every applet linked), the pod sandbox
// (pause), CoreDNS, kube-router, and flannel with its CNI plugin's stand-in, each a single layer
// made from binaries built on this machine. kube-router and flanneld drive the node's firewall
// with iptables and ipset: their images carry this machine's own (Debian's packages, in the mode
// its iptables is set to, legacy or nft), with the shared libraries those load, so that they
// and kube-proxy, which runs on the node itself, write the same tables.
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
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

// inputs are the binaries and the names of the images made of them.
type inputs struct {
	out                                 string
	busybox, pause, coredns             string
	kubeRouter, flanneld, flannelCNI    string
	installConf                         string
	busyboxRef, pauseRef, corednsRef    string
	kubeRouterRef, flannelRef, flCNIRef string
}

func main() {
	var in inputs
	flag.StringVar(&in.out, "out", "", "folder for the image tarballs")
	flag.StringVar(&in.busybox, "busybox", "", "a static busybox binary")
	flag.StringVar(&in.pause, "pause", "", "the pause binary")
	flag.StringVar(&in.coredns, "coredns", "", "the coredns binary")
	flag.StringVar(&in.kubeRouter, "kube-router", "", "the kube-router binary")
	flag.StringVar(&in.flanneld, "flanneld", "", "the flanneld binary")
	flag.StringVar(&in.installConf, "install-conf", "", "flannel's install-conf binary")
	flag.StringVar(&in.flannelCNI, "flannel-cni", "", "the stand-in for flannel's CNI plugin")
	flag.StringVar(&in.busyboxRef, "busybox-ref", "docker.io/library/busybox:1.36.1", "the lab image's name")
	flag.StringVar(&in.pauseRef, "pause-ref", "registry.k8s.io/pause:3.10.1", "the sandbox image's name")
	flag.StringVar(&in.corednsRef, "coredns-ref", "registry.k8s.io/coredns/coredns:v1.15.0", "CoreDNS's image name")
	flag.StringVar(&in.kubeRouterRef, "kube-router-ref", "docker.io/cloudnativelabs/kube-router:v2.1.0", "kube-router's image name")
	flag.StringVar(&in.flannelRef, "flannel-ref", "ghcr.io/flannel-io/flannel:v0.28.10", "flannel's image name")
	flag.StringVar(&in.flCNIRef, "flannel-cni-ref", "localhost/kubectl-netpol/flannel-cni-plugin:stand-in", "the CNI plugin stand-in's image name")
	flag.Parse()
	if in.out == "" || in.busybox == "" || in.pause == "" || in.coredns == "" || in.kubeRouter == "" || in.flanneld == "" || in.installConf == "" || in.flannelCNI == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(in); err != nil {
		fmt.Fprintln(os.Stderr, "images:", err)
		os.Exit(1)
	}
}

const pathEnv = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

func run(in inputs) error {
	bb := newLayer()
	for _, dir := range []string{"bin", "etc", "home", "root", "usr", "usr/bin", "usr/sbin", "sbin", "var", "var/www"} {
		bb.dir(dir, 0o755)
	}
	bb.dir("tmp", 0o1777)
	if err := bb.busybox(in.busybox); err != nil {
		return err
	}
	// What the busybox image carries, so that users and groups resolve as they do there.
	bb.text("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n")
	bb.text("etc/group", "root:x:0:\nnobody:x:65534:\n")
	if err := write(in.out, "busybox.tar", in.busyboxRef, bb, v1.Config{Env: []string{pathEnv}, Cmd: []string{"sh"}}); err != nil {
		return err
	}

	p := newLayer()
	if err := p.file("pause", in.pause, 0o755); err != nil {
		return err
	}
	if err := write(in.out, "pause.tar", in.pauseRef, p, v1.Config{Entrypoint: []string{"/pause"}, User: "65535:65535"}); err != nil {
		return err
	}

	c := newLayer()
	if err := c.file("coredns", in.coredns, 0o755); err != nil {
		return err
	}
	if err := write(in.out, "coredns.tar", in.corednsRef, c, v1.Config{Entrypoint: []string{"/coredns"}, Env: []string{pathEnv}}); err != nil {
		return err
	}

	// kube-router's image: its binary where upstream's image has it.
	kr, err := withFirewall(in.busybox, file{"usr/local/bin/kube-router", in.kubeRouter})
	if err != nil {
		return err
	}
	if err := write(in.out, "kube-router.tar", in.kubeRouterRef, kr, v1.Config{Entrypoint: []string{"/usr/local/bin/kube-router"}, Env: []string{pathEnv}}); err != nil {
		return err
	}

	// flannel's image: flanneld and install-conf at /opt/bin, as upstream's.
	fl, err := withFirewall(in.busybox, file{"opt/bin/flanneld", in.flanneld}, file{"opt/bin/install-conf", in.installConf})
	if err != nil {
		return err
	}
	if err := write(in.out, "flannel.tar", in.flannelRef, fl, v1.Config{Entrypoint: []string{"/opt/bin/flanneld"}, Env: []string{pathEnv}}); err != nil {
		return err
	}

	// The CNI plugin's image, as flannel-cni-plugin's: the plugin at /flannel and cp to install it.
	fc := newLayer()
	if err := fc.busybox(in.busybox); err != nil {
		return err
	}
	if err := fc.file("flannel", in.flannelCNI, 0o755); err != nil {
		return err
	}
	return write(in.out, "flannel-cni-plugin.tar", in.flCNIRef, fc, v1.Config{Env: []string{pathEnv}, Cmd: []string{"/flannel"}})
}

// file is a program of an image: where it goes, and the binary built here.
type file struct{ path, src string }

// withFirewall is the layer of programs that drive the node's firewall: this machine's iptables
// and ipset first (so that no BusyBox applet takes their names), BusyBox (a shell and cp for the
// manifests' init containers), then the programs.
func withFirewall(busybox string, programs ...file) (*layer, error) {
	l := newLayer()
	l.dir("tmp", 0o1777)
	if err := l.firewallTools(); err != nil {
		return nil, err
	}
	if err := l.busybox(busybox); err != nil {
		return nil, err
	}
	for _, p := range programs {
		if err := l.file(p.path, p.src, 0o755); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// busybox adds a static BusyBox with a link for each of its applets.
func (l *layer) busybox(busybox string) error {
	applets, err := exec.Command(busybox, "--list-full").Output()
	if err != nil {
		return fmt.Errorf("listing the applets of %s: %w", busybox, err)
	}
	if err := l.file("bin/busybox", busybox, 0o755); err != nil {
		return err
	}
	for _, applet := range strings.Fields(string(applets)) {
		if applet != "bin/busybox" {
			l.link(applet, "/bin/busybox")
		}
	}
	return nil
}

// firewallTools adds this machine's iptables (its every name, in the mode the machine's
// `iptables` points to), ipset, iptables' extension modules, and the shared libraries each
// of them needs, at the paths the machine has them.
func (l *layer) firewallTools() error {
	var bins []string
	for _, tool := range []string{"iptables", "iptables-save", "iptables-restore", "ip6tables", "ip6tables-save", "ip6tables-restore", "ipset"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			return fmt.Errorf("%s: %w (hack/node-deps.sh installs it)", tool, err)
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			return err
		}
		if err := l.file(strings.TrimPrefix(real, "/"), real, 0o755); err != nil {
			return err
		}
		if p != real {
			l.link(strings.TrimPrefix(p, "/"), real)
		}
		bins = append(bins, real)
	}
	// iptables loads its matches and targets (set, comment, REJECT, NFLOG, …) from the folder
	// beside libxtables.
	libs, err := sharedLibraries(bins...)
	if err != nil {
		return err
	}
	var modules []string
	for _, lib := range libs {
		if strings.HasPrefix(path.Base(lib), "libxtables.so") {
			real, err := filepath.EvalSymlinks(lib)
			if err != nil {
				return err
			}
			found, _ := filepath.Glob(filepath.Join(filepath.Dir(real), "xtables", "*.so"))
			modules = append(modules, found...)
		}
	}
	if len(modules) == 0 {
		return fmt.Errorf("no iptables extension modules beside libxtables (%v)", libs)
	}
	more, err := sharedLibraries(modules...)
	if err != nil {
		return err
	}
	for _, f := range append(modules, append(libs, more...)...) {
		if err := l.file(strings.TrimPrefix(f, "/"), f, 0o755); err != nil {
			return err
		}
	}
	return nil
}

// sharedLibraries lists the libraries (and the loader) that ldd says the files load, each at
// the path ldd names.
func sharedLibraries(files ...string) ([]string, error) {
	var libs []string
	for _, f := range files {
		out, err := exec.Command("ldd", f).Output()
		if err != nil {
			return nil, fmt.Errorf("ldd %s: %w", f, err)
		}
		for _, line := range strings.Split(string(out), "\n") {
			fields := strings.Fields(line)
			switch {
			case len(fields) >= 3 && fields[1] == "=>" && strings.HasPrefix(fields[2], "/"):
				libs = append(libs, fields[2])
			case len(fields) >= 1 && strings.HasPrefix(fields[0], "/"):
				libs = append(libs, fields[0])
			}
		}
	}
	return libs, nil
}

// layer is one image layer's tar, built in memory (a few MB). Each path goes in once (the first
// wins), after its parent folders.
type layer struct {
	buf  bytes.Buffer
	tw   *tar.Writer
	seen map[string]bool
}

func newLayer() *layer {
	l := &layer{seen: map[string]bool{}}
	l.tw = tar.NewWriter(&l.buf)
	return l
}

// Fixed times and owners: the same binaries give the same image digest.
var epoch = time.Unix(0, 0)

// add writes the entry unless its path is in already, its missing parents first.
func (l *layer) add(h *tar.Header, data []byte) error {
	name := strings.TrimSuffix(h.Name, "/")
	if l.seen[name] {
		return nil
	}
	if parent := path.Dir(name); parent != "." && !l.seen[parent] {
		if err := l.add(&tar.Header{Typeflag: tar.TypeDir, Name: parent + "/", Mode: 0o755, ModTime: epoch}, nil); err != nil {
			return err
		}
	}
	l.seen[name] = true
	h.Size = int64(len(data))
	if err := l.tw.WriteHeader(h); err != nil {
		return err
	}
	_, err := l.tw.Write(data)
	return err
}

func (l *layer) dir(name string, mode int64) {
	_ = l.add(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, ModTime: epoch}, nil)
}

func (l *layer) link(name, target string) {
	_ = l.add(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: epoch}, nil)
}

func (l *layer) text(name, content string) {
	_ = l.add(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, ModTime: epoch}, []byte(content))
}

func (l *layer) file(name, src string, mode int64) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return l.add(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, ModTime: epoch}, data)
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
