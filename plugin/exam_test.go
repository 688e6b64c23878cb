package plugin

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
	"github.com/kubectl-netpol/kubectl-netpol/labs"
	"github.com/kubectl-netpol/kubectl-netpol/labs/progress"
)

// An exam draws different labs, as variants whose namespaces no other task shares, with weights
// that add up to 100; the same seed draws the same exam.
func TestDrawTasks(t *testing.T) {
	for seed := int64(1); seed <= 200; seed++ {
		tasks, err := drawTasks(seed, 4, "")
		if err != nil {
			t.Fatal(err)
		}
		again, _ := drawTasks(seed, 4, "")
		if !slices.Equal(tasks, again) {
			t.Fatalf("seed %d drew %v, then %v", seed, tasks, again)
		}
		seenLab, seenNS, total := map[string]bool{}, map[string]bool{}, 0
		for _, task := range tasks {
			if seenLab[task.Lab] || task.Variant == 0 || task.Weight <= 0 {
				t.Errorf("seed %d: task %+v (labs so far %v)", seed, task, seenLab)
			}
			seenLab[task.Lab] = true
			total += task.Weight
			r, err := renderTask(task, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, ns := range r.Namespaces {
				if seenNS[ns] {
					t.Errorf("seed %d: namespace %s in two tasks", seed, ns)
				}
				seenNS[ns] = true
			}
		}
		if total != 100 {
			t.Errorf("seed %d: weights add up to %d", seed, total)
		}
	}
	// Two labs are advanced: asking three of them is bad usage.
	if tasks, err := drawTasks(1, 3, "advanced"); err == nil || !strings.Contains(err.Error(), "only 2 labs of level advanced") {
		t.Errorf("three advanced tasks: %v, %v", tasks, err)
	}
}

// An exam on the local control plane: three tasks come up as variants; hints, solutions and
// lab check are closed while it runs; two solutions applied, exam submit grades two tasks right
// and one wrong and scores them against the pass mark; review opens the solutions; exam end
// leaves no object of the exam behind.
func TestExamOnTheCluster(t *testing.T) {
	c := localcluster.ForTest(t)
	kc := "--kubeconfig=" + c.Kubeconfig
	stateDir(t)

	r := run(t, "exam", "start", "--tasks", "3", "--seed", "1", kc)
	if r.code != ExitOK || !strings.Contains(r.stdout, "Task 3") || !strings.Contains(r.stdout, "In namespace(s)") {
		t.Fatalf("exam start: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	ended := false
	defer func() {
		if !ended {
			run(t, "exam", "end", kc)
		}
	}()
	store, _ := progress.Default()
	rec, err := store.Load()
	if err != nil || !rec.Exam.Running() || len(rec.Exam.Tasks) != 3 || rec.Exam.Started.IsZero() {
		t.Fatalf("the exam's record: %+v (%v)", rec.Exam, err)
	}
	tasks := rec.Exam.Tasks

	first := tasks[0].Lab
	for _, args := range [][]string{{"lab", "show", first, "--hints"}, {"lab", "show", first, "--solution"}, {"lab", "check", first, kc}} {
		if r := run(t, args...); r.code == ExitOK || !strings.Contains(r.stderr, "exam") {
			t.Errorf("%v during the exam: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
	var st examStatus
	if err := json.Unmarshal([]byte(run(t, "exam", "status", "-o", "json").stdout), &st); err != nil || !st.Running || st.SecondsLeft <= 0 || len(st.Tasks) != 3 {
		t.Errorf("exam status: %+v (%v)", st, err)
	}

	// The learner solves the first two tasks, with kubectl.
	for _, task := range tasks[:2] {
		rt, err := renderTask(task, "")
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(filepath.Join(c.BinDir, "kubectl"), kc, "apply", "-f", "-")
		cmd.Stdin = strings.NewReader(rt.SolutionYAML)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("kubectl apply of %s's solution: %v\n%s", task.Lab, err, out)
		}
	}
	r = run(t, "exam", "submit", "--static-only", "-o", "json", kc)
	var res progress.ExamResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("exam submit -o json: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	want := float64(tasks[0].Weight + tasks[1].Weight)
	verdicts := []string{res.Tasks[0].Verdict, res.Tasks[1].Verdict, res.Tasks[2].Verdict}
	if !slices.Equal(verdicts, []string{"PASS", "PASS", "FAIL"}) || res.Score != want || res.Passed != (want >= 66) || len(res.Tasks[2].Wrong) == 0 || res.Late {
		t.Errorf("exam submit: %v, score %.0f (want %.0f), passed %v, wrong %v", verdicts, res.Score, want, res.Passed, res.Tasks[2].Wrong)
	}
	if wantCode := map[bool]int{true: ExitOK, false: 1}[res.Passed]; r.code != wantCode {
		t.Errorf("exam submit exit %d, want %d", r.code, wantCode)
	}
	// A task passed is its lab passed, as that variant.
	var list []labListRow
	_ = json.Unmarshal([]byte(run(t, "lab", "list", "-o", "json").stdout), &list)
	for _, l := range list {
		for i, task := range tasks {
			if l.Name == task.Lab && (l.Status == "passed") != (i < 2) {
				t.Errorf("lab list after the exam: %s (task %d) is %s", l.Name, i+1, l.Status)
			}
		}
	}
	if r := run(t, "exam", "submit", kc); r.code == ExitOK {
		t.Error("an exam was submitted twice")
	}
	if r := run(t, "exam", "review"); r.code != ExitOK || !strings.Contains(r.stdout, "kind: NetworkPolicy") || !strings.Contains(r.stdout, "Hints") {
		t.Errorf("exam review: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var history []progress.ExamResult
	if err := json.Unmarshal([]byte(run(t, "exam", "history", "-o", "json").stdout), &history); err != nil || len(history) != 1 || history[0].Score != want {
		t.Errorf("exam history: %+v (%v)", history, err)
	}

	// The learner removes their own policies of the first task and leaves the second's: exam end
	// deletes everything the exam created, and keeps the namespaces that hold the learner's
	// policies (lab down's rule: never delete what the tool did not create), saying so.
	solution := func(task progress.Task) string {
		rt, err := renderTask(task, "")
		if err != nil {
			t.Fatal(err)
		}
		return rt.SolutionYAML
	}
	cmd := exec.Command(filepath.Join(c.BinDir, "kubectl"), kc, "delete", "-f", "-")
	cmd.Stdin = strings.NewReader(solution(tasks[0]))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kubectl delete: %v\n%s", err, out)
	}
	r = run(t, "exam", "end", kc)
	if r.code != ExitOK || !strings.Contains(r.stdout, " kept: it holds objects kubectl-netpol did not create") {
		t.Fatalf("exam end: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	ended = true
	out, err := exec.Command(filepath.Join(c.BinDir, "kubectl"), kc, "get", "pods,services,configmaps,networkpolicies", "-A", "-l", labs.ManagedByLabel+"="+labs.ManagedByValue, "-o", "name").CombinedOutput()
	if err != nil || strings.Contains(string(out), "/") {
		t.Errorf("objects of the exam left after exam end (%v):\n%s", err, out)
	}
	second, _ := renderTask(tasks[1], "")
	out, _ = exec.Command(filepath.Join(c.BinDir, "kubectl"), kc, "get", "namespaces", "-l", labs.ManagedByLabel+"="+labs.ManagedByValue, "-o", "jsonpath={.items[*].metadata.name}").CombinedOutput()
	for _, ns := range strings.Fields(string(out)) {
		if !slices.Contains(second.Namespaces, ns) {
			t.Errorf("namespace %s left after exam end, and it holds none of the learner's policies", ns)
		}
	}
	cmd = exec.Command(filepath.Join(c.BinDir, "kubectl"), kc, "delete", "-f", "-")
	cmd.Stdin = strings.NewReader(solution(tasks[1]))
	_ = cmd.Run()
	for _, ns := range strings.Fields(string(out)) {
		_ = exec.Command(filepath.Join(c.BinDir, "kubectl"), kc, "delete", "namespace", ns, "--wait=false").Run()
	}
	if r := run(t, "exam", "status"); r.code == ExitOK {
		t.Errorf("exam status after exam end: exit 0\n%s", r.stdout)
	}
}
