package probe

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// A refusal by a destination pod is followed by one look from inside that pod at its own port:
// a port the pod serves makes the refusal a block made between the pods; a port it does not
// serve makes the probe "not served" (it observed nothing about policies); a pod that cannot be
// looked into leaves the refusal as it was, with the reason. Each pod and port is looked at once,
// and never through an added probe container.
func TestRunChecksListenerOfRefusals(t *testing.T) {
	cs := fake.NewClientset(runningPod("client", "c"), runningPod("served", "s"), runningPod("empty", "e"), runningPod("bare", "b"))
	f := &fakeExec{
		clients: map[string]string{"x/bare/b": ""}, // no client to look with
		answer: func(_ context.Context, req ExecRequest, _ int) (string, string, error) {
			target := targetOf(req.Command)
			switch {
			case req.Pod == "client": // every probe from the client is refused
				return ncAnswer(Refused, target)
			case req.Pod == "served":
				return ncAnswer(Connected, target)
			}
			return ncAnswer(Refused, target)
		}}
	to := func(pod, host string, port int32, expected bool) Job {
		j := tcpJob("client", host, port, expected)
		j.To.Pod = &PodRef{Namespace: "x", Name: pod}
		return j
	}
	jobs := []Job{
		to("served", "10.1.0.1", 80, false),
		to("served", "10.1.0.1", 80, false), // the same port again: one look
		to("empty", "10.1.0.2", 3306, false),
		to("bare", "10.1.0.3", 80, false),
		tcpJob("client", "203.0.113.9", 80, false), // an address, not a pod: nothing to look into
	}
	r := &Runner{Exec: f, Client: cs, Timeout: time.Second}
	res := r.Run(context.Background(), jobs)

	want := []struct {
		outcome  Outcome
		listener Listener
		agrees   bool
	}{
		{Refused, Listening, true},
		{Refused, Listening, true},
		{NotServed, NoListener, false},
		{Refused, ListenerUnknown, true},
		{Refused, "", true},
	}
	for i, w := range want {
		if res[i].Outcome != w.outcome || res[i].Listener != w.listener || res[i].Agrees() != w.agrees || res[i].Allowed {
			t.Errorf("job %d (%s): outcome %s, listener %q, agrees %v, allowed %v; want %s, %q, %v", i, jobs[i].To.Host, res[i].Outcome, res[i].Listener, res[i].Agrees(), res[i].Allowed, w.outcome, w.listener, w.agrees)
		}
	}
	if !strings.Contains(res[2].Detail, "nothing listens on 3306/TCP in x/empty") {
		t.Errorf("not served detail: %q", res[2].Detail)
	}
	if !strings.Contains(res[3].ListenerDetail, "could not look inside the destination") {
		t.Errorf("unknown listener detail: %q", res[3].ListenerDetail)
	}
	if n := f.probesOf("10.1.0.1:80"); n != 3 { // two probes from the client, one look from inside
		t.Errorf("%d execs to 10.1.0.1:80, want 3 (two probes and one look)", n)
	}
	for _, a := range cs.Actions() {
		if a.GetVerb() == "patch" || a.GetSubresource() == "ephemeralcontainers" {
			t.Errorf("the look added a container: %v", a)
		}
	}
}

// A UDP port that takes a datagram in silence is served: only a port nobody bound is refused.
func TestListenerFromUDPSilence(t *testing.T) {
	look := Result{Job: Job{Protocol: corev1.ProtocolUDP}, Outcome: Timeout}
	if l, _ := listenerFrom(look); l != Listening {
		t.Errorf("UDP silence: %s, want listening", l)
	}
	look.Job.Protocol = corev1.ProtocolTCP
	if l, _ := listenerFrom(look); l != ListenerUnknown {
		t.Errorf("TCP silence to itself: %s, want unknown", l)
	}
}
