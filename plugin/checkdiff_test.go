package plugin

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// lab check --diff after a FAIL: what the learner's files change against the lab's setup alone.
// In dns-egress the setup denies all egress of shop; this attempt allows DNS over UDP only and
// storefront to catalog. Worked out by hand: both pods now reach the DNS on 53/UDP and the
// storefront reaches catalog on 8080; 53/TCP stays blocked (which is the mistake), so it is
// not a change at all.
func TestLabCheckDiff(t *testing.T) {
	attempt := filepath.Join("..", "labs", "testdata", "attempts", "dns-egress", "fail-dns-udp-only.yaml")
	r := run(t, "lab", "check", "dns-egress", "-f", attempt, "--diff", "-o", "json")
	var rep checkReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != ExitError {
		t.Fatalf("exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if rep.Diff == nil {
		t.Fatal("no diff after a FAIL")
	}
	want := []string{
		"+ shop/catalog -> kube-system/kube-dns 53/UDP x1",
		"+ shop/storefront -> kube-system/kube-dns 53/UDP x1",
		"+ shop/storefront -> shop/catalog 8080/TCP x1",
	}
	if got := changeLines(*rep.Diff); !reflect.DeepEqual(got, want) {
		t.Errorf("changes %q, want %q", got, want)
	}
	if got, want := objectLines(*rep.Diff), []string{"added NetworkPolicy shop/allow-dns", "added NetworkPolicy shop/storefront-to-catalog"}; !reflect.DeepEqual(got, want) {
		t.Errorf("objects %q, want %q", got, want)
	}
	if c := rep.Diff.Changes[2]; c.Before.Allowed || !c.After.Allowed || !reflect.DeepEqual(c.After.Reasons, []string{"egress allowed by shop/storefront-to-catalog rule 0", "ingress not isolated: no policy selects the destination for ingress"}) {
		t.Errorf("storefront -> catalog: %+v", c)
	}

	// The table prints it after the verdict.
	table := run(t, "lab", "check", "dns-egress", "-f", attempt, "--diff")
	_, diff, ok := strings.Cut(table.stdout, "What your policies change, against the lab's setup alone:\n")
	if !ok || !strings.Contains(diff, "+ shop/storefront -> shop/catalog\n+     before: blocked: egress denied: isolated by shop/default-deny-egress and no rule allows it\n+     after:  allowed: egress allowed by shop/storefront-to-catalog rule 0\n") {
		t.Errorf("table:\n%s", table.stdout)
	}

	// A PASS has nothing to explain.
	pass := run(t, "lab", "check", "dns-egress", "-f", filepath.Join("..", "labs", "testdata", "attempts", "dns-egress", "pass-one-policy-for-storefront.yaml"), "--diff")
	if pass.code != ExitOK || strings.Contains(pass.stdout, "What your policies change") {
		t.Errorf("pass: exit %d\n%s%s", pass.code, pass.stdout, pass.stderr)
	}
}

// A change that closes a goal connection is marked: among all a default deny closes, the
// mistake. In three-tier, this attempt admits 3306 into was instead of 8080.
func TestLabCheckDiffMarksTheGoal(t *testing.T) {
	attempt := filepath.Join("..", "labs", "testdata", "attempts", "three-tier", "fail-was-port-3306.yaml")
	r := run(t, "lab", "check", "three-tier", "-f", attempt, "--diff", "-o", "json")
	var rep checkReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Diff == nil {
		t.Fatalf("exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	var marked []string
	for _, c := range rep.Diff.Changes {
		if c.AgainstGoal {
			marked = append(marked, changeLines(diffReport{Changes: []diffChange{c}})[0])
		}
	}
	// The goal's rows into was on 8080, all allowed in the goal, all closed by the attempt.
	want := []string{"- db/db -> was/was 8080/TCP x1", "- web/client -> was/was 8080/TCP x1", "- web/web -> was/was 8080/TCP x1"}
	if !reflect.DeepEqual(marked, want) {
		t.Errorf("marked %q, want %q", marked, want)
	}
}
