package progress

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

func newStore(t *testing.T) *Store {
	t.Helper()
	// A folder that does not exist yet: Update must create it.
	return At(filepath.Join(t.TempDir(), "state", "progress.json"))
}

func TestRoundTrip(t *testing.T) {
	s := newStore(t)
	err := s.Update(func(r *Record) error {
		l := r.Lab("default-deny")
		l.RecordUp(t0)
		l.RecordHints(t0.Add(5 * time.Second))
		l.RecordCheck(Check{At: t0.Add(10 * time.Second), Verdict: "FAIL", Right: 3, Total: 5, Live: true})
		l.RecordSolution(t0.Add(20 * time.Second))
		l.RecordCheck(Check{At: t0.Add(30 * time.Second), Verdict: "PASS", Right: 5, Total: 5, Variant: 2})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A second Update sees the first one's work and adds to it.
	if err := s.Update(func(r *Record) error { r.Lab("other").RecordUp(t0); return nil }); err != nil {
		t.Fatal(err)
	}

	r, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != Version || len(r.Labs) != 2 {
		t.Fatalf("record: version %d, %d labs; want %d, 2", r.Version, len(r.Labs), Version)
	}
	l := r.Labs["default-deny"]
	if len(l.Ups) != 1 || !l.Ups[0].Equal(t0) {
		t.Errorf("ups: %v", l.Ups)
	}
	if len(l.Hints) != 1 || !l.Hints[0].Equal(t0.Add(5*time.Second)) {
		t.Errorf("hints: %v", l.Hints)
	}
	if len(l.Solutions) != 1 || !l.Solutions[0].Equal(t0.Add(20*time.Second)) {
		t.Errorf("solutions: %v", l.Solutions)
	}
	if l.Tries() != 2 {
		t.Fatalf("tries: %d", l.Tries())
	}
	c := l.Checks[0]
	if !c.At.Equal(t0.Add(10*time.Second)) || c.Verdict != "FAIL" || c.Right != 3 || c.Total != 5 || !c.Live || c.Variant != 0 {
		t.Errorf("first check: %+v", c)
	}
	if c := l.Checks[1]; c.Verdict != "PASS" || c.Live || c.Variant != 2 {
		t.Errorf("second check: %+v", c)
	}
	if !l.Passed() || l.FirstPass.Seconds != 30 || l.Best == nil || l.Best.Seconds != 30 {
		t.Errorf("first pass %+v, best %+v", l.FirstPass, l.Best)
	}

	data, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, data)
	}
	if raw["version"] != float64(1) {
		t.Errorf("version in the file: %v", raw["version"])
	}
	if !bytes.HasPrefix(data, []byte("{\n  \"version\": 1,\n")) || !bytes.HasSuffix(data, []byte("}\n")) {
		t.Errorf("not indented by 2 with a trailing newline:\n%s", data)
	}
	if runtime.GOOS != "windows" { // no unix modes there
		fi, err := os.Stat(s.Path())
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("file mode %v, want 0600", fi.Mode().Perm())
		}
		di, err := os.Stat(filepath.Dir(s.Path()))
		if err != nil {
			t.Fatal(err)
		}
		if di.Mode().Perm() != 0o700 {
			t.Errorf("folder mode %v, want 0700", di.Mode().Perm())
		}
	}
}

func TestExamsKept(t *testing.T) {
	s := newStore(t)
	os.MkdirAll(filepath.Dir(s.Path()), 0o700)
	in := `{"version": 1, "labs": {}, "exams": [{"seed": 5, "score": 66.7, "passed": true, "tasks": [{"lab": "l", "variant": 3, "weight": 50, "verdict": "PASS"}]}]}`
	if err := os.WriteFile(s.Path(), []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(func(r *Record) error { r.Lab("l").RecordUp(t0); return nil }); err != nil {
		t.Fatal(err)
	}
	r, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Exams) != 1 {
		t.Fatalf("exams lost: %v", r.Exams)
	}
	if e := r.Exams[0]; e.Seed != 5 || e.Score != 66.7 || !e.Passed || len(e.Tasks) != 1 || e.Tasks[0].Variant != 3 || e.Tasks[0].Verdict != "PASS" {
		t.Errorf("exam changed: %+v", e)
	}
}

func TestRecordCheck(t *testing.T) {
	l := &Lab{}
	l.RecordUp(t0)
	l.RecordCheck(Check{At: t0.Add(10 * time.Second), Verdict: "FAIL"})
	if l.Passed() || l.Best != nil {
		t.Fatalf("a FAIL passed: first %+v best %+v", l.FirstPass, l.Best)
	}
	l.RecordCheck(Check{At: t0.Add(60 * time.Second), Verdict: "PASS"})
	if l.FirstPass == nil || l.FirstPass.Seconds != 60 || !l.FirstPass.At.Equal(t0.Add(60*time.Second)) {
		t.Fatalf("first pass: %+v", l.FirstPass)
	}
	if l.Best == nil || l.Best.Seconds != 60 {
		t.Fatalf("best: %+v", l.Best)
	}

	t1 := t0.Add(time.Hour)
	l.RecordUp(t1)
	l.RecordCheck(Check{At: t1.Add(30 * time.Second), Verdict: "PASS"})
	if l.FirstPass.Seconds != 60 || !l.FirstPass.At.Equal(t0.Add(60*time.Second)) {
		t.Errorf("first pass changed: %+v", l.FirstPass)
	}
	if l.Best == nil || l.Best.Seconds != 30 || !l.Best.At.Equal(t1.Add(30*time.Second)) {
		t.Errorf("best after a faster run: %+v", l.Best)
	}
	// A second PASS is not the first since the up: Best stays (code that took the latest
	// PASS as Best, or timed it from anything else, would change it).
	l.RecordCheck(Check{At: t1.Add(31 * time.Second), Verdict: "PASS"})
	if l.Best.Seconds != 30 || !l.Best.At.Equal(t1.Add(30*time.Second)) {
		t.Errorf("a second PASS changed best: %+v", l.Best)
	}
	// A slower run after that does not replace Best.
	t2 := t1.Add(time.Hour)
	l.RecordUp(t2)
	l.RecordCheck(Check{At: t2.Add(45 * time.Second), Verdict: "PASS"})
	if l.Best.Seconds != 30 || !l.Best.At.Equal(t1.Add(30*time.Second)) {
		t.Errorf("a slower run changed best: %+v", l.Best)
	}
	// FirstPass and Best are separate values: changing one does not change the other.
	if l.FirstPass == l.Best {
		t.Errorf("first pass and best share a pointer")
	}
	if l.Tries() != 5 {
		t.Errorf("tries: %d, want 5", l.Tries())
	}

	// No up recorded: the first PASS counts, with no time, and does not make a Best.
	n := &Lab{}
	n.RecordCheck(Check{At: t0, Verdict: "REFUSED"})
	if n.Passed() {
		t.Fatalf("REFUSED passed")
	}
	n.RecordCheck(Check{At: t0.Add(time.Second), Verdict: "PASS"})
	if n.FirstPass == nil || n.FirstPass.Seconds != 0 || !n.FirstPass.At.Equal(t0.Add(time.Second)) {
		t.Fatalf("first pass without an up: %+v", n.FirstPass)
	}
	if n.Best != nil {
		t.Fatalf("best without an up: %+v", n.Best)
	}
	// Then an up and a PASS after it: that one is timed and becomes Best; FirstPass stays.
	n.RecordUp(t0.Add(time.Minute))
	n.RecordCheck(Check{At: t0.Add(time.Minute + 20*time.Second), Verdict: "PASS"})
	if n.Best == nil || n.Best.Seconds != 20 {
		t.Errorf("best after an up: %+v", n.Best)
	}
	if !n.FirstPass.At.Equal(t0.Add(time.Second)) || n.FirstPass.Seconds != 0 {
		t.Errorf("first pass changed: %+v", n.FirstPass)
	}
}

func TestOff(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(Env, "off")
	t.Setenv("XDG_STATE_HOME", dir)
	s, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if !s.Off() {
		t.Fatal("not off")
	}
	called := false
	if err := s.Update(func(r *Record) error { called = true; r.Lab("l").RecordUp(t0); return nil }); err != nil {
		t.Fatal(err)
	}
	if called {
		t.Error("Update called fn while off")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("off wrote %v", ents)
	}
	r, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != Version || r.Labs == nil || len(r.Labs) != 0 {
		t.Errorf("off record: %+v", r)
	}
}

func TestDefault(t *testing.T) {
	t.Setenv(Env, "")
	xdg := t.TempDir()
	t.Setenv("XDG_STATE_HOME", xdg)
	s, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(xdg, "kubectl-netpol", "progress.json"); s.Path() != want || s.Off() {
		t.Errorf("with XDG_STATE_HOME: %q (off %v), want %q", s.Path(), s.Off(), want)
	}

	home := t.TempDir()
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home) // os.UserHomeDir on windows
	s, err = Default()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(home, ".local", "state", "kubectl-netpol", "progress.json"); s.Path() != want {
		t.Errorf("without XDG_STATE_HOME: %q, want %q", s.Path(), want)
	}
}

var keptName = regexp.MustCompile(`progress\.json\.corrupt-\d{8}T\d{6}(-\d+)?$`)

func TestCorrupt(t *testing.T) {
	s := newStore(t)
	os.MkdirAll(filepath.Dir(s.Path()), 0o700)
	bad := []byte("not json{")
	if err := os.WriteFile(s.Path(), bad, 0o600); err != nil {
		t.Fatal(err)
	}
	err := s.Update(func(r *Record) error { r.Lab("l").RecordUp(t0); return nil })
	var ce *CorruptError
	if !errors.As(err, &ce) {
		t.Fatalf("Update: %v, want a *CorruptError", err)
	}
	if ce.Path != s.Path() || !keptName.MatchString(ce.KeptAt) || filepath.Dir(ce.KeptAt) != filepath.Dir(s.Path()) {
		t.Errorf("error names %q kept at %q", ce.Path, ce.KeptAt)
	}
	if !strings.Contains(ce.Error(), ce.KeptAt) {
		t.Errorf("message does not say where it was kept: %s", ce.Error())
	}
	kept, err := os.ReadFile(ce.KeptAt)
	if err != nil || !bytes.Equal(kept, bad) {
		t.Errorf("kept file: %q (%v), want %q", kept, err, bad)
	}
	r, err := s.Load()
	if err != nil {
		t.Fatalf("Load after the new file: %v", err)
	}
	if l := r.Labs["l"]; l == nil || len(l.Ups) != 1 || !l.Ups[0].Equal(t0) {
		t.Errorf("new file: %+v", r.Labs)
	}

	// Load alone sets a bad file aside too, and never over the one kept before (same second).
	bad2 := []byte(`{"version": 1, "labs": []}`) // JSON, not of this shape
	os.WriteFile(s.Path(), bad2, 0o600)
	r, err = s.Load()
	var ce2 *CorruptError
	if !errors.As(err, &ce2) || r == nil || r.Labs == nil || len(r.Labs) != 0 {
		t.Fatalf("Load: %+v, %v; want an empty record and a *CorruptError", r, err)
	}
	if ce2.KeptAt == ce.KeptAt || !keptName.MatchString(ce2.KeptAt) {
		t.Errorf("kept again at %q (first at %q)", ce2.KeptAt, ce.KeptAt)
	}
	if b, _ := os.ReadFile(ce2.KeptAt); !bytes.Equal(b, bad2) {
		t.Errorf("second kept file: %q", b)
	}
	if b, _ := os.ReadFile(ce.KeptAt); !bytes.Equal(b, bad) {
		t.Errorf("first kept file overwritten: %q", b)
	}
	if _, err := os.Stat(s.Path()); !os.IsNotExist(err) {
		t.Errorf("bad file still in place: %v", err)
	}
}

func TestNewer(t *testing.T) {
	for _, in := range []string{
		`{"version": 99, "labs": {}}`,
		`{"version": 2, "labs": ["another shape"]}`, // not set aside as corrupt either
	} {
		s := newStore(t)
		os.MkdirAll(filepath.Dir(s.Path()), 0o700)
		if err := os.WriteFile(s.Path(), []byte(in), 0o600); err != nil {
			t.Fatal(err)
		}
		called := false
		err := s.Update(func(r *Record) error { called = true; r.Lab("l").RecordUp(t0); return nil })
		var ne *NewerError
		if !errors.As(err, &ne) || ne.Path != s.Path() || ne.Version < 2 {
			t.Fatalf("%s: Update: %v, want a *NewerError", in, err)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("format %d", ne.Version)) || !strings.Contains(err.Error(), Env+"=off") {
			t.Errorf("message: %s", err)
		}
		if called {
			t.Errorf("%s: fn called", in)
		}
		if b, _ := os.ReadFile(s.Path()); string(b) != in {
			t.Errorf("%s: file changed to %q", in, b)
		}
		r, err := s.Load()
		if !errors.As(err, &ne) || r != nil {
			t.Errorf("%s: Load: %+v, %v; want nil and a *NewerError", in, r, err)
		}
		if ents, _ := os.ReadDir(filepath.Dir(s.Path())); len(ents) != 1 {
			t.Errorf("%s: folder holds %v", in, ents)
		}
	}
}

func TestFnErrorWritesNothing(t *testing.T) {
	s := newStore(t)
	if err := s.Update(func(r *Record) error { r.Lab("l").RecordUp(t0); return nil }); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(s.Path())
	boom := errors.New("boom")
	err := s.Update(func(r *Record) error { r.Lab("l").RecordUp(t0.Add(time.Hour)); return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Update: %v, want fn's error", err)
	}
	if after, _ := os.ReadFile(s.Path()); !bytes.Equal(before, after) {
		t.Errorf("written after fn failed:\n%s", after)
	}
}

// update appends one check that says who made it (Right) and which of theirs it is (Total).
func update(s *Store, who, i int) error {
	return s.Update(func(r *Record) error {
		r.Lab("l").RecordCheck(Check{At: time.Now(), Verdict: "FAIL", Right: who, Total: i})
		return nil
	})
}

// checkAll fails unless lab "l" holds every (who, i) check exactly once.
func checkAll(t *testing.T, path string, workers, each int) {
	t.Helper()
	r, err := At(path).Load()
	if err != nil {
		t.Fatal(err)
	}
	checks := r.Lab("l").Checks
	if len(checks) != workers*each {
		t.Fatalf("%d checks, want %d: records were lost", len(checks), workers*each)
	}
	seen := map[[2]int]bool{}
	for _, c := range checks {
		seen[[2]int{c.Right, c.Total}] = true
	}
	if len(seen) != workers*each {
		t.Errorf("%d different checks, want %d", len(seen), workers*each)
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("folder holds %v, want only the progress file", ents)
	}
}

func TestConcurrentGoroutines(t *testing.T) {
	path := newStore(t).Path()
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			s := At(path) // each its own store, as two commands would have
			for i := range each {
				if err := update(s, w, i); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	checkAll(t, path, workers, each)
}

const helperEnv = "PROGRESS_TEST_HELPER"

// TestHelperProcess is not a test: TestConcurrentProcesses runs the test binary on it.
func TestHelperProcess(t *testing.T) {
	spec := os.Getenv(helperEnv) // who,path
	if spec == "" {
		t.Skip("only run by TestConcurrentProcesses")
	}
	whoS, path, _ := strings.Cut(spec, ",")
	who, _ := strconv.Atoi(whoS)
	s := At(path)
	for i := range 50 {
		if err := update(s, who, i); err != nil {
			t.Fatal(err)
		}
	}
}

func TestConcurrentProcesses(t *testing.T) {
	path := newStore(t).Path()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for who := range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d,%s", helperEnv, who, path))
		out := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("process %d: %v\n%s", i, err, outs[i])
		}
	}
	checkAll(t, path, 2, 50)
}

func TestStaleLock(t *testing.T) {
	s := newStore(t)
	os.MkdirAll(filepath.Dir(s.Path()), 0o700)
	lock := s.Path() + ".lock"
	if err := os.WriteFile(lock, []byte("12345\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(lock, old, old); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := s.Update(func(r *Record) error { r.Lab("l").RecordUp(t0); return nil }); err != nil {
		t.Fatalf("Update with a stale lock: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if _, err := os.Stat(lock); !os.IsNotExist(err) {
		t.Errorf("lock file left: %v", err)
	}
}

func TestHeldLockTimesOut(t *testing.T) {
	defer func(d time.Duration) { lockTimeout = d }(lockTimeout)
	lockTimeout = 200 * time.Millisecond
	s := newStore(t)
	os.MkdirAll(filepath.Dir(s.Path()), 0o700)
	lock := s.Path() + ".lock"
	if err := os.WriteFile(lock, nil, 0o600); err != nil { // fresh: a command is running
		t.Fatal(err)
	}
	err := s.Update(func(r *Record) error { t.Error("fn called without the lock"); return nil })
	if err == nil || !strings.Contains(err.Error(), lock) || !strings.Contains(err.Error(), "remove") {
		t.Fatalf("Update with a held lock: %v; want an error naming %s", err, lock)
	}
	if _, err := os.Stat(lock); err != nil {
		t.Errorf("a held lock was removed: %v", err)
	}
	if _, err := os.Stat(s.Path()); !os.IsNotExist(err) {
		t.Errorf("written without the lock: %v", err)
	}
}

func TestAtomicWriteLeavesNoTemp(t *testing.T) {
	s := newStore(t)
	for i := range 3 {
		if err := s.Update(func(r *Record) error { r.Lab("l").RecordUp(t0.Add(time.Duration(i) * time.Second)); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	ents, err := os.ReadDir(filepath.Dir(s.Path()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if len(names) != 1 || names[0] != "progress.json" {
		t.Errorf("folder holds %v, want only progress.json (no temp or lock file)", names)
	}
}
