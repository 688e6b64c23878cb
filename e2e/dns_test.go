package e2e

import (
	"strings"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/checks"
	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
)

// doctor's live DNS lookup (NP3005) is BusyBox's own nslookup through CoreDNS behind the kube-dns
// Service IP: it fails under the lab's default-deny egress, naming that policy, and passes once
// the solution allows DNS.
func TestDoctorLiveDNSLookup(t *testing.T) {
	c := localcluster.ForDataplane(t)
	if r := netpol(t, c, "lab", "up", "dns-egress"); r.code != 0 {
		t.Fatalf("lab up: exit %d\n%s", r.code, r.stderr)
	}
	defer netpol(t, c, "lab", "down", "dns-egress")
	waitSettled(t, c, []string{"shop"})

	live := func() checks.Finding {
		t.Helper()
		var rep doctorReport
		netpolJSON(t, c, &rep, "doctor", "-n", "shop", "--check", checks.LiveDNSID)
		var found []checks.Finding
		for _, f := range rep.Findings {
			if f.ID == checks.LiveDNSID {
				found = append(found, f)
			}
		}
		if len(found) != 1 {
			t.Fatalf("want one %s finding, got %+v", checks.LiveDNSID, rep.Findings)
		}
		return found[0]
	}
	denied := live()
	if denied.Status == checks.StatusPass || !strings.Contains(denied.Message, "failed") || !strings.Contains(denied.Message, "shop/default-deny-egress") {
		t.Errorf("under default-deny egress: %s %s: %s", denied.Status, denied.Resource, denied.Message)
	}

	if r := netpol(t, c, "lab", "up", "dns-egress", "--solution"); r.code != 0 {
		t.Fatalf("lab up --solution: exit %d\n%s", r.code, r.stderr)
	}
	waitSettled(t, c, []string{"shop"})
	if allowed := live(); allowed.Status != checks.StatusPass {
		t.Errorf("with DNS allowed: %s %s: %s", allowed.Status, allowed.Resource, allowed.Message)
	}
}
