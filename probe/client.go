package probe

import (
	"bytes"
	"net"
	"strconv"
	"strings"
)

// detectCommand finds out, in one exec per container, which clients the container has and
// which implementation each is (their options differ). It is a constant: nothing from a job
// ever goes into a shell. nslookup is not asked for --help, since some take it for a name.
var detectCommand = []string{"sh", "-c", `for c in nc wget nslookup; do
  command -v "$c" >/dev/null 2>&1 || continue
  echo "@@ $c"
  case "$c" in nslookup) ;; *) "$c" --help </dev/null 2>&1 ;; esac
done
exit 0`}

// flavor is the implementation of a client.
type flavor int

const (
	absent  flavor = iota
	busybox        // BusyBox applets (the lab images)
	gnu            // GNU Wget (Debian and Ubuntu images, and this machine for the tests)
	other          // any other nc (OpenBSD, nmap's ncat) or wget
)

// tools is what detectCommand found in one container.
type tools struct {
	nc       flavor
	ncZero   bool // nc can scan without sending data (-z); BusyBox's small nc cannot
	wget     flavor
	nslookup bool
}

func parseTools(out []byte) tools {
	var t tools
	for _, section := range strings.Split("\n"+string(out), "\n@@ ")[1:] {
		name, help, _ := strings.Cut(section, "\n")
		name = strings.TrimSpace(name)
		f := other
		switch {
		case strings.Contains(help, "BusyBox"):
			f = busybox
		case strings.Contains(help, "GNU Wget"):
			f = gnu
		}
		switch name {
		case "nc":
			t.nc = f
			t.ncZero = f != busybox || strings.Contains(help, "-z")
		case "wget":
			t.wget = f
		case "nslookup":
			t.nslookup = true
		}
	}
	return t
}

// need is the kind of client a job needs.
type need int

const (
	needTCP need = iota
	needUDP
	needDNS
)

func (n need) String() string {
	switch n {
	case needUDP:
		return "nc (needed for UDP probes)"
	case needDNS:
		return "nslookup (needed for DNS probes)"
	}
	return "nc or wget"
}

func (t tools) has(n need) bool {
	switch n {
	case needUDP:
		return t.nc != absent
	case needDNS:
		return t.nslookup
	}
	return (t.nc != absent && t.ncZero) || t.wget != absent
}

// udpPayload is what UDP probes send. Only an answer proves that the datagram arrived, and
// the usual UDP test servers answer anything: agnhost serve-hostname --udp replies with its
// name, agnhost netexec's UDP port runs the "hostname" command it is sent.
const udpPayload = "hostname\n"

// command is the argv (and stdin) that probes j with the container's tools, and the client's
// name. Host and port are argv elements of their own, never parsed by a shell; they have been
// checked by validHost, so that none can pass for an option. secs is the client's own
// timeout, in whole seconds as every client wants it.
func command(j Job, t tools, secs int) (client string, argv []string, stdin []byte) {
	s := strconv.Itoa(secs)
	port := strconv.Itoa(int(j.Port))
	switch j.need() {
	case needDNS:
		argv = []string{"nslookup", j.query()}
		if j.To.Host != "" {
			argv = append(argv, j.To.Host)
		}
		return "nslookup", argv, nil
	case needUDP:
		// -vv: BusyBox's nc keeps quiet about refusals at one -v.
		return "nc", []string{"nc", "-u", "-v", "-v", "-w", s, j.To.Host, port}, []byte(udpPayload)
	}
	if t.nc != absent && t.ncZero {
		// nc -z only connects: it works on any TCP port, where wget needs an HTTP server to
		// tell a connection that hangs from one that never opened.
		return "nc", []string{"nc", "-v", "-v", "-z", "-w", s, j.To.Host, port}, nil
	}
	url := "http://" + net.JoinHostPort(j.To.Host, port) + "/"
	switch t.wget {
	case gnu:
		// GNU Wget retries a timeout 20 times unless told otherwise, and honours http_proxy.
		return "wget", []string{"wget", "--no-proxy", "-t", "1", "-T", s, "-O", "/dev/null", url}, nil
	case busybox:
		return "wget", []string{"wget", "-Y", "off", "-T", s, "-O", "/dev/null", url}, nil
	}
	return "wget", []string{"wget", "-T", s, "-O", "/dev/null", url}, nil
}

// classify turns what the client said into an outcome, and a line of it to show. runErr is the exec error: nil when the
// client exited 0. Through a real kubelet a failing client is a CodeExitError, through kwok an
// InternalError, so only the words matter, never the error's type.
func classify(j Job, client string, stdout, stderr []byte, runErr error) (Outcome, string) {
	n := j.need()
	text := string(stdout) + "\n" + string(stderr)
	if runErr != nil {
		text += "\n" + runErr.Error()
	}
	// The clients echo the names they were given: a host called "timeout.example" must not
	// decide the outcome.
	lower := strings.ToLower(text)
	for _, name := range []string{j.To.Host, j.Query} {
		if name != "" {
			lower = strings.ReplaceAll(lower, strings.ToLower(name), "")
		}
	}
	line := func(markers ...string) string { return lineWith(text, markers...) }
	has := func(markers ...string) bool {
		for _, m := range markers {
			if strings.Contains(lower, m) {
				return true
			}
		}
		return false
	}
	refused := []string{"refused", "no route to host", "unreachable", "prohibited"}
	timedOut := []string{"timed out", "timeout", "no servers could be reached"}

	switch n {
	case needDNS:
		if runErr == nil {
			return Connected, "resolved: " + answers(text)
		}
		// NXDOMAIN and SERVFAIL are answers: the query got through, which is all a network
		// policy decides. (A server that is reached but fails is not the policy's doing.)
		if has("nxdomain", "can't find", "servfail") && !has(timedOut...) {
			return Connected, "server answered: " + line("nxdomain", "can't find", "servfail")
		}
	case needUDP:
		if len(bytes.TrimSpace(stdout)) > 0 {
			return Connected, "reply: " + firstLine(string(stdout))
		}
		if has(refused...) {
			return Refused, line(refused...)
		}
		if runErr == nil || has(timedOut...) {
			return Timeout, "no reply (a dropped datagram and a server that never answers look the same)"
		}
	default:
		if runErr == nil {
			return Connected, firstNonEmpty(line("open", "succeeded", "connected", "saving to", "written to"), client+" connected")
		}
		// wget connects before it can fail on HTTP: an error status, an empty reply or a
		// non-HTTP server all prove the port open. GNU Wget says "connected." first.
		if client == "wget" {
			if m := line("connected.", "server returned error", "error getting response", "bad header line", "http request sent", "no data received"); m != "" {
				return Connected, m
			}
		}
	}
	if has(refused...) {
		return Refused, line(refused...)
	}
	if has(timedOut...) {
		return Timeout, line(timedOut...)
	}
	return Error, firstNonEmpty(lastLine(string(stderr)), lastLine(string(stdout)), errString(runErr))
}

// lineWith returns the first line of text holding one of the markers (case-insensitive).
func lineWith(text string, markers ...string) string {
	for _, l := range strings.Split(text, "\n") {
		ll := strings.ToLower(l)
		for _, m := range markers {
			if strings.Contains(ll, m) {
				return strings.TrimSpace(l)
			}
		}
	}
	return ""
}

// answers picks the addresses out of nslookup's answer section (after the "Name:" line; the
// lines before it describe the server).
func answers(text string) string {
	var addrs []string
	inAnswer := false
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "Name:") {
			inAnswer = true
			continue
		}
		if inAnswer && strings.HasPrefix(l, "Address") {
			if _, a, ok := strings.Cut(l, ":"); ok {
				addrs = append(addrs, strings.TrimSpace(a))
			}
		}
	}
	if len(addrs) == 0 {
		return "an answer"
	}
	return strings.Join(addrs, ", ")
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(l)
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "\n"); i >= 0 {
		s = s[i+1:]
	}
	return strings.TrimSpace(s)
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// validHost accepts IP addresses and DNS names only. The argv never meets a shell, but a
// "host" such as "-e/bin/sh" would still be an option to nc; this keeps every host a host.
func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
