package plugin

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
	"github.com/kubectl-netpol/kubectl-netpol/labs"
	"github.com/kubectl-netpol/kubectl-netpol/labs/progress"
)

// stateDir gives the test a progress store of its own and returns the file's path.
func stateDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_STATE_HOME", dir)
	t.Setenv(progress.Env, "")
	return filepath.Join(dir, "kubectl-netpol", "progress.json")
}

// A study session on the local control plane: lab up with the solution, a static check that
// passes; lab list then says passed with a time, lab progress holds the up, the check and the
// solution, and lab next names another lab.
func TestProgressOfASession(t *testing.T) {
	c := localcluster.ForTest(t)
	kc := "--kubeconfig=" + c.Kubeconfig
	path := stateDir(t)

	if r := run(t, "lab", "up", "three-tier", "--solution", kc); r.code != ExitOK {
		t.Fatalf("lab up: exit %d\n%s", r.code, r.stderr)
	}
	defer run(t, "lab", "down", "three-tier", kc)
	if r := run(t, "lab", "check", "three-tier", "--static-only", kc); r.code != ExitOK {
		t.Fatalf("lab check: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no progress file after lab up and check: %v", err)
	}

	var list []labListRow
	r := run(t, "lab", "list", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatalf("lab list -o json: %v\n%s", err, r.stdout)
	}
	for _, l := range list {
		switch {
		case l.Name == "three-tier" && (l.Status != "passed" || l.Tries != 1 || l.BestSeconds == nil):
			t.Errorf("three-tier after a PASS: %+v", l.labProgress)
		case l.Name != "three-tier" && l.Status != "new":
			t.Errorf("%s, never touched: %+v", l.Name, l.labProgress)
		}
	}
	if r := run(t, "lab", "list"); !strings.Contains(r.stdout, "STATUS") || !regexpLine(r.stdout, `^three-tier\s.*\spassed\s+\d+s\s`) {
		t.Errorf("lab list table lacks three-tier passed with its time:\n%s", r.stdout)
	}

	var rep progressReport
	r = run(t, "lab", "progress", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("lab progress -o json: %v\n%s", err, r.stdout)
	}
	i := slices.IndexFunc(rep.Labs, func(l labRecord) bool { return l.Name == "three-tier" })
	if i < 0 {
		t.Fatalf("three-tier missing from lab progress: %s", r.stdout)
	}
	tt := rep.Labs[i]
	if len(tt.Ups) != 1 || len(tt.Checks) != 1 || len(tt.Solutions) != 1 || tt.FirstPass == nil ||
		tt.Checks[0].Verdict != "PASS" || tt.Checks[0].Live || tt.Checks[0].Right != tt.Checks[0].Total {
		t.Errorf("three-tier's record: %+v", tt.Lab)
	}
	three, _ := labs.Get("three-tier")
	for _, topic := range three.Topics {
		if slices.Contains(rep.TopicsNotPassed, topic) {
			t.Errorf("topic %q of the passed lab is listed as not passed: %v", topic, rep.TopicsNotPassed)
		}
	}

	var next nextLab
	r = run(t, "lab", "next", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &next); err != nil || next.Lab == "" || next.Lab == "three-tier" || next.Command != "kubectl netpol lab up "+next.Lab {
		t.Errorf("lab next after three-tier: %+v (%v)\n%s", next, err, r.stdout)
	}
}

// regexpLine says whether a line of text matches pattern.
func regexpLine(text, pattern string) bool {
	re := regexp.MustCompile(pattern)
	return slices.ContainsFunc(strings.Split(text, "\n"), re.MatchString)
}

// lab next: the first lab not passed by level, preferring one that teaches a topic no passed
// lab covers; none when every lab is passed.
func TestNextLabChoice(t *testing.T) {
	all, err := labs.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	passed := func(names ...string) *progress.Record {
		r := &progress.Record{Labs: map[string]*progress.Lab{}}
		for _, n := range names {
			r.Lab(n).RecordCheck(progress.Check{At: time.Now(), Verdict: "PASS"})
		}
		return r
	}
	first := func(r *progress.Record, level string) *labs.Lab {
		for _, l := range all {
			if l.Level == level && progressOf(r, l.Name).Status != "passed" {
				return l
			}
		}
		return nil
	}

	// Nothing done: the catalog's first beginner lab.
	got, fresh := chooseNext(all, passed())
	if want := first(passed(), "beginner"); got == nil || got.Name != want.Name || len(fresh) == 0 {
		t.Errorf("empty record: next %v %v, want %s with its topics", got, fresh, want.Name)
	}

	// Every beginner lab passed: an intermediate one, on a topic the beginner labs do not cover.
	var beginners []string
	for _, l := range all {
		if l.Level == "beginner" {
			beginners = append(beginners, l.Name)
		}
	}
	r := passed(beginners...)
	got, fresh = chooseNext(all, r)
	if got == nil || got.Level == "beginner" || len(fresh) == 0 {
		t.Fatalf("beginners passed: next %v %v", got, fresh)
	}
	covered := map[string]bool{}
	for _, l := range all {
		if slices.Contains(beginners, l.Name) {
			for _, tp := range l.Topics {
				covered[tp] = true
			}
		}
	}
	for _, tp := range fresh {
		if covered[tp] {
			t.Errorf("next %s: topic %q is covered by a passed lab", got.Name, tp)
		}
	}
	for _, l := range all {
		if slices.Index(labs.Levels, l.Level) < slices.Index(labs.Levels, got.Level) && progressOf(r, l.Name).Status != "passed" {
			t.Errorf("next %s (%s) while %s (%s) is easier and not passed", got.Name, got.Level, l.Name, l.Level)
		}
	}

	// Every lab passed: nothing to name.
	var names []string
	for _, l := range all {
		names = append(names, l.Name)
	}
	if got, _ := chooseNext(all, passed(names...)); got != nil {
		t.Errorf("every lab passed: next %s", got.Name)
	}
	res := run(t, "lab", "next", "--lang", "ja")
	if res.code != ExitOK || !strings.Contains(res.stdout, "理由") || !strings.Contains(res.stdout, "kubectl netpol lab up ") {
		t.Errorf("lab next --lang ja: exit %d\n%s", res.code, res.stdout)
	}
}

// KUBECTL_NETPOL_STATE=off keeps nothing; a corrupt file is kept aside with a warning, and a
// file of a newer format is left as it is, with a warning, and nothing recorded.
func TestProgressStoreProblems(t *testing.T) {
	path := stateDir(t)

	t.Setenv(progress.Env, "off")
	if r := run(t, "lab", "show", "three-tier", "--hints"); r.code != ExitOK || r.stderr != "" {
		t.Errorf("lab show with the store off: exit %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(path); err == nil {
		t.Errorf("KUBECTL_NETPOL_STATE=off wrote %s", path)
	}
	t.Setenv(progress.Env, "")

	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, "lab", "show", "three-tier", "--hints")
	if r.code != ExitOK || !strings.Contains(r.stderr, "Warning:") || !strings.Contains(r.stderr, ".corrupt-") {
		t.Errorf("lab show over a corrupt progress file: exit %d, stderr %q", r.code, r.stderr)
	}
	aside, _ := filepath.Glob(path + ".corrupt-*")
	if len(aside) != 1 {
		t.Fatalf("the corrupt file was not kept aside: %v", aside)
	}
	if data, _ := os.ReadFile(aside[0]); string(data) != "{not json" {
		t.Errorf("the file kept aside holds %q", data)
	}
	if r := run(t, "lab", "list", "-o", "json"); !strings.Contains(r.stdout, `"status": "new"`) || r.stderr != "" {
		t.Errorf("lab list after the corrupt file was replaced: stderr %q\n%s", r.stderr, r.stdout)
	}

	newer := []byte(`{"version": 99, "labs": {}}`)
	if err := os.WriteFile(path, newer, 0o600); err != nil {
		t.Fatal(err)
	}
	r = run(t, "lab", "show", "three-tier", "--solution")
	if r.code != ExitOK || !strings.Contains(r.stderr, "newer") {
		t.Errorf("lab show over a newer progress file: exit %d, stderr %q", r.code, r.stderr)
	}
	if data, _ := os.ReadFile(path); string(data) != string(newer) {
		t.Errorf("the newer file was changed: %s", data)
	}
	// The warning is in the learner's language too.
	if r := run(t, "lab", "list", "--lang", "ko"); r.code != ExitOK || !strings.Contains(r.stdout, "새 실습") || !strings.Contains(r.stderr, "더 새 버전의 kubectl-netpol") {
		t.Errorf("lab list --lang ko over a newer file: exit %d, stderr %q\n%s", r.code, r.stderr, r.stdout)
	}
}

// A variant on the local control plane: lab up --variant brings up the lab under the variant's
// names (its objects say which variant they are); lab show and lab check follow it without
// being told; the solution passes and the setup alone fails; another variant of the same lab is
// refused while one is up; lab down removes it whole.
func TestLabVariantOnTheCluster(t *testing.T) {
	c := localcluster.ForTest(t)
	kc := "--kubeconfig=" + c.Kubeconfig
	stateDir(t)
	three, _ := labs.Get("three-tier")
	v7, err := three.Render(labs.Options{Variant: 7})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(v7.Namespaces, three.Namespaces) {
		t.Fatalf("variant 7 has the lab's own namespaces %v", v7.Namespaces)
	}

	r := run(t, "lab", "up", "three-tier", "--variant", "7", "--solution", kc)
	if r.code != ExitOK || !strings.Contains(r.stdout, "Variant 7") || !strings.Contains(r.stdout, "namespace/"+v7.Namespaces[0]+" created") {
		t.Fatalf("lab up --variant 7: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	defer run(t, "lab", "down", "three-tier", kc)
	var sts []labs.LabStatus
	if err := json.Unmarshal([]byte(run(t, "lab", "status", "three-tier", "-o", "json", kc).stdout), &sts); err != nil || len(sts) != 1 || sts[0].Variant != 7 {
		t.Errorf("lab status of the variant: %+v (%v)", sts, err)
	} else if got := slices.Sorted(slices.Values(sts[0].Namespaces)); !slices.Equal(got, slices.Sorted(slices.Values(v7.Namespaces))) {
		t.Errorf("namespaces up %v, the variant's %v", got, v7.Namespaces)
	}
	if r := run(t, "lab", "show", "three-tier"); !strings.Contains(r.stdout, "Variant 7") || !strings.Contains(r.stdout, v7.Namespaces[1]) {
		t.Errorf("lab show does not follow the variant brought up:\n%s", r.stdout)
	}
	r = run(t, "lab", "check", "three-tier", "--static-only", "-o", "json", kc)
	var rep checkReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Verdict != "PASS" || rep.Static[0].From != v7.Goal[0].From {
		t.Errorf("lab check of the variant with its solution: exit %d, %s %s (%v)\n%s", r.code, rep.Verdict, rep.Score, err, r.stderr)
	}
	if r := run(t, "lab", "up", "three-tier", kc); r.code == ExitOK || !strings.Contains(r.stderr, "is up as variant 7") {
		t.Errorf("lab up of the lab as written while variant 7 is up: exit %d, %s", r.code, r.stderr)
	}
	if r := run(t, "lab", "down", "three-tier", kc); r.code != ExitOK || !strings.Contains(r.stdout, "namespace/"+v7.Namespaces[2]+" deleted") {
		t.Fatalf("lab down of the variant: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// The setup alone fails the variant's goal.
	if r := run(t, "lab", "up", "three-tier", "--variant", "7", kc); r.code != ExitOK {
		t.Fatalf("lab up --variant 7: exit %d\n%s", r.code, r.stderr)
	}
	if r := run(t, "lab", "check", "three-tier", "--static-only", kc); r.code != 1 || !strings.Contains(r.stdout, "FAIL") || !strings.Contains(r.stdout, v7.Namespaces[0]+"/") {
		t.Errorf("lab check of the variant's setup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
