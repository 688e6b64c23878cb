package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-netpol/kubectl-netpol/labs"
	"github.com/kubectl-netpol/kubectl-netpol/labs/progress"
	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/plugin/render"
)

// The exam: several lab variants as exam tasks, under a clock, no hints, graded at the end, as
// the CKA and CKAD grade (a pass mark of 66%). Its state is the progress record's (Record.Exam),
// on this machine; what it creates in the cluster is the labs' own (lab down's rules).

// examPassMark is the CKA's pass mark, in percent.
const examPassMark = 66.0

// levelWeight weighs a task by its lab's level: an advanced task counts three times a beginner's.
var levelWeight = map[string]int{"beginner": 1, "intermediate": 2, "advanced": 3}

var examLong = templates.LongDesc(`
	A mock exam on your cluster: 'exam start' brings up several labs, each as a variant
	(other names and ports) and worded as an exam task, and starts the clock. Hints
	and solutions are closed while it runs, and so is 'lab check' on its tasks.
	'exam submit' (also after the deadline, marked late) grades every task as
	'lab check' does, weighs them by level, and prints a score with the CKA's pass
	mark of 66%; 'exam review' then shows the hints and solutions. 'exam end' removes
	everything the exam created, by the same rules as 'lab down'. 'exam history'
	lists your results.`)

var examExample = templates.Examples(`
	# Four tasks, 30 minutes
	kubectl netpol exam start
	# Three intermediate tasks in 20 minutes, the same ones again with the same seed
	kubectl netpol exam start --tasks 3 --level intermediate --duration 20m --seed 42
	kubectl netpol exam status
	kubectl netpol exam submit
	kubectl netpol exam review
	kubectl netpol exam end`)

func newExamCmd(streams genericiooptions.IOStreams, cluster *clusterAccess) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "exam",
		Short:   "A timed mock exam: lab variants as tasks, no hints, graded with a score",
		Long:    examLong,
		Example: examExample,
		Args:    noArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newExamStartCmd(streams, cluster), newExamStatusCmd(streams), newExamSubmitCmd(streams, cluster),
		newExamReviewCmd(streams), newExamEndCmd(streams, cluster), newExamHistoryCmd(streams))
	return cmd
}

// currentExam is the exam of the progress record, nil when none.
func currentExam(errOut io.Writer, lg lang.Lang) *progress.Exam { return loadProgress(errOut, lg).Exam }

// examTaskOf says whether lab is a task of the exam that runs; lab show --hints and --solution
// and lab check refuse then.
func examTaskOf(errOut io.Writer, lg lang.Lang, lab string) bool {
	e := currentExam(errOut, lg)
	return e.Running() && slices.ContainsFunc(e.Tasks, func(t progress.Task) bool { return t.Lab == lab })
}

// saveExam writes the exam into the progress record. Unlike a lab's record, an exam that is not
// kept is an error: without it, nothing could be submitted or ended.
func saveExam(lg lang.Lang, update func(*progress.Record) error) error {
	store, err := progressStore()
	if err != nil {
		return err
	}
	if store.Off() {
		return errors.New(lang.T(lg, "exam.state-off", progress.Env))
	}
	err = store.Update(update)
	var corrupt *progress.CorruptError
	if errors.As(err, &corrupt) {
		return nil // kept aside and written anew: the exam is in the new file
	}
	return err
}

// renderTask renders a task's lab variant in lg.
func renderTask(t progress.Task, lg lang.Lang) (*labs.Rendered, error) {
	l, err := labs.Get(t.Lab)
	if err != nil {
		return nil, err
	}
	return l.Render(labs.Options{Variant: t.Variant, Lang: lg})
}

// --- exam start

type ExamStartOptions struct {
	genericiooptions.IOStreams
	cluster  *clusterAccess
	Tasks    int
	Duration time.Duration
	Level    string
	Seed     int64
	Timeout  time.Duration
	lang     langFlag
	Lang     lang.Lang
}

func newExamStartCmd(streams genericiooptions.IOStreams, cluster *clusterAccess) *cobra.Command {
	o := &ExamStartOptions{IOStreams: streams, cluster: cluster}
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Bring up the exam's tasks and start the clock",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(cmd); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().IntVar(&o.Tasks, "tasks", 4, "How many tasks (each a different lab)")
	cmd.Flags().DurationVar(&o.Duration, "duration", 30*time.Minute, "How long the exam lasts")
	cmd.Flags().StringVar(&o.Level, "level", "", "Only labs of this level: "+strings.Join(labs.Levels, ", "))
	cmd.Flags().Int64Var(&o.Seed, "seed", 0, "Draw the tasks from this number (the same number gives the same exam; default: drawn at random)")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", 5*time.Minute, "How long to wait for the tasks' pods to become Ready")
	o.lang.add(cmd)
	return cmd
}

// Validate checks the flags and draws a seed when none was given.
func (o *ExamStartOptions) Validate(cmd *cobra.Command) (err error) {
	switch {
	case o.Tasks < 1:
		return usageErrorf("--tasks must be at least 1")
	case o.Duration <= 0:
		return usageErrorf("--duration must be positive, e.g. --duration=30m")
	case o.Level != "" && !slices.Contains(labs.Levels, o.Level):
		return usageErrorf("--level %q: use one of %s", o.Level, strings.Join(labs.Levels, ", "))
	}
	if err := validateTimeout(o.Timeout); err != nil {
		return err
	}
	if !cmd.Flags().Changed("seed") {
		o.Seed = 1 + rand.Int64N(1_000_000)
	}
	o.Lang, err = o.lang.resolve()
	return err
}

// drawTasks draws the exam: n different labs (of level, if given) in a seeded order, each as
// a variant whose namespaces no other task uses, weighed by level into percents.
func drawTasks(seed int64, n int, level string) ([]progress.Task, error) {
	all, err := labs.Catalog()
	if err != nil {
		return nil, err
	}
	var pool []*labs.Lab
	for _, l := range all {
		// Only labs that every cluster can run: a lab that needs CRDs would stop an exam
		// half set up on a cluster that lacks them.
		if (level == "" || l.Level == level) && !l.NeedsCRDs() {
			pool = append(pool, l)
		}
	}
	if n > len(pool) {
		return nil, usageErrorf("--tasks %d: there are only %d labs%s", n, len(pool), map[bool]string{true: " of level " + level, false: ""}[level != ""])
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6578616d)) // "exam"
	rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	taken := map[string]bool{}
	var tasks []progress.Task
	total := 0
	for _, l := range pool[:n] {
		t := progress.Task{Lab: l.Name, Weight: levelWeight[l.Level]}
		for tries := 0; ; tries++ {
			if tries == 100 {
				return nil, fmt.Errorf("no variant of %s with namespaces of its own in this exam", l.Name)
			}
			t.Variant = 1 + rng.IntN(9999)
			r, err := l.Render(labs.Options{Variant: t.Variant})
			if err != nil {
				return nil, err
			}
			if !slices.ContainsFunc(r.Namespaces, func(ns string) bool { return taken[ns] }) {
				for _, ns := range r.Namespaces {
					taken[ns] = true
				}
				break
			}
		}
		total += t.Weight
		tasks = append(tasks, t)
	}
	// Weights in whole percents that add up to 100: the last task takes the rounding.
	left := 100
	for i := range tasks {
		if i == len(tasks)-1 {
			tasks[i].Weight = left
			break
		}
		tasks[i].Weight = tasks[i].Weight * 100 / total
		left -= tasks[i].Weight
	}
	return tasks, nil
}

func (o *ExamStartOptions) Run(ctx context.Context) error {
	lg := o.Lang
	if e := currentExam(o.ErrOut, lg); e != nil {
		return fmt.Errorf("%s", lang.T(lg, "exam.already", e.Started.Local().Format("15:04"), len(e.Tasks)))
	}
	tasks, err := drawTasks(o.Seed, o.Tasks, o.Level)
	if err != nil {
		return err
	}
	clients, err := o.cluster.labClients()
	if err != nil {
		return err
	}
	// A task's lab may not be up already: the exam brings up its own variant.
	for _, t := range tasks {
		if _, up, err := labs.VariantUp(ctx, clients.Kube, t.Lab); err != nil {
			return err
		} else if up {
			return errors.New(lang.T(lg, "exam.task-up", t.Lab))
		}
	}
	exam := &progress.Exam{Seed: o.Seed, Tasks: tasks}
	// The exam is recorded before anything is created, so that exam end can always remove it.
	if err := saveExam(lg, func(r *progress.Record) error { r.Exam = exam; return nil }); err != nil {
		return err
	}
	p := newActivity(o.ErrOut, "")
	for i, t := range tasks {
		r, err := renderTask(t, lg)
		if err != nil {
			p.Stop()
			return err
		}
		p.Update(lang.T(lg, "exam.progress", i+1, len(tasks)))
		if _, err := labs.Up(ctx, clients, r, labs.UpOptions{Timeout: o.Timeout}); err != nil {
			p.Stop()
			return fmt.Errorf("%s", lang.T(lg, "exam.task-failed", i+1, t.Lab, lang.Verbatim(err.Error())))
		}
	}
	p.Stop()
	// The clock starts once every task is up; each task's lab went up then, as that variant.
	exam.Started = time.Now()
	exam.Deadline = exam.Started.Add(o.Duration)
	if err := saveExam(lg, func(r *progress.Record) error {
		r.Exam = exam
		for _, t := range tasks {
			r.Lab(t.Lab).Variant = t.Variant
			r.Lab(t.Lab).RecordUp(exam.Started)
		}
		return nil
	}); err != nil {
		return err
	}
	fmt.Fprintln(o.Out, lang.T(lg, "exam.started", len(tasks), o.Duration.Round(time.Second), exam.Deadline.Local().Format("15:04:05"), o.Seed))
	return printExamTasks(o.Out, exam, lg)
}

// printExamTasks prints each task as an exam words it: where, what, and the goal table.
func printExamTasks(out io.Writer, e *progress.Exam, lg lang.Lang) error {
	for i, t := range e.Tasks {
		r, err := renderTask(t, lg)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "\n%s\n", lang.T(lg, "exam.task", i+1, t.Weight, r.Title))
		fmt.Fprintln(out, indent(lang.T(lg, "exam.task.where", strings.Join(r.Namespaces, ", ")), "  "))
		fmt.Fprintln(out, indent(strings.TrimSpace(r.Task), "  "))
		w := render.NewTabWriter(out)
		fmt.Fprintln(w, "  FROM\tTO\tPORT\tEXPECTED")
		for _, c := range r.Goal {
			fmt.Fprintf(w, "  %s\t%s\t%d/%s\t%s\n", c.From, c.To, c.Port, c.Protocol, verdictIn(lg, c.Allowed))
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// --- exam status

type ExamStatusOptions struct {
	genericiooptions.IOStreams
	dataFlags
}

func newExamStatusCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &ExamStatusOptions{IOStreams: streams}
	return newDataCmd("status", "The time left and the tasks", &o.dataFlags, o.Run)
}

type examStatus struct {
	*progress.Exam
	Running     bool    `json:"running"`
	SecondsLeft float64 `json:"secondsLeft"` // negative after the deadline
}

func (o *ExamStatusOptions) Run() error {
	lg := o.Lang
	e := currentExam(o.ErrOut, lg)
	if e == nil {
		return fmt.Errorf("%s", lang.T(lg, "exam.none"))
	}
	left := time.Until(e.Deadline)
	if o.Output != outputTable {
		return printStructured(o.Out, o.Output, examStatus{e, e.Running(), left.Seconds()})
	}
	switch {
	case !e.Running():
		fmt.Fprintln(o.Out, lang.T(lg, "exam.status.submitted", e.Result.Score))
	case left >= 0:
		fmt.Fprintln(o.Out, lang.T(lg, "exam.status.left", left.Round(time.Second), e.Deadline.Local().Format("15:04:05")))
	default:
		fmt.Fprintln(o.Out, lang.T(lg, "exam.status.over", (-left).Round(time.Second)))
	}
	return printExamTasks(o.Out, e, lg)
}

// --- exam submit

type ExamSubmitOptions struct {
	genericiooptions.IOStreams
	cluster    *clusterAccess
	probeFlags probeFlags
	StaticOnly bool
	dataFlags
}

func newExamSubmitCmd(streams genericiooptions.IOStreams, cluster *clusterAccess) *cobra.Command {
	o := &ExamSubmitOptions{IOStreams: streams, cluster: cluster}
	cmd := &cobra.Command{
		Use:   "submit",
		Short: "Grade every task, weigh them, and print the score against the pass mark (66%)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.dataFlags.Validate(); err != nil {
				return err
			}
			if err := o.probeFlags.validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().BoolVar(&o.StaticOnly, "static-only", false, "Grade through the evaluator only; no probes")
	// The tasks' pods are a lab's: they have their clients, and nothing is ever injected.
	o.probeFlags.addTimeoutAndImage(cmd)
	o.dataFlags.add(cmd)
	return cmd
}

func (o *ExamSubmitOptions) Run(ctx context.Context) error {
	lg := o.Lang
	e := currentExam(o.ErrOut, lg)
	switch {
	case e == nil:
		return fmt.Errorf("%s", lang.T(lg, "exam.none"))
	case !e.Running():
		return fmt.Errorf("%s", lang.T(lg, "exam.submitted-already"))
	case e.Started.IsZero():
		return fmt.Errorf("%s", lang.T(lg, "exam.not-started"))
	}
	now := time.Now()
	res := &progress.ExamResult{Seed: e.Seed, Started: e.Started, Submitted: now, Late: now.After(e.Deadline), PassMark: examPassMark}
	for _, t := range e.Tasks {
		r, err := renderTask(t, lg)
		if err != nil {
			return err
		}
		check := &LabCheckOptions{IOStreams: o.IOStreams, cluster: o.cluster, probeFlags: o.probeFlags, StaticOnly: o.StaticOnly, Output: o.Output, lab: r}
		rep, _, err := check.grade(ctx)
		if err != nil {
			return fmt.Errorf("grading %s: %w", t.Lab, err)
		}
		tr := progress.TaskResult{Task: t, Verdict: rep.Verdict, Right: rep.right(), Total: len(rep.Static), Live: rep.probed()}
		for _, g := range rep.Static {
			if !g.Correct {
				tr.Wrong = append(tr.Wrong, lang.T(lg, "exam.wrong.static", g.From, g.To, g.Port, g.Protocol, verdictIn(lg, g.Allowed), verdictIn(lg, g.Evaluated)))
			}
		}
		// A live row is said only where the policies are right and the packets are not: where
		// they are wrong, the static line above says it already.
		for i, ob := range rep.Live {
			if ob.Judgement == "wrong" && ob.Observed != nil && rep.Static[i].Correct {
				tr.Wrong = append(tr.Wrong, lang.T(lg, "exam.wrong.live", ob.From, ob.To, ob.Port, ob.Protocol, verdictIn(lg, ob.Expected), ob.Outcome))
			}
		}
		if tr.Verdict == "PASS" {
			res.Score += float64(t.Weight)
		}
		res.Tasks = append(res.Tasks, tr)
	}
	res.Passed = res.Score >= examPassMark
	if err := saveExam(lg, func(r *progress.Record) error {
		if r.Exam != nil {
			r.Exam.Result = res
		}
		r.Exams = append(r.Exams, *res)
		// Each task is a check of its lab too: a task passed is a lab passed (lab list, next).
		for _, tr := range res.Tasks {
			r.Lab(tr.Lab).RecordCheck(progress.Check{At: now, Verdict: tr.Verdict, Right: tr.Right, Total: tr.Total, Live: tr.Live, Variant: tr.Variant})
		}
		return nil
	}); err != nil {
		return err
	}
	if o.Output != outputTable {
		if err := printStructured(o.Out, o.Output, res); err != nil {
			return err
		}
	} else {
		printExamResult(o.Out, res, lg)
	}
	if !res.Passed {
		return &silentExit{code: 1}
	}
	return nil
}

func printExamResult(out io.Writer, res *progress.ExamResult, lg lang.Lang) {
	for i, t := range res.Tasks {
		fmt.Fprintf(out, "%s\n", lang.T(lg, "exam.result.task", i+1, t.Lab, t.Variant, t.Weight, t.Verdict, t.Right, t.Total))
		for _, w := range t.Wrong {
			fmt.Fprintf(out, "    - %s\n", w)
		}
	}
	verdict := "FAIL"
	if res.Passed {
		verdict = "PASS"
	}
	late := ""
	if res.Late {
		late = " " + lang.T(lg, "exam.late")
	}
	fmt.Fprintf(out, "\n%s%s\n", lang.T(lg, "exam.result", verdict, res.Score, res.PassMark), late)
	fmt.Fprintln(out, lang.T(lg, "exam.after"))
}

// --- exam review

type ExamReviewOptions struct {
	genericiooptions.IOStreams
	lang langFlag
}

func newExamReviewCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &ExamReviewOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "review",
		Short: "After 'exam submit': each task's hints and solution",
		Args:  noArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return o.Run() },
	}
	o.lang.add(cmd)
	return cmd
}

func (o *ExamReviewOptions) Run() error {
	lg, err := o.lang.resolve()
	if err != nil {
		return err
	}
	e := currentExam(o.ErrOut, lg)
	switch {
	case e == nil:
		return fmt.Errorf("%s", lang.T(lg, "exam.none"))
	case e.Running():
		return fmt.Errorf("%s", lang.T(lg, "exam.closed"))
	}
	for i, t := range e.Tasks {
		r, err := renderTask(t, lg)
		if err != nil {
			return err
		}
		fmt.Fprintf(o.Out, "%s\n", lang.T(lg, "exam.task", i+1, t.Weight, r.Title))
		fmt.Fprintln(o.Out, lang.T(lg, "show.hints"))
		for _, h := range r.Hints {
			fmt.Fprintf(o.Out, "  - %s\n", h)
		}
		fmt.Fprintln(o.Out)
		if err := printSolution(o.Out, r); err != nil {
			return err
		}
		fmt.Fprintln(o.Out)
		recordLab(o.ErrOut, lg, t.Lab, func(l *progress.Lab) { now := time.Now(); l.RecordHints(now); l.RecordSolution(now) })
	}
	return nil
}

// --- exam end

type ExamEndOptions struct {
	genericiooptions.IOStreams
	cluster *clusterAccess
	Timeout time.Duration
	lang    langFlag
}

func newExamEndCmd(streams genericiooptions.IOStreams, cluster *clusterAccess) *cobra.Command {
	o := &ExamEndOptions{IOStreams: streams, cluster: cluster}
	cmd := &cobra.Command{
		Use:   "end",
		Short: "Remove everything the exam created (as 'lab down' does) and close it",
		Args:  noArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return o.Run(cmd.Context()) },
	}
	cmd.Flags().DurationVar(&o.Timeout, "timeout", 3*time.Minute, "How long to wait for the tasks' namespaces to terminate")
	o.lang.add(cmd)
	return cmd
}

func (o *ExamEndOptions) Run(ctx context.Context) error {
	if err := validateTimeout(o.Timeout); err != nil {
		return err
	}
	lg, err := o.lang.resolve()
	if err != nil {
		return err
	}
	e := currentExam(o.ErrOut, lg)
	if e == nil {
		fmt.Fprintln(o.Out, lang.T(lg, "exam.none.end"))
		return nil
	}
	clients, err := o.cluster.labClients()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	for _, t := range e.Tasks {
		down := &LabDownOptions{IOStreams: o.IOStreams, Timeout: o.Timeout, Lang: lg, lab: t.Lab, clients: clients}
		if err := down.Run(ctx); err != nil {
			return fmt.Errorf("removing task %s: %w (the exam stays open: run 'kubectl netpol exam end' again)", t.Lab, err)
		}
	}
	return saveExam(lg, func(r *progress.Record) error { r.Exam = nil; return nil })
}

// --- exam history

type ExamHistoryOptions struct {
	genericiooptions.IOStreams
	dataFlags
}

func newExamHistoryCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &ExamHistoryOptions{IOStreams: streams}
	return newDataCmd("history", "Your exam results", &o.dataFlags, o.Run)
}

func (o *ExamHistoryOptions) Run() error {
	lg := o.Lang
	results := loadProgress(o.ErrOut, lg).Exams
	if results == nil {
		results = []progress.ExamResult{}
	}
	if o.Output != outputTable {
		return printStructured(o.Out, o.Output, results)
	}
	if len(results) == 0 {
		fmt.Fprintln(o.Out, lang.T(lg, "exam.history.none"))
		return nil
	}
	w := render.NewTabWriter(o.Out)
	fmt.Fprintln(w, "SUBMITTED\tTASKS\tSCORE\tRESULT\tLATE\tSEED")
	for _, r := range results {
		verdict := "FAIL"
		if r.Passed {
			verdict = "PASS"
		}
		passed := 0
		for _, t := range r.Tasks {
			if t.Verdict == "PASS" {
				passed++
			}
		}
		fmt.Fprintf(w, "%s\t%d/%d\t%.0f%%\t%s\t%t\t%d\n", r.Submitted.Local().Format("2006-01-02 15:04"), passed, len(r.Tasks), r.Score, verdict, r.Late, r.Seed)
	}
	return w.Flush()
}
