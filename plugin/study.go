package plugin

import (
	"errors"
	"fmt"
	"io"
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

// A learner's progress through the labs, kept on this machine (labs/progress): lab up, check,
// show --hints and --solution record into it; lab list, progress and next read it. Recording
// never fails a command: a store that cannot be written is said once on stderr.

// progressStore is the store commands use; tests point it elsewhere through the environment
// (XDG_STATE_HOME, HOME, KUBECTL_NETPOL_STATE).
var progressStore = progress.Default

// recordLab records what happened to a lab, saying on errOut why it could not (a newer file, a
// corrupt one kept aside, a folder that cannot be written).
func recordLab(errOut io.Writer, lg lang.Lang, name string, record func(*progress.Lab)) {
	store, err := progressStore()
	if err == nil {
		err = store.Update(func(r *progress.Record) error {
			record(r.Lab(name))
			return nil
		})
	}
	warnProgress(errOut, lg, err)
}

// loadProgress reads the record for lab list, progress and next; on a problem it says so on
// errOut and goes on with what it could read (an empty record at worst).
func loadProgress(errOut io.Writer, lg lang.Lang) *progress.Record {
	store, err := progressStore()
	var r *progress.Record
	if err == nil {
		r, err = store.Load()
	}
	warnProgress(errOut, lg, err)
	if r == nil {
		r = &progress.Record{Labs: map[string]*progress.Lab{}}
	}
	return r
}

// lastVariant is the variant of lab's last `lab up` on this machine (0: the lab as written).
func lastVariant(errOut io.Writer, lg lang.Lang, lab string) int {
	if l, ok := loadProgress(errOut, lg).Labs[lab]; ok {
		return l.Variant
	}
	return 0
}

func warnProgress(errOut io.Writer, lg lang.Lang, err error) {
	var corrupt *progress.CorruptError
	var newer *progress.NewerError
	switch {
	case err == nil:
	case errors.As(err, &corrupt):
		fmt.Fprintln(errOut, lang.T(lg, "progress.corrupt", corrupt.Path, lang.Verbatim(corrupt.Err.Error()), corrupt.KeptAt))
	case errors.As(err, &newer):
		fmt.Fprintln(errOut, lang.T(lg, "progress.newer", newer.Path, newer.Version, progress.Env))
	default:
		fmt.Fprintln(errOut, lang.T(lg, "progress.not-recorded", lang.Verbatim(err.Error()), progress.Env))
	}
}

// labProgress is one lab's line of progress, as lab list, progress and next show it.
type labProgress struct {
	Status      string   `json:"status"` // passed, tried, new
	Tries       int      `json:"tries"`
	BestSeconds *float64 `json:"bestSeconds,omitempty"`
}

func progressOf(r *progress.Record, name string) labProgress {
	l, ok := r.Labs[name]
	switch {
	case !ok:
		return labProgress{Status: "new"}
	case l.Passed():
		p := labProgress{Status: "passed", Tries: l.Tries()}
		if l.Best != nil {
			p.BestSeconds = &l.Best.Seconds
		}
		return p
	case l.Tries() > 0:
		return labProgress{Status: "tried", Tries: l.Tries()}
	}
	return labProgress{Status: "new"}
}

// statusIn is a lab's progress as people read it in lg.
func statusIn(lg lang.Lang, p labProgress) string {
	switch p.Status {
	case "passed":
		return lang.T(lg, "progress.passed")
	case "tried":
		if p.Tries == 1 {
			return lang.T(lg, "progress.tried.once")
		}
		return lang.T(lg, "progress.tried", p.Tries)
	}
	return lang.T(lg, "progress.new")
}

// bestIn is the best time, or "-".
func bestIn(p labProgress) string {
	if p.BestSeconds == nil {
		return "-"
	}
	return (time.Duration(*p.BestSeconds) * time.Second).Round(time.Second).String()
}

// topicsNotPassed are the catalog's topics that no passed lab covers, in catalog order.
func topicsNotPassed(all []*labs.Lab, r *progress.Record) []string {
	passed := map[string]bool{}
	for _, l := range all {
		if progressOf(r, l.Name).Status == "passed" {
			for _, t := range l.Topics {
				passed[t] = true
			}
		}
	}
	var out []string
	for _, l := range all {
		for _, t := range l.Topics {
			if !passed[t] && !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// dataFlags are the flags of a command that prints data for people in their language, or for
// programs: -o table|json|yaml and --lang.
type dataFlags struct {
	Output string
	Lang   lang.Lang
	lang   langFlag
}

func (f *dataFlags) add(cmd *cobra.Command) {
	tableJSONYAML.add(cmd, &f.Output)
	f.lang.add(cmd)
}

// Validate checks the output format and picks the language.
func (f *dataFlags) Validate() (err error) {
	if err := tableJSONYAML.validate(f.Output); err != nil {
		return err
	}
	f.Lang, err = f.lang.resolve()
	return err
}

// newDataCmd is a command without arguments that prints data: its -o and --lang are checked
// before run.
func newDataCmd(use, short string, f *dataFlags, run func() error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := f.Validate(); err != nil {
				return err
			}
			return run()
		},
	}
	f.add(cmd)
	return cmd
}

// --- lab progress

// LabProgressOptions is `kubectl netpol lab progress`: the whole record.
type LabProgressOptions struct {
	genericiooptions.IOStreams
	dataFlags
}

func newLabProgressCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &LabProgressOptions{IOStreams: streams}
	cmd := newDataCmd("progress", "Show your progress through the labs: checks, hints, solutions, passes and times", &o.dataFlags, o.Run)
	cmd.Long = templates.LongDesc(`
			Show your progress through the labs, as this machine recorded it: when each lab
			went up, every check, how often you asked for hints and solutions, the first
			PASS and the best time from 'lab up' to a PASS, and the topics no passed lab
			covers yet.

			The record is a file in $XDG_STATE_HOME/kubectl-netpol (default
			~/.local/state/kubectl-netpol). KUBECTL_NETPOL_STATE=off keeps none.`)
	return cmd
}

// progressReport is lab progress's structured output.
type progressReport struct {
	Labs            []labRecord `json:"labs"`
	TopicsNotPassed []string    `json:"topicsNotPassed"`
}

type labRecord struct {
	Name string `json:"name"`
	labProgress
	*progress.Lab
}

func (o *LabProgressOptions) Run() error {
	all, err := labs.Catalog()
	if err != nil {
		return err
	}
	r := loadProgress(o.ErrOut, o.Lang)
	rep := progressReport{Labs: []labRecord{}, TopicsNotPassed: topicsNotPassed(all, r)}
	for _, l := range all {
		rec := r.Labs[l.Name]
		if rec == nil {
			rec = &progress.Lab{}
		}
		rep.Labs = append(rep.Labs, labRecord{Name: l.Name, labProgress: progressOf(r, l.Name), Lab: rec})
	}
	if o.Output != outputTable {
		return printStructured(o.Out, o.Output, rep)
	}
	lg := o.Lang
	w := render.NewTabWriter(o.Out)
	fmt.Fprintln(w, "LAB\tSTATUS\tUPS\tCHECKS\tHINTS\tSOLUTIONS\tFIRST PASS\tBEST")
	for _, l := range rep.Labs {
		first := "-"
		if l.FirstPass != nil {
			first = l.FirstPass.At.Local().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", l.Name, statusIn(lg, l.labProgress), len(l.Ups), len(l.Checks), len(l.Hints), len(l.Solutions), first, bestIn(l.labProgress))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if len(rep.TopicsNotPassed) == 0 {
		fmt.Fprintf(o.Out, "\n%s\n", lang.T(lg, "progress.all-topics"))
	} else {
		fmt.Fprintf(o.Out, "\n%s\n", lang.T(lg, "progress.topics-left", strings.Join(rep.TopicsNotPassed, ", ")))
	}
	fmt.Fprintf(o.Out, "%s\n", lang.T(lg, "progress.next", "kubectl netpol lab next"+o.lang.again()))
	return nil
}

// --- lab next

// LabNextOptions is `kubectl netpol lab next`: the lab to do next, and why.
type LabNextOptions struct {
	genericiooptions.IOStreams
	dataFlags
}

func newLabNextCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &LabNextOptions{IOStreams: streams}
	return newDataCmd("next", "Name the lab to do next, and why: the first one not passed, by level, on a topic not passed yet", &o.dataFlags, o.Run)
}

// nextLab is lab next's answer: the lab ("" when every lab is passed), why, and how to start it.
type nextLab struct {
	Lab     string   `json:"lab,omitempty"`
	Level   string   `json:"level,omitempty"`
	Status  string   `json:"status,omitempty"`
	Topics  []string `json:"newTopics,omitempty"` // its topics that no passed lab covers
	Reason  string   `json:"reason"`
	Command string   `json:"command,omitempty"`
}

// chooseNext picks the next lab: among the labs not passed, by level (easiest first) and then
// catalog order, the first with a topic no passed lab covers; else the first not passed.
func chooseNext(all []*labs.Lab, r *progress.Record) (*labs.Lab, []string) {
	var open []*labs.Lab
	for _, l := range all {
		if progressOf(r, l.Name).Status != "passed" {
			open = append(open, l)
		}
	}
	slices.SortStableFunc(open, func(a, b *labs.Lab) int {
		return slices.Index(labs.Levels, a.Level) - slices.Index(labs.Levels, b.Level)
	})
	notPassed := topicsNotPassed(all, r)
	for _, l := range open {
		var fresh []string
		for _, t := range l.Topics {
			if slices.Contains(notPassed, t) {
				fresh = append(fresh, t)
			}
		}
		if len(fresh) > 0 {
			return l, fresh
		}
	}
	if len(open) > 0 {
		return open[0], nil
	}
	return nil, nil
}

func (o *LabNextOptions) Run() error {
	all, err := labs.Catalog()
	if err != nil {
		return err
	}
	lg := o.Lang
	r := loadProgress(o.ErrOut, lg)
	l, fresh := chooseNext(all, r)
	var next nextLab
	if l == nil {
		next.Reason = lang.T(lg, "next.all-passed")
	} else {
		p := progressOf(r, l.Name)
		next = nextLab{Lab: l.Name, Level: l.Level, Status: p.Status, Topics: fresh, Command: "kubectl netpol lab up " + l.Name}
		level := levelIn(lg, l.Level)
		switch {
		case len(fresh) > 0 && p.Status == "tried":
			next.Reason = lang.T(lg, "next.why.tried-topics", level, p.Tries, strings.Join(fresh, ", "))
		case len(fresh) > 0:
			next.Reason = lang.T(lg, "next.why.topics", level, strings.Join(fresh, ", "))
		default:
			next.Reason = lang.T(lg, "next.why.level", level)
		}
	}
	if o.Output != outputTable {
		return printStructured(o.Out, o.Output, next)
	}
	if l == nil {
		fmt.Fprintln(o.Out, next.Reason)
		return nil
	}
	fmt.Fprintf(o.Out, "%s: %s\n", l.Name, l.Text(lg).Title)
	fmt.Fprintf(o.Out, "%s\n\n", next.Reason)
	fmt.Fprintf(o.Out, "%s\n", lang.T(lg, "next.start", next.Command+o.lang.again(), "kubectl netpol lab show "+l.Name+o.lang.again()))
	return nil
}
