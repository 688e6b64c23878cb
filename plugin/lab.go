package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-netpol/kubectl-netpol/labs"
	"github.com/kubectl-netpol/kubectl-netpol/labs/progress"
	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/plugin/render"
)

var labLong = templates.LongDesc(`
	Guided NetworkPolicy labs from CKA/CKAD study material.

	'lab up' creates a lab's namespaces, pods and services (and with --solution its
	policies); you read the task with 'lab show', write policies, and 'lab check'
	grades them. 'lab down' deletes exactly what 'lab up' created: every object it
	creates carries the labels app.kubernetes.io/managed-by=kubectl-netpol and
	netpol.lab/name=LAB, and nothing without them is ever changed or deleted.

	Your progress (labs up, checks, hints and solutions shown, passes and times) is
	kept on this machine, in $XDG_STATE_HOME/kubectl-netpol (default
	~/.local/state/kubectl-netpol): 'lab list' and 'lab progress' show it, 'lab next'
	picks from it. KUBECTL_NETPOL_STATE=off keeps none.`)

var labExample = templates.Examples(`
	# See the labs, then read one
	kubectl netpol lab list
	kubectl netpol lab show three-tier --hints

	# Set it up, with the solution applied, and look at it
	kubectl netpol lab up three-tier --solution
	kubectl netpol lab status three-tier

	# Run it beside existing namespaces of the same names, pulling images from a mirror
	kubectl netpol lab up three-tier --namespace-suffix=-2 --image-registry=mirror.example.com

	# Remove it
	kubectl netpol lab down three-tier

	# Your progress, and the lab to do next
	kubectl netpol lab progress
	kubectl netpol lab next`)

func newLabCmd(streams genericiooptions.IOStreams, cluster *clusterAccess) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "lab",
		Short:   "Guided NetworkPolicy labs: list, show, up, check, down, and your progress",
		Long:    labLong,
		Example: labExample,
		Args:    noArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newLabListCmd(streams), newLabShowCmd(streams), newLabUpCmd(streams, cluster),
		newLabStatusCmd(streams, cluster), newLabCheckCmd(streams, cluster), newLabDownCmd(streams, cluster),
		newLabProgressCmd(streams), newLabNextCmd(streams))
	return cmd
}

// completeLabNames offers the catalog's names for the LAB argument.
func completeLabNames(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	all, err := labs.Catalog()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	lg, err := langOf(cmd)
	if err != nil {
		lg = lang.En
	}
	var names []string
	for _, l := range all {
		names = append(names, l.Name+"\t"+l.Text(lg).Title)
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

func exactlyOneLab(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usageErrorf("%s needs the name of one lab; 'kubectl netpol lab list' shows them", cmd.CommandPath())
	}
	return nil
}

// renderFlags are the flags that decide how a lab is rendered, shared by show, up and check:
// its names, its images and the language of its texts.
type renderFlags struct {
	suffix   string
	registry string
	images   map[string]string
	lang     langFlag
	variant  int
	// variantGiven says --variant was on the command line; else the command follows the
	// variant that is up (lab check) or was brought up last (lab show).
	variantGiven func() bool
}

func (f *renderFlags) add(cmd *cobra.Command, withImages bool) {
	cmd.Flags().StringVar(&f.suffix, "namespace-suffix", "", "Append this to every namespace of the lab (e.g. -2), to run it beside namespaces of the same names")
	cmd.Flags().IntVar(&f.variant, "variant", 0, "The lab under other names and ports, drawn from this number (same number, same names; 0 is the lab as written)")
	f.variantGiven = func() bool { return cmd.Flags().Changed("variant") }
	f.lang.add(cmd)
	if withImages {
		cmd.Flags().StringVar(&f.registry, "image-registry", "", "Pull the lab's images from this registry (a mirror) instead of Docker Hub")
		cmd.Flags().StringToStringVar(&f.images, "image", nil, "Use this image for a role, e.g. --image client=my.registry/tools:1.0 (roles: client, server)")
	}
}

func (f *renderFlags) render(name string) (*labs.Rendered, error) {
	lg, err := f.lang.resolve()
	if err != nil {
		return nil, err
	}
	l, err := labs.Get(name)
	if err != nil {
		return nil, err
	}
	r, err := l.Render(labs.Options{NamespaceSuffix: f.suffix, ImageRegistry: f.registry, Images: f.images, Lang: lg, Variant: f.variant})
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return r, nil
}

// --- lab list

type LabListOptions struct {
	genericiooptions.IOStreams
	dataFlags
}

func newLabListCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &LabListOptions{IOStreams: streams}
	return newDataCmd("list", "List the labs, with your progress", &o.dataFlags, o.Run)
}

type labSummary struct {
	Name    string   `json:"name"`
	Title   string   `json:"title"`
	Level   string   `json:"level"`
	Topics  []string `json:"topics"`
	Summary string   `json:"goal"`
}

// labListRow is one lab of lab list: the catalog's summary and the learner's progress.
type labListRow struct {
	labSummary
	labProgress
}

func (o *LabListOptions) Run() error {
	all, err := labs.Catalog()
	if err != nil {
		return err
	}
	record := loadProgress(o.ErrOut, o.Lang)
	var rows []labListRow
	for _, l := range all {
		t := l.Text(o.Lang)
		rows = append(rows, labListRow{labSummary{Name: l.Name, Title: t.Title, Level: l.Level, Topics: l.Topics, Summary: t.Summary}, progressOf(record, l.Name)})
	}
	if o.Output != outputTable {
		return printStructured(o.Out, o.Output, rows)
	}
	w := render.NewTabWriter(o.Out)
	fmt.Fprintln(w, "NAME\tLEVEL\tTOPICS\tSTATUS\tBEST\tGOAL")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, levelIn(o.Lang, r.Level), strings.Join(r.Topics, ", "), statusIn(o.Lang, r.labProgress), bestIn(r.labProgress), r.Summary)
	}
	return w.Flush()
}

// --- lab show

type LabShowOptions struct {
	genericiooptions.IOStreams
	render   renderFlags
	Hints    bool
	Solution bool
	Output   string
	lab      *labs.Rendered
}

func newLabShowCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &LabShowOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "show LAB",
		Short: "Print a lab's task, steps and goal (--hints, --solution)",
		Example: templates.Examples(`
			kubectl netpol lab show dns-egress --hints
			# The solution, straight into the cluster
			kubectl netpol lab show dns-egress --solution | kubectl apply -f -`),
		Args:              exactlyOneLab,
		ValidArgsFunction: completeLabNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			if err := o.Complete(args[0]); err != nil {
				return err
			}
			return o.Run()
		},
	}
	o.render.add(cmd, false)
	cmd.Flags().BoolVar(&o.Hints, "hints", false, "Print the hints too")
	cmd.Flags().BoolVar(&o.Solution, "solution", false, "Print only the solution policies, ready for 'kubectl apply -f -'")
	tableJSONYAML.add(cmd, &o.Output)
	return cmd
}

// Validate checks the flags before anything is rendered.
func (o *LabShowOptions) Validate() error {
	if err := tableJSONYAML.validate(o.Output); err != nil {
		return err
	}
	if o.Solution && o.Output != outputTable {
		return usageErrorf("--solution prints the policies as YAML; it does not combine with -o")
	}
	return nil
}

// Complete renders the lab for the flags: without --variant, the variant brought up last on
// this machine (the progress record says which).
func (o *LabShowOptions) Complete(name string) (err error) {
	if !o.render.variantGiven() {
		lg, err := o.render.lang.resolve()
		if err != nil {
			return err
		}
		o.render.variant = lastVariant(o.ErrOut, lg, name)
	}
	o.lab, err = o.render.render(name)
	return err
}

func (o *LabShowOptions) Run() error {
	r := o.lab
	if (o.Solution || o.Hints) && examTaskOf(o.ErrOut, r.Options.Lang, r.Name) {
		return fmt.Errorf("%s", lang.T(r.Options.Lang, "exam.closed"))
	}
	if o.Solution {
		recordLab(o.ErrOut, r.Options.Lang, r.Name, func(l *progress.Lab) { l.RecordSolution(time.Now()) })
		return printSolution(o.Out, r)
	}
	if o.Hints {
		recordLab(o.ErrOut, r.Options.Lang, r.Name, func(l *progress.Lab) { l.RecordHints(time.Now()) })
	}
	if o.Output != outputTable {
		shown := struct {
			labSummary
			Lang       lang.Lang         `json:"lang"` // the language of the texts
			Namespaces []string          `json:"namespaces"`
			Task       string            `json:"task"`
			Steps      []string          `json:"steps"`
			Hints      []string          `json:"hints,omitempty"`
			GoalTable  []labs.Connection `json:"goalTable"`
		}{labSummary{r.Name, r.Title, r.Level, r.Topics, r.Summary}, r.Options.Lang.Or(), r.Namespaces, r.Task, r.Steps, nil, r.Goal}
		if o.Hints {
			shown.Hints = r.Hints
		}
		return printStructured(o.Out, o.Output, shown)
	}
	printLabText(o.Out, r, o.Hints, o.render.lang.again())
	return nil
}

// printLabText prints a lab's texts in the language it was rendered in; again is what the
// command it suggests must add to speak that language too.
func printLabText(out io.Writer, r *labs.Rendered, hints bool, again string) {
	lg := r.Options.Lang
	fmt.Fprintf(out, "%s: %s\n", r.Name, r.Title)
	if r.Options.Variant != 0 {
		fmt.Fprintln(out, lang.T(lg, "show.variant", r.Options.Variant))
	}
	fmt.Fprintln(out, lang.T(lg, "show.meta", levelIn(lg, r.Level), strings.Join(r.Topics, ", "), strings.Join(r.Namespaces, ", ")))
	fmt.Fprintf(out, "%s\n\n", lang.T(lg, "show.exam"))
	fmt.Fprintf(out, "%s\n%s\n", lang.T(lg, "show.task"), indent(strings.TrimSpace(r.Task), "  "))
	fmt.Fprintln(out, "\n"+lang.T(lg, "show.steps"))
	for i, s := range r.Steps {
		fmt.Fprintf(out, "  %d. %s\n", i+1, s)
	}
	if hints {
		fmt.Fprintln(out, "\n"+lang.T(lg, "show.hints"))
		for _, h := range r.Hints {
			fmt.Fprintf(out, "  - %s\n", h)
		}
	}
	fmt.Fprintln(out, "\n"+lang.T(lg, "show.goal"))
	w := render.NewTabWriter(out)
	fmt.Fprintln(w, "  FROM\tTO\tPORT\tEXPECTED")
	for _, c := range r.Goal {
		fmt.Fprintf(w, "  %s\t%s\t%d/%s\t%s\n", c.From, c.To, c.Port, c.Protocol, verdictIn(lg, c.Allowed))
	}
	_ = w.Flush()
	if !hints {
		fmt.Fprintf(out, "\n%s\n", lang.T(lg, "show.stuck", fmt.Sprintf("kubectl netpol lab show %s --hints%s", r.Name, again)))
	}
}

// printSolution prints the solution policies for 'kubectl apply -f -', headed by a comment
// table of what the policy evaluator computes for them on each goal row.
func printSolution(out io.Writer, r *labs.Rendered) error {
	results, err := r.EvaluateGoal(true)
	if err != nil {
		return err
	}
	lg := r.Options.Lang
	fmt.Fprintln(out, lang.T(lg, "solution.header", r.Name))
	var buf strings.Builder
	w := render.NewTabWriter(&buf)
	fmt.Fprintln(w, "FROM\tTO\tPORT\tGOAL\tEVALUATED")
	for _, g := range results {
		fmt.Fprintf(w, "%s\t%s\t%d/%s\t%s\t%s\n", g.From, g.To, g.Port, g.Protocol, verdictIn(lg, g.Allowed), verdictIn(lg, g.Got))
	}
	_ = w.Flush()
	for _, line := range strings.Split(strings.TrimRight(buf.String(), "\n"), "\n") {
		fmt.Fprintf(out, "#   %s\n", strings.TrimRight(line, " "))
	}
	_, err = io.WriteString(out, r.SolutionYAML)
	return err
}

// --- lab up

type LabUpOptions struct {
	genericiooptions.IOStreams
	cluster  *clusterAccess
	render   renderFlags
	Random   bool
	Solution bool
	Timeout  time.Duration
	lab      *labs.Rendered
	clients  labs.Clients
}

func newLabUpCmd(streams genericiooptions.IOStreams, cluster *clusterAccess) *cobra.Command {
	o := &LabUpOptions{IOStreams: streams, cluster: cluster}
	cmd := &cobra.Command{
		Use:               "up LAB",
		Short:             "Create a lab's namespaces, pods and services, and wait until they are Ready",
		Args:              exactlyOneLab,
		ValidArgsFunction: completeLabNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			if err := o.Complete(args[0]); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	o.render.add(cmd, true)
	cmd.Flags().BoolVar(&o.Random, "random", false, "Bring up a variant drawn at random (its number is printed: --variant N brings it up again)")
	cmd.Flags().BoolVar(&o.Solution, "solution", false, "Apply the solution policies as well")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", 3*time.Minute, "How long to wait for the lab's pods to become Ready")
	return cmd
}

// Validate checks the flags.
func (o *LabUpOptions) Validate() error {
	if o.Random && o.render.variantGiven() {
		return usageErrorf("--random draws the variant; it does not combine with --variant")
	}
	return validateTimeout(o.Timeout)
}

// Complete renders the lab (a variant drawn now, with --random) and connects to the cluster.
func (o *LabUpOptions) Complete(name string) (err error) {
	if o.Random {
		o.render.variant = 1 + rand.IntN(9999)
	}
	if o.lab, err = o.render.render(name); err != nil {
		return err
	}
	o.clients, err = o.cluster.labClients()
	return err
}

func (o *LabUpOptions) Run(ctx context.Context) error {
	r, clients := o.lab, o.clients
	lg := r.Options.Lang
	if o.Solution && examTaskOf(o.ErrOut, r.Options.Lang, r.Name) {
		return fmt.Errorf("%s", lang.T(lg, "exam.closed"))
	}
	// One variant of a lab at a time: lab check and lab down find the lab by its labels.
	if v, up, err := labs.VariantUp(ctx, clients.Kube, r.Name); err != nil {
		return err
	} else if up && v != r.Options.Variant {
		return errors.New(lang.T(lg, "up.variant-up", r.Name, v))
	}
	p := newActivity(o.ErrOut, "")
	p.Update(lang.T(lg, "up.progress", r.Name))
	started := time.Now()
	res, err := labs.Up(ctx, clients, r, labs.UpOptions{
		Solution: o.Solution,
		Timeout:  o.Timeout,
		Progress: func(ready, total int) { p.Update(lang.T(lg, "up.pods", ready, total)) },
	})
	p.Stop()
	if res != nil {
		for _, obj := range res.Objects {
			fmt.Fprintf(o.Out, "%s %s\n", obj.Object, obj.Change)
		}
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return errors.New(lang.T(lg, "up.interrupted", r.Name))
		}
		return err
	}
	recordLab(o.ErrOut, lg, r.Name, func(l *progress.Lab) {
		now := time.Now()
		l.Variant = r.Options.Variant
		l.RecordUp(now)
		if o.Solution {
			l.RecordSolution(now)
		}
	})
	again := o.render.lang.again()
	fmt.Fprintf(o.Out, "\n%s\n\n", lang.T(lg, "up.done", r.Name, time.Since(started).Seconds()))
	printLabText(o.Out, r, false, again)
	fmt.Fprintf(o.Out, "\n%s\n", lang.T(lg, "up.next", "kubectl netpol lab check "+r.Name+again, "kubectl netpol lab down "+r.Name))
	return nil
}

// --- lab status

type LabStatusOptions struct {
	genericiooptions.IOStreams
	cluster *clusterAccess
	dataFlags
	lab     string // empty: every lab
	clients labs.Clients
}

func newLabStatusCmd(streams genericiooptions.IOStreams, cluster *clusterAccess) *cobra.Command {
	o := &LabStatusOptions{IOStreams: streams, cluster: cluster}
	cmd := &cobra.Command{
		Use:               "status [LAB]",
		Short:             "Show which labs are up, their objects and readiness",
		ValidArgsFunction: completeLabNames,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageErrorf("status takes at most one lab name")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			if err := o.Complete(args); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	o.dataFlags.add(cmd)
	return cmd
}

// Complete checks the lab name, if any, and connects to the cluster.
func (o *LabStatusOptions) Complete(args []string) (err error) {
	if len(args) == 1 {
		if _, err := labs.Get(args[0]); err != nil {
			return err
		}
		o.lab = args[0]
	}
	o.clients, err = o.cluster.labClients()
	return err
}

func (o *LabStatusOptions) Run(ctx context.Context) error {
	name := o.lab
	sts, err := labs.Status(ctx, o.clients, name)
	if err != nil {
		return err
	}
	if o.Output != outputTable {
		if sts == nil {
			sts = []labs.LabStatus{}
		}
		return printStructured(o.Out, o.Output, sts)
	}
	if len(sts) == 0 {
		if name != "" {
			fmt.Fprintln(o.Out, lang.T(o.Lang, "status.not-up", name, "kubectl netpol lab up "+name))
		} else {
			fmt.Fprintln(o.Out, lang.T(o.Lang, "status.none"))
		}
		return nil
	}
	w := render.NewTabWriter(o.Out)
	fmt.Fprintln(w, "LAB\tNAMESPACES\tPODS READY\tSERVICES\tLAB POLICIES\tYOUR POLICIES\tSTATUS")
	for _, s := range sts {
		state := "ready"
		switch {
		case s.Terminating:
			state = "terminating"
		case s.ReadyPods() < len(s.Pods):
			state = "starting"
		}
		fmt.Fprintf(w, "%s\t%s\t%d/%d\t%d\t%d\t%d\t%s\n", s.Lab, strings.Join(s.Namespaces, ","), s.ReadyPods(), len(s.Pods), len(s.Services), len(s.Policies), len(s.OtherPolicies), state)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if name == "" {
		return nil
	}
	s := sts[0]
	fmt.Fprintln(o.Out)
	w = render.NewTabWriter(o.Out)
	fmt.Fprintln(w, "POD\tREADY\tPHASE\tIP\tNOTE")
	for _, p := range s.Pods {
		fmt.Fprintf(w, "%s\t%t\t%s\t%s\t%s\n", p.Name, p.Ready, p.Phase, p.IP, p.Why)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	none := lang.T(o.Lang, "status.nothing")
	fmt.Fprintf(o.Out, "\n%s\n", lang.T(o.Lang, "status.services", orNone(s.Services, none)))
	fmt.Fprintln(o.Out, lang.T(o.Lang, "status.lab-policies", orNone(s.Policies, none)))
	fmt.Fprintln(o.Out, lang.T(o.Lang, "status.your-policies", orNone(s.OtherPolicies, none)))
	if len(s.ClusterPolicies) > 0 {
		fmt.Fprintln(o.Out, lang.T(o.Lang, "status.cluster-policies", strings.Join(s.ClusterPolicies, ", ")))
	}
	return nil
}

// --- lab down

type LabDownOptions struct {
	genericiooptions.IOStreams
	cluster *clusterAccess
	Timeout time.Duration
	Lang    lang.Lang
	lang    langFlag
	lab     string
	clients labs.Clients
}

func newLabDownCmd(streams genericiooptions.IOStreams, cluster *clusterAccess) *cobra.Command {
	o := &LabDownOptions{IOStreams: streams, cluster: cluster}
	cmd := &cobra.Command{
		Use:               "down LAB",
		Short:             "Delete what 'lab up' created, and wait until it is gone",
		Args:              exactlyOneLab,
		ValidArgsFunction: completeLabNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			if err := o.Complete(args[0]); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().DurationVar(&o.Timeout, "timeout", 3*time.Minute, "How long to wait for the lab's namespaces to terminate")
	o.lang.add(cmd)
	return cmd
}

// Validate checks the flags and picks the language.
func (o *LabDownOptions) Validate() (err error) {
	if o.Lang, err = o.lang.resolve(); err != nil {
		return err
	}
	return validateTimeout(o.Timeout)
}

// Complete checks the lab name and connects to the cluster.
func (o *LabDownOptions) Complete(name string) (err error) {
	if _, err := labs.Get(name); err != nil {
		return err
	}
	o.lab = name
	o.clients, err = o.cluster.labClients()
	return err
}

func (o *LabDownOptions) Run(ctx context.Context) error {
	name, clients := o.lab, o.clients
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	p := newActivity(o.ErrOut, "")
	p.Update(lang.T(o.Lang, "down.progress", name))
	res, err := labs.Down(ctx, clients, name, p.Update)
	p.Stop()
	if res != nil {
		for _, d := range res.Deleted {
			fmt.Fprintf(o.Out, "%s deleted\n", d)
		}
		for _, k := range res.Kept {
			var why []string
			if len(k.Foreign) > 0 {
				why = append(why, lang.T(o.Lang, "down.foreign", strings.Join(k.Foreign, ", ")))
			}
			if len(k.Unverified) > 0 {
				why = append(why, lang.T(o.Lang, "down.unverified", strings.Join(k.Unverified, "; ")))
			}
			fmt.Fprintln(o.Out, lang.T(o.Lang, "down.kept", k.Name, strings.Join(why, lang.T(o.Lang, "down.and")), "kubectl delete namespace "+k.Name))
		}
	}
	if err != nil {
		return err
	}
	if len(res.Deleted) == 0 && len(res.Kept) == 0 {
		fmt.Fprintln(o.Out, lang.T(o.Lang, "down.nothing", name))
	}
	return nil
}

// --- shared helpers

// labClients connects and returns the clients the lab lifecycle needs. Watches get a client
// without the request timeout, which would otherwise cut them off every few seconds.
func (a *clusterAccess) labClients() (labs.Clients, error) {
	c, err := a.Connect()
	if err != nil {
		return labs.Clients{}, err
	}
	dyn, err := dynamic.NewForConfig(c.RESTConfig)
	if err != nil {
		return labs.Clients{}, err
	}
	watchCfg := typedConfig(c.RESTConfig) // a copy, in protobuf as c.Client
	watchCfg.Timeout = 0
	watch, err := kubernetes.NewForConfig(watchCfg)
	if err != nil {
		return labs.Clients{}, err
	}
	meta, err := metadata.NewForConfig(c.RESTConfig)
	if err != nil {
		return labs.Clients{}, err
	}
	return labs.Clients{Kube: c.Client, Dynamic: dyn, Metadata: meta, Watch: watch}, nil
}

func validateTimeout(d time.Duration) error {
	if d <= 0 {
		return usageErrorf("--timeout must be positive, e.g. --timeout=3m")
	}
	return nil
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// orNone lists items, or says none.
func orNone(items []string, none string) string {
	if len(items) == 0 {
		return none
	}
	return strings.Join(items, ", ")
}
