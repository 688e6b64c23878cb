// Package progress keeps a learner's progress through the labs in a small local JSON file:
// when each lab went up, every check, the hints and solutions shown, and the first PASS.
//
// The file is versioned, written atomically (temp file + rename, so a reader never sees half
// a file) and guarded by a lock file (two commands may run at once in two terminals).
// Progress is a nicety: callers warn on errors and go on, so nothing here should stop a lab.
package progress

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Version is the file format this code writes.
const Version = 1

// Env names the variable that, set to "off", keeps no progress at all.
const Env = "KUBECTL_NETPOL_STATE"

// pass is the only verdict that counts as passed (REFUSED and the like do not).
const pass = "PASS"

// Store is the progress file of one user.
type Store struct {
	path string
	off  bool
}

// Default returns the store at $XDG_STATE_HOME/kubectl-netpol/progress.json, else
// ~/.local/state/kubectl-netpol/progress.json; a store that keeps nothing when
// KUBECTL_NETPOL_STATE=off. An unusable home gives an error.
func Default() (*Store, error) {
	if strings.EqualFold(strings.TrimSpace(os.Getenv(Env)), "off") {
		return &Store{off: true}, nil
	}
	// The XDG spec says a relative path is invalid and must be ignored.
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("no home folder to keep progress in (set %s=off to keep none): %w", Env, err)
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return At(filepath.Join(dir, "kubectl-netpol", "progress.json")), nil
}

// At returns a store at that file; its folder is created on the first write.
func At(path string) *Store { return &Store{path: path} }

// Off tells whether the store keeps nothing.
func (s *Store) Off() bool { return s.off }

// Path is the progress file ("" when off).
func (s *Store) Path() string { return s.path }

// CorruptError says the file could not be read; it was renamed to KeptAt and a new one is started.
type CorruptError struct {
	Path, KeptAt string
	Err          error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("the progress file %s was not readable (%v): it is kept as %s and a new one is started",
		e.Path, e.Err, e.KeptAt)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// NewerError says the file is in a format newer than this code knows: it is left alone.
type NewerError struct {
	Path    string
	Version int
}

func (e *NewerError) Error() string {
	return fmt.Sprintf("the progress file %s was written by a newer kubectl-netpol (format %d): it is left as it is and nothing is recorded; upgrade kubectl-netpol, or set %s=off",
		e.Path, e.Version, Env)
}

// Load reads the record: an empty one when the file does not exist or the store is off.
// A file that is not valid JSON of this shape is renamed aside (never deleted): Load returns an
// empty record and a *CorruptError. A file of a newer format is left alone: nil and a *NewerError.
func (s *Store) Load() (*Record, error) {
	if s.off {
		return newRecord(), nil
	}
	rec, err := s.load(false)
	var ce *CorruptError
	if !errors.As(err, &ce) {
		return rec, err
	}
	// Setting a bad file aside changes the folder, so it is done under the lock and after
	// reading again: an Update may have replaced the file with a good one since we read it,
	// and that one must not be set aside.
	unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.load(true)
}

// Update takes the lock, loads, calls fn and writes the result atomically, then unlocks.
// After a *CorruptError it goes on with an empty record and returns that error once written, so
// the caller can warn; after a *NewerError, or an error from fn, it writes nothing.
// When the store is off it does nothing.
func (s *Store) Update(fn func(*Record) error) error {
	if s.off {
		return nil
	}
	// The folder must exist before the lock file can be made in it.
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("creating the progress folder: %w", err)
	}
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()

	rec, err := s.load(true)
	var corrupt *CorruptError
	if err != nil && !errors.As(err, &corrupt) {
		return err // newer, or not readable at all
	}
	if err := fn(rec); err != nil {
		return err
	}
	rec.Version = Version // whatever fn did, this code writes its own format
	if err := s.write(rec); err != nil {
		return err
	}
	if corrupt != nil {
		return corrupt
	}
	return nil
}

// load reads and checks the file. With keep, a bad file is renamed aside; without, it is only
// reported (KeptAt empty) so that Load can do the renaming under the lock.
func (s *Store) load(keep bool) (*Record, error) {
	data, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return newRecord(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the progress file: %w", err)
	}
	// The version is looked at first and alone: a newer format may have another shape, and
	// must not be mistaken for a corrupt file and set aside.
	var head struct {
		Version int `json:"version"`
	}
	if json.Unmarshal(data, &head) == nil && head.Version > Version {
		return nil, &NewerError{Path: s.path, Version: head.Version}
	}
	rec := &Record{}
	bad := json.Unmarshal(data, rec)
	if bad == nil && rec.Version < 1 {
		bad = errors.New("no format version")
	}
	if bad == nil {
		if rec.Labs == nil {
			rec.Labs = map[string]*Lab{}
		}
		return rec, nil
	}
	ce := &CorruptError{Path: s.path, Err: bad}
	if keep {
		if ce.KeptAt, err = s.keepAside(); err != nil {
			return nil, err
		}
	}
	return newRecord(), ce
}

// keepAside renames the file to PATH.corrupt-YYYYMMDDTHHMMSS, never over an earlier one
// (rename would replace it on unix): the learner may want the old progress back.
func (s *Store) keepAside() (string, error) {
	base := s.path + ".corrupt-" + time.Now().Format("20060102T150405")
	kept := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(kept); errors.Is(err, fs.ErrNotExist) {
			break
		}
		kept = fmt.Sprintf("%s-%d", base, i)
	}
	if err := os.Rename(s.path, kept); err != nil {
		return "", fmt.Errorf("setting the unreadable progress file aside: %w", err)
	}
	return kept, nil
}

// write replaces the file atomically: a temp file in the same folder (rename is only atomic
// within one file system), synced so a crash cannot leave an empty file behind the rename.
func (s *Store) write(rec *Record) error {
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	// CreateTemp makes the file 0600: progress is nobody else's business.
	tmp, err := os.CreateTemp(filepath.Dir(s.path), filepath.Base(s.path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing the progress file: %w", err)
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), s.path)
	}
	if err != nil {
		os.Remove(tmp.Name()) // no temp file is left behind
		return fmt.Errorf("writing the progress file: %w", err)
	}
	return nil
}

// Record is the whole progress file.
type Record struct {
	Version int             `json:"version"`
	Labs    map[string]*Lab `json:"labs"`
	// Exam is the exam that runs (or was submitted and not ended yet); Exams are the results of
	// every exam submitted.
	Exam  *Exam        `json:"exam,omitempty"`
	Exams []ExamResult `json:"exams,omitempty"`
}

// Exam is what `exam start` brought up: its tasks (each a lab variant), when it started and
// its deadline; Result once it was submitted.
type Exam struct {
	Seed     int64       `json:"seed"`
	Started  time.Time   `json:"started"`
	Deadline time.Time   `json:"deadline"`
	Tasks    []Task      `json:"tasks"`
	Result   *ExamResult `json:"result,omitempty"`
}

// Running says whether the exam is running: started and not submitted.
func (e *Exam) Running() bool { return e != nil && e.Result == nil }

// Task is one task of an exam.
type Task struct {
	Lab     string `json:"lab"`
	Variant int    `json:"variant"`
	Weight  int    `json:"weight"` // percent of the exam
}

// ExamResult is a submitted exam: its score in percent, the pass mark, and each task's grade.
type ExamResult struct {
	Seed      int64        `json:"seed"`
	Started   time.Time    `json:"started"`
	Submitted time.Time    `json:"submitted"`
	Late      bool         `json:"late,omitempty"` // submitted after the deadline
	Score     float64      `json:"score"`          // percent
	PassMark  float64      `json:"passMark"`
	Passed    bool         `json:"passed"`
	Tasks     []TaskResult `json:"tasks"`
}

// TaskResult is one task's grade, as lab check gave it.
type TaskResult struct {
	Task
	Verdict string `json:"verdict"` // PASS or FAIL
	Right   int    `json:"right"`   // goal rows right, statically
	Total   int    `json:"total"`
	Live    bool   `json:"live"`
	// Wrong says what was wrong, one line per goal row or probe.
	Wrong []string `json:"wrong,omitempty"`
}

func newRecord() *Record { return &Record{Version: Version, Labs: map[string]*Lab{}} }

// Lab returns the lab's record, created empty if missing.
func (r *Record) Lab(name string) *Lab {
	if r.Labs == nil {
		r.Labs = map[string]*Lab{}
	}
	l := r.Labs[name]
	if l == nil { // missing, or null in the file
		l = &Lab{}
		r.Labs[name] = l
	}
	return l
}

// Lab is the progress in one lab.
type Lab struct {
	// Variant is the variant of the last `lab up` (0: the lab as written); lab show and a check
	// of files follow it.
	Variant   int         `json:"variant,omitempty"`
	Ups       []time.Time `json:"ups,omitempty"`
	Checks    []Check     `json:"checks,omitempty"`
	Hints     []time.Time `json:"hints,omitempty"`     // each time hints were shown
	Solutions []time.Time `json:"solutions,omitempty"` // each time the solution was shown or applied
	FirstPass *Pass       `json:"firstPass,omitempty"`
	Best      *Pass       `json:"best,omitempty"` // the shortest time from an up to the first PASS after it
}

// Check is one `lab check`.
type Check struct {
	At      time.Time `json:"at"`
	Verdict string    `json:"verdict"` // PASS or FAIL (REFUSED etc. count as not passed)
	Right   int       `json:"right"`   // goal rows right
	Total   int       `json:"total"`
	Live    bool      `json:"live"` // the check probed packets (false: static only)
	Variant int       `json:"variant,omitempty"`
}

// Pass is a first PASS.
type Pass struct {
	At      time.Time `json:"at"`
	Seconds float64   `json:"seconds,omitempty"` // from the last `lab up` before it; 0 when no up was recorded
}

// RecordUp notes that the lab went up.
func (l *Lab) RecordUp(at time.Time) { l.Ups = append(l.Ups, at) }

// RecordHints notes that hints were shown.
func (l *Lab) RecordHints(at time.Time) { l.Hints = append(l.Hints, at) }

// RecordSolution notes that the solution was shown or applied.
func (l *Lab) RecordSolution(at time.Time) { l.Solutions = append(l.Solutions, at) }

// RecordCheck appends the check. A PASS that is the first since the last up (or ever, when no
// up was recorded) sets FirstPass if unset, and Best if shorter; only a pass with an up before
// it has a time, so Best only comes from those.
func (l *Lab) RecordCheck(c Check) {
	earlier := l.Checks
	l.Checks = append(l.Checks, c)
	if c.Verdict != pass {
		return
	}
	// The last up is looked for by time, not position: ups and checks are separate lists.
	var up time.Time
	hasUp := false
	for _, u := range l.Ups {
		if !u.After(c.At) && (!hasUp || u.After(up)) {
			up, hasUp = u, true
		}
	}
	for _, e := range earlier {
		if e.Verdict == pass && (!hasUp || !e.At.Before(up)) {
			return // not the first PASS since that up: a second PASS proves nothing new
		}
	}
	p := Pass{At: c.At}
	if hasUp {
		p.Seconds = c.At.Sub(up).Seconds()
	}
	if l.FirstPass == nil {
		first := p
		l.FirstPass = &first
	}
	if hasUp && (l.Best == nil || p.Seconds < l.Best.Seconds) {
		best := p
		l.Best = &best
	}
}

// Passed tells whether the lab was ever passed.
func (l *Lab) Passed() bool { return l.FirstPass != nil }

// Tries is the number of checks.
func (l *Lab) Tries() int { return len(l.Checks) }
