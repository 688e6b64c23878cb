// Command flannelcni stands in for flannel's CNI plugin (github.com/flannel-io/cni-plugin, which
// the Go module proxy does not serve) on the local flannel node. It does what that plugin does
// on Linux, and no more: it reads the subnet file flanneld writes (FLANNEL_NETWORK,
// FLANNEL_SUBNET, FLANNEL_MTU, FLANNEL_IPMASQ), turns its network configuration's `delegate`
// into a bridge configuration with host-local IPAM on that subnet, saves it per container (so
// DEL tears down what ADD set up, even after the subnet file changed), and runs the bridge
// plugin from CNI_PATH with it. The bridge, host-local and portmap plugins are the CNI
// project's own (Debian's containernetworking-plugins).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// netConf is the part of the network configuration this plugin reads; flannel's defaults for
// the two paths.
type netConf struct {
	CNIVersion string         `json:"cniVersion"`
	Name       string         `json:"name"`
	SubnetFile string         `json:"subnetFile"`
	DataDir    string         `json:"dataDir"`
	Delegate   map[string]any `json:"delegate"`
	IPAM       map[string]any `json:"ipam"` // passed on, with the subnet's ranges and routes set
}

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		// The CNI error result: code 999 is "unknown error", the plugin's own.
		out, _ := json.Marshal(map[string]any{"cniVersion": "0.3.1", "code": 999, "msg": err.Error()})
		fmt.Fprintln(os.Stdout, string(out))
		os.Exit(1)
	}
}

func run(stdin io.Reader, stdout io.Writer) error {
	cmd := os.Getenv("CNI_COMMAND")
	if cmd == "VERSION" {
		_, err := fmt.Fprintln(stdout, `{"cniVersion":"1.0.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0"]}`)
		return err
	}
	raw, err := io.ReadAll(stdin)
	if err != nil {
		return err
	}
	conf := netConf{SubnetFile: "/run/flannel/subnet.env", DataDir: "/var/lib/cni/flannel"}
	if err := json.Unmarshal(raw, &conf); err != nil {
		return fmt.Errorf("reading the network configuration: %w", err)
	}
	saved := filepath.Join(conf.DataDir, os.Getenv("CNI_CONTAINERID"))
	switch cmd {
	case "ADD":
		delegate, err := delegateConf(conf)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(conf.DataDir, 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(saved, delegate, 0o600); err != nil {
			return err
		}
		return delegateTo(delegate, stdout)
	case "DEL":
		delegate, err := os.ReadFile(saved)
		if errors.Is(err, os.ErrNotExist) {
			return nil // never added, or deleted already: DEL must succeed
		}
		if err != nil {
			return err
		}
		if err := delegateTo(delegate, stdout); err != nil {
			return err
		}
		return os.Remove(saved)
	case "CHECK":
		delegate, err := os.ReadFile(saved)
		if err != nil {
			return fmt.Errorf("no configuration saved for container %s: %w", os.Getenv("CNI_CONTAINERID"), err)
		}
		return delegateTo(delegate, stdout)
	default:
		return fmt.Errorf("unsupported CNI_COMMAND %q", cmd)
	}
}

// delegateConf is the bridge configuration for this node's subnet, as flannel's plugin builds
// it: the delegate's own keys, type bridge and a gateway unless it says otherwise, masquerade
// only where flanneld does not (FLANNEL_IPMASQ), the subnet's MTU, and host-local IPAM on the
// subnet with a route to the whole flannel network.
func delegateConf(conf netConf) ([]byte, error) {
	env, err := readSubnetFile(conf.SubnetFile)
	if err != nil {
		return nil, err
	}
	d := map[string]any{}
	for k, v := range conf.Delegate {
		d[k] = v
	}
	d["name"], d["cniVersion"] = conf.Name, conf.CNIVersion
	if _, ok := d["type"]; !ok {
		d["type"] = "bridge"
	}
	if d["type"] == "bridge" {
		if _, ok := d["isGateway"]; !ok {
			d["isGateway"] = true
		}
	}
	d["ipMasq"] = env["FLANNEL_IPMASQ"] != "true"
	if mtu, err := strconv.Atoi(env["FLANNEL_MTU"]); err == nil {
		d["mtu"] = mtu
	}
	ipam := map[string]any{"type": "host-local"}
	for k, v := range conf.IPAM {
		ipam[k] = v
	}
	ipam["ranges"] = [][]map[string]string{{{"subnet": env["FLANNEL_SUBNET"]}}}
	ipam["routes"] = []map[string]string{{"dst": env["FLANNEL_NETWORK"]}}
	d["ipam"] = ipam
	return json.Marshal(d)
}

// readSubnetFile reads flanneld's KEY=VALUE subnet file; the subnet and the network must be
// there.
func readSubnetFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("flanneld has not written its subnet file yet (is the kube-flannel-ds pod running on this node?): %w", err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "="); ok {
			env[k] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	// flanneld writes the node's gateway address with the subnet's length (10.244.0.1/24);
	// host-local wants the subnet itself.
	for _, k := range []string{"FLANNEL_NETWORK", "FLANNEL_SUBNET"} {
		prefix, err := netip.ParsePrefix(env[k])
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, k, err)
		}
		env[k] = prefix.Masked().String()
	}
	return env, nil
}

// delegateTo runs the delegate's plugin, found in CNI_PATH, with this process's CNI
// environment and the delegate configuration on stdin, and passes its result through.
func delegateTo(conf []byte, stdout io.Writer) error {
	var d struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(conf, &d); err != nil {
		return err
	}
	var plugin string
	for _, dir := range filepath.SplitList(os.Getenv("CNI_PATH")) {
		if p := filepath.Join(dir, d.Type); isExecutable(p) {
			plugin = p
			break
		}
	}
	if plugin == "" {
		return fmt.Errorf("no %s plugin in CNI_PATH %q", d.Type, os.Getenv("CNI_PATH"))
	}
	var out bytes.Buffer
	c := exec.Command(plugin)
	c.Stdin, c.Stdout, c.Stderr = bytes.NewReader(conf), &out, os.Stderr
	err := c.Run()
	if _, werr := stdout.Write(out.Bytes()); werr != nil {
		return werr
	}
	if err != nil {
		// The delegate wrote its own error result; exit as it did.
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			os.Exit(exit.ExitCode())
		}
		return err
	}
	return nil
}

func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir() && info.Mode()&0o111 != 0
}
