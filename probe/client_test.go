package probe

import (
	"errors"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// What detectCommand prints in the images that matter (help texts shortened to the lines
// parseTools could use).
const (
	busyboxDetect = "@@ nc\nBusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: nc [OPTIONS] HOST PORT  - connect\n\t-w SEC\tTimeout for connects and final net reads\n\t-u\tUDP mode\n\t-z\tZero-I/O mode (scanning)\n" +
		"@@ wget\nBusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n" +
		"@@ nslookup\n"
	busyboxSmallNcDetect = "@@ nc\nBusyBox v1.36.1 multi-call binary.\n\nUsage: nc [-iN] [-wN] [-l] [-p PORT] [-f FILE|IPADDR PORT] [-e PROG]\n" +
		"@@ wget\nBusyBox v1.36.1 multi-call binary.\n"
	gnuWgetDetect = "@@ wget\nGNU Wget 1.21.3, a non-interactive network retriever.\nUsage: wget [OPTION]... [URL]...\n"
	openbsdDetect = "@@ nc\nOpenBSD netcat (Debian patchlevel 1.219-1)\nusage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval]\n"
)

func TestParseTools(t *testing.T) {
	cases := []struct {
		name string
		out  string
		want tools
	}{
		{"busybox", busyboxDetect, tools{nc: busybox, ncZero: true, wget: busybox, nslookup: true}},
		{"busybox without nc -z", busyboxSmallNcDetect, tools{nc: busybox, ncZero: false, wget: busybox}},
		{"GNU wget only", gnuWgetDetect, tools{wget: gnu}},
		{"OpenBSD nc", openbsdDetect, tools{nc: other, ncZero: true}},
		{"nothing", "", tools{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := parseTools([]byte(c.out)); got != c.want {
				t.Errorf("parseTools = %+v, want %+v", got, c.want)
			}
		})
	}
}

// The client is chosen for what the container has, and every name travels as an argv element
// of its own: no shell ever parses a host.
func TestCommandPerClient(t *testing.T) {
	tcp := Job{From: PodRef{Namespace: "x", Name: "a"}, To: Target{Host: "10.0.0.7"}, Port: 8080}
	udp := tcp
	udp.Protocol = corev1.ProtocolUDP
	dnsPod := Job{From: tcp.From, Kind: DNSLookup, Query: "catalog.shop.svc.cluster.local"}
	dnsServer := dnsPod
	dnsServer.To.Host = "10.96.0.10"
	v6 := tcp
	v6.To.Host = "fd00::7"

	cases := []struct {
		name       string
		job        Job
		detect     string
		wantClient string
		wantArgv   []string
		wantStdin  string
	}{
		{"TCP prefers nc", tcp, busyboxDetect, "nc", []string{"nc", "-v", "-v", "-z", "-w", "3", "10.0.0.7", "8080"}, ""},
		{"TCP with GNU wget", tcp, gnuWgetDetect, "wget", []string{"wget", "--no-proxy", "-t", "1", "-T", "3", "-O", "/dev/null", "http://10.0.0.7:8080/"}, ""},
		{"TCP with a busybox nc that cannot -z", tcp, busyboxSmallNcDetect, "wget", []string{"wget", "-Y", "off", "-T", "3", "-O", "/dev/null", "http://10.0.0.7:8080/"}, ""},
		{"TCP to IPv6 with wget", v6, gnuWgetDetect, "wget", []string{"wget", "--no-proxy", "-t", "1", "-T", "3", "-O", "/dev/null", "http://[fd00::7]:8080/"}, ""},
		{"TCP with OpenBSD nc", tcp, openbsdDetect, "nc", []string{"nc", "-v", "-v", "-z", "-w", "3", "10.0.0.7", "8080"}, ""},
		{"UDP sends a datagram on stdin", udp, busyboxDetect, "nc", []string{"nc", "-u", "-v", "-v", "-w", "3", "10.0.0.7", "8080"}, udpPayload},
		{"DNS via the pod's resolver", dnsPod, busyboxDetect, "nslookup", []string{"nslookup", "catalog.shop.svc.cluster.local"}, ""},
		{"DNS to one server", dnsServer, busyboxDetect, "nslookup", []string{"nslookup", "catalog.shop.svc.cluster.local", "10.96.0.10"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tl := parseTools([]byte(c.detect))
			if !tl.has(c.job.need()) {
				t.Fatalf("tools %+v should serve %v", tl, c.job.need())
			}
			client, argv, stdin := command(c.job, tl, 3)
			if client != c.wantClient || !slices.Equal(argv, c.wantArgv) || string(stdin) != c.wantStdin {
				t.Errorf("command = %s %q stdin %q, want %s %q stdin %q", client, argv, stdin, c.wantClient, c.wantArgv, c.wantStdin)
			}
			if argv[0] == "sh" || slices.Contains(argv, "-c") {
				t.Errorf("argv %q goes through a shell", argv)
			}
		})
	}
}

func TestToolsServeNeeds(t *testing.T) {
	gnuOnly := parseTools([]byte(gnuWgetDetect))
	if !gnuOnly.has(needTCP) || gnuOnly.has(needUDP) || gnuOnly.has(needDNS) {
		t.Errorf("wget alone serves TCP only: %+v", gnuOnly)
	}
	smallNc := tools{nc: busybox}
	if smallNc.has(needTCP) || !smallNc.has(needUDP) {
		t.Errorf("a busybox nc without -z cannot scan TCP but can send UDP: %+v", smallNc)
	}
}

// A host or name that could pass for an option, or hide shell syntax, never reaches a client.
func TestValidHost(t *testing.T) {
	for _, ok := range []string{"10.0.0.1", "fd00::1", "kubernetes.default", "catalog.shop.svc.cluster.local.", "a-b.c_d"} {
		if !validHost(ok) {
			t.Errorf("validHost(%q) = false", ok)
		}
	}
	for _, bad := range []string{"", "-e/bin/sh", "-w", "a b", "a;reboot", "$(id)", "a..b", "x-.y", "http://a"} {
		if validHost(bad) {
			t.Errorf("validHost(%q) = true", bad)
		}
	}
}

// The exec error each runtime gives a client that exited non-zero: a real kubelet's
// CodeExitError and kwok's InternalError (which quotes the whole command line, host included).
var (
	kubeletExit = errors.New("command terminated with exit code 1")
	kwokExit    = errors.New("Internal error occurred: Internal error occurred: error executing command in container: cmd wait: nc -v -v -z -w 3 timeout.example 81: exit status 1")
)

func TestClassify(t *testing.T) {
	tcp := Job{To: Target{Host: "10.0.0.2"}, Port: 81}
	udp := tcp
	udp.Protocol = corev1.ProtocolUDP
	dns := Job{Kind: DNSLookup, Query: "kubernetes.default"}
	named := Job{To: Target{Host: "timeout.example"}, Port: 81}

	cases := []struct {
		name           string
		job            Job
		client         string
		stdout, stderr string
		err            error
		want           Outcome
		detail         string // a part of the detail
	}{
		{"busybox nc open", tcp, "nc", "", "10.0.0.2 (10.0.0.2:81) open\nsent 0, rcvd 0\n", nil, Connected, "open"},
		{"busybox nc refused", tcp, "nc", "", "nc: 10.0.0.2 (10.0.0.2:81): Connection refused\nsent 0, rcvd 0\n", kubeletExit, Refused, "Connection refused"},
		{"busybox nc timed out (glibc)", tcp, "nc", "", "nc: 10.0.0.2 (10.0.0.2:81): Connection timed out\n", kubeletExit, Timeout, "timed out"},
		{"busybox nc timed out (musl)", tcp, "nc", "", "nc: 10.0.0.2 (10.0.0.2:81): Operation timed out\n", kwokExit, Timeout, "timed out"},
		{"nc no route (a CNI that rejects)", tcp, "nc", "", "nc: 10.0.0.2 (10.0.0.2:81): No route to host\n", kubeletExit, Refused, "No route to host"},
		{"OpenBSD nc succeeded", tcp, "nc", "", "Connection to 10.0.0.2 81 port [tcp/*] succeeded!\n", nil, Connected, "succeeded"},
		{"OpenBSD nc timed out", tcp, "nc", "", "nc: connect to 10.0.0.2 port 81 (tcp) timed out: Operation now in progress\n", kubeletExit, Timeout, "timed out"},
		{"GNU wget refused", tcp, "wget", "", "--2026-01-01 10:00:00--  http://10.0.0.2:81/\nConnecting to 10.0.0.2:81... failed: Connection refused.\n", kwokExit, Refused, "failed: Connection refused."},
		{"GNU wget timed out", tcp, "wget", "", "Connecting to 10.0.0.2:81... failed: Connection timed out.\nGiving up.\n", kubeletExit, Timeout, "timed out"},
		{"GNU wget HTTP 404 is connected", tcp, "wget", "", "Connecting to 10.0.0.2:81... connected.\nHTTP request sent, awaiting response... 404 Not Found\nERROR 404: Not Found.\n", kubeletExit, Connected, "connected."},
		{"GNU wget read timeout after connecting", tcp, "wget", "", "Connecting to 10.0.0.2:81... connected.\nHTTP request sent, awaiting response... Read error (Connection timed out) in headers.\n", kubeletExit, Connected, "connected."},
		{"busybox wget refused", tcp, "wget", "", "Connecting to 10.0.0.2:81 (10.0.0.2:81)\nwget: can't connect to remote host (10.0.0.2): Connection refused\n", kubeletExit, Refused, "can't connect"},
		{"busybox wget timed out", tcp, "wget", "", "Connecting to 10.0.0.2:81 (10.0.0.2:81)\nwget: download timed out\n", kubeletExit, Timeout, "download timed out"},
		{"busybox wget HTTP error is connected", tcp, "wget", "", "Connecting to 10.0.0.2:81 (10.0.0.2:81)\nwget: server returned error: HTTP/1.1 403 Forbidden\n", kubeletExit, Connected, "server returned error"},
		{"busybox wget saved", tcp, "wget", "", "Connecting to 10.0.0.2:81 (10.0.0.2:81)\nsaving to '/dev/null'\n'/dev/null' saved\n", nil, Connected, "saving to"},
		{"a host named timeout is no timeout", named, "nc", "", "nc: timeout.example (10.0.0.9:81): Something odd\n", kwokExit, Error, "Something odd"},
		{"unknown failure is an error", tcp, "nc", "", "nc: bad address '10.0.0.2'\n", kubeletExit, Error, "bad address"},
		{"UDP reply", udp, "nc", "echo-server-7d9\n", "10.0.0.2 (10.0.0.2:81) open\n", nil, Connected, "echo-server-7d9"},
		{"UDP silence", udp, "nc", "", "10.0.0.2 (10.0.0.2:81) open\nsent 9, rcvd 0\n", nil, Timeout, "no reply"},
		{"UDP port unreachable", udp, "nc", "", "10.0.0.2 (10.0.0.2:81) open\nnc: net read: Connection refused\n", kubeletExit, Refused, "Connection refused"},
		{"DNS answer", dns, "nslookup", "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1\nName:\tkubernetes.default.svc.cluster.local\nAddress: fd00::1\n", "", nil, Connected, "resolved: 10.96.0.1, fd00::1"},
		{"DNS NXDOMAIN is an answer", dns, "nslookup", "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n** server can't find kubernetes.default: NXDOMAIN\n", "", kubeletExit, Connected, "NXDOMAIN"},
		{"DNS timed out", dns, "nslookup", ";; connection timed out; no servers could be reached\n", "", kubeletExit, Timeout, "timed out"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, detail := classify(c.job, c.client, []byte(c.stdout), []byte(c.stderr), c.err)
			if got != c.want || !strings.Contains(detail, c.detail) {
				t.Errorf("classify = %s %q, want %s with %q", got, detail, c.want, c.detail)
			}
		})
	}
}
