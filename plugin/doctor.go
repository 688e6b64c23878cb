package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-netpol/kubectl-netpol/checks"
	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/plugin/render"
	"github.com/kubectl-netpol/kubectl-netpol/policy"
	"github.com/kubectl-netpol/kubectl-netpol/probe"
)

var doctorExample = templates.Examples(`
	# Why doesn't my NetworkPolicy work? Diagnose the current namespace
	kubectl netpol doctor

	# Every namespace; fail (exit 1) on warnings too
	kubectl netpol doctor -A --fail-on warning

	# Prove that the network plugin enforces NetworkPolicy (creates and deletes a scratch namespace)
	kubectl netpol doctor --active

	# Policy files in CI, before they reach a cluster
	kubectl netpol doctor -f k8s/ -o json

	# Only the DNS check; everything but coverage
	kubectl netpol doctor --check dns
	kubectl netpol doctor --skip NP5001

	# The findings and their fixes in Japanese (IDs, names, commands and YAML stay as they are)
	kubectl netpol doctor --lang ja`)

// maxLiveDNSNamespaces bounds the live DNS lookups, one exec per namespace.
const maxLiveDNSNamespaces = 20

// DoctorOptions is `kubectl netpol doctor`.
type DoctorOptions struct {
	genericiooptions.IOStreams
	cluster *clusterAccess
	probeFlags

	files         fileFlags
	AllNamespaces bool
	Active        bool
	LiveDNS       bool
	noLive        bool // the old opt-out, now the default; accepted and ignored
	FailOn        string
	Checks, Skip  []string
	Output        string
	// Lang is the language of the findings and of doctor's own words (--lang, else the
	// environment); JSON and YAML keep their English keys.
	Lang lang.Lang
	lang langFlag
}

func newDoctorCmd(streams genericiooptions.IOStreams, cluster *clusterAccess) *cobra.Command {
	o := &DoctorOptions{IOStreams: streams, cluster: cluster}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Diagnose why NetworkPolicies do not do what you expect",
		Long: templates.LongDesc(`
			Diagnose why NetworkPolicies do not do what you expect: which network plugin
			runs and whether it enforces NetworkPolicy, namespace labels that
			namespaceSelectors expect, DNS egress, selectors that select nothing, pods no
			policy covers. Each finding has a stable ID (docs/checks.md), a severity and a
			fix to paste. Passing checks are listed too.

			Doctor only reads, unless asked: --live-dns also runs a name lookup (nslookup
			kubernetes.default) by exec in one pod of each namespace with egress-isolated
			pods, at most 20 (exec into workloads is a permission a cluster administrator
			grants with care, so it is off by default); --active creates a scratch
			namespace with a server, a client and a deny policy, probes, and deletes it all.

			Exit status: 0 unless a finding reaches --fail-on (default error), then 1.`),
		Example: doctorExample,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	o.files.add(cmd, "to check instead of the cluster (static checks only)")
	cmd.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "Every namespace, not only the current one")
	cmd.Flags().BoolVar(&o.Active, "active", false, "Prove enforcement: create a scratch namespace, probe before and after a deny policy, delete it")
	cmd.Flags().BoolVar(&o.LiveDNS, "live-dns", false, "Also look names up by exec (nslookup) inside one pod of each namespace with egress-isolated pods (at most 20); --check NP3005 asks for it too")
	cmd.Flags().BoolVar(&o.noLive, "no-live", false, "No live DNS lookups (the default now)")
	_ = cmd.Flags().MarkDeprecated("no-live", "the live DNS lookup runs only with --live-dns")
	cmd.Flags().StringVar(&o.FailOn, "fail-on", string(checks.SeverityError), "Exit 1 when a finding is at least this severe: error, warning, info or never")
	cmd.Flags().StringSliceVar(&o.Checks, "check", nil, "Run only these checks: names (cni, foreign-policies, namespace-labels, dns, selectors, coverage, cluster-tier) or IDs such as NP3002, which report only that finding")
	cmd.Flags().StringSliceVar(&o.Skip, "skip", nil, "Skip these checks (names) or findings (IDs)")
	o.probeFlags.addTimeoutAndImage(cmd)
	cmd.Flag("probe-image").Usage = "Image of the --active test's server and client pods (needs httpd and wget)"
	tableJSONYAML.add(cmd, &o.Output)
	o.lang.add(cmd)
	cmd.Flag("lang").Usage = "Language of the findings, their fixes and the report's words: " + strings.Join(lang.Names(), ", ") +
		" (default: from LANGUAGE, LC_ALL, LC_MESSAGES or LANG, as gettext reads them, else en); IDs, names, commands, YAML and the PASS/FAIL marks stay as they are"
	return cmd
}

// Validate checks the flags and picks the language.
func (o *DoctorOptions) Validate() error {
	var err error
	if o.Lang, err = o.lang.resolve(); err != nil {
		return err
	}
	if err := tableJSONYAML.validate(o.Output); err != nil {
		return err
	}
	switch o.FailOn {
	case "error", "warning", "info", "never":
	default:
		return usageErrorf("--fail-on %q: use error, warning, info or never", o.FailOn)
	}
	for _, c := range append(slices.Clone(o.Checks), o.Skip...) {
		if !checks.Known(c) {
			return usageErrorf("no check %q; see docs/checks.md for the IDs, or use a name: cni, foreign-policies, namespace-labels, dns, selectors, coverage, cluster-tier, active", c)
		}
	}
	for _, c := range o.Checks {
		if checks.IsActive(c) && !o.Active {
			return usageErrorf("--check %s: that finding comes from the active test; add --active", c)
		}
	}
	if o.Active && o.files.given() {
		return usageErrorf("--active tests a cluster; it cannot be combined with -f")
	}
	return o.probeFlags.validate()
}

// doctorReport is doctor's structured output.
type doctorReport struct {
	Scope    string           `json:"scope"`
	Findings []checks.Finding `json:"findings"`
	Summary  doctorSummary    `json:"summary"`
}

type doctorSummary struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Info     int `json:"info"`
	Passed   int `json:"passed"`
	Skipped  int `json:"skipped"`
}

// Run gathers, checks and prints.
func (o *DoctorOptions) Run(ctx context.Context) error {
	rep := doctorReport{}
	var err error
	if o.files.given() {
		rep.Scope = lang.T(o.Lang, "doctor.scope.static", o.files.in(o.Lang))
		objs, err := o.files.readAll(o.cluster, o.ErrOut) // refused policies are findings
		if err != nil {
			return err
		}
		in, err := checks.FromObjects(objs, "", false)
		if err != nil {
			return err
		}
		rep.Findings = checks.Run(in, o.Checks, o.Skip)
	} else if rep.Findings, rep.Scope, err = o.runLive(ctx); err != nil {
		return err
	}
	if o.Lang.Or() != lang.En {
		for i := range rep.Findings {
			rep.Findings[i] = rep.Findings[i].In(o.Lang)
		}
	}
	for _, f := range rep.Findings {
		switch {
		case f.Status == checks.StatusPass:
			rep.Summary.Passed++
		case f.Status == checks.StatusSkipped:
			rep.Summary.Skipped++
		case f.Severity == checks.SeverityError:
			rep.Summary.Errors++
		case f.Severity == checks.SeverityWarning:
			rep.Summary.Warnings++
		default:
			rep.Summary.Info++
		}
	}
	if o.Output != outputTable {
		if rep.Findings == nil {
			rep.Findings = []checks.Finding{} // every check skipped: "findings": [], not null
		}
		if err := printStructured(o.Out, o.Output, rep); err != nil {
			return err
		}
	} else {
		printDoctor(o.Out, rep, colorful(o.Out), o.Lang)
	}
	if o.FailOn == "never" {
		return nil
	}
	failing := 0
	for _, f := range rep.Findings {
		if f.Status == checks.StatusFail && f.Severity.AtLeast(checks.Severity(o.FailOn)) {
			failing++
		}
	}
	if failing > 0 {
		return &failedError{msg: lang.T(o.Lang, "doctor.failed", failing, o.FailOn)}
	}
	return nil
}

func (o *DoctorOptions) runLive(ctx context.Context) ([]checks.Finding, string, error) {
	sc, err := o.cluster.resolveScope(o.AllNamespaces)
	if err != nil {
		return nil, "", err
	}
	c, err := o.cluster.Connect()
	if err != nil {
		return nil, "", err
	}
	p := newActivity(o.ErrOut, o.Output)
	defer p.Stop()
	p.Update(lang.T(o.Lang, "doctor.progress.reading", sc.in(o.Lang)))
	in, err := checks.Gather(ctx, c.Client, sc.listNamespace())
	if err != nil {
		return nil, "", err
	}
	if !sc.all && in.Forbidden["namespaces"] == nil && !slices.ContainsFunc(in.Snapshot.Namespaces, func(n policy.Namespace) bool { return n.Name == sc.namespace }) {
		return nil, "", fmt.Errorf("namespace %q not found; 'kubectl get namespaces' lists them, or use -A for all", sc.namespace)
	}
	findings := checks.Run(in, o.Checks, o.Skip)
	runner := o.probeFlags.runner(c)
	runner.NoInject = true // doctor adds nothing to pods (the active test makes its own)
	switch {
	case !o.selected("dns", checks.LiveDNSID):
	case o.LiveDNS || slices.Contains(o.Checks, checks.LiveDNSID):
		p.Update(lang.T(o.Lang, "doctor.progress.lookup"))
		findings = append(findings, liveDNS(ctx, runner, in)...)
	default:
		// Said in the output, so that the opt-in is obvious where the result would be.
		findings = append(findings, checks.Skipped("dns", checks.LiveDNSID, "", lang.M("doctor.live-dns.not-run")))
	}
	if o.Active {
		a := &checks.Active{Client: c.Client, Prober: runner, Image: o.Image, Timeout: probe.DefaultStartTimeout, Progress: p.Update}
		f, err := a.Run(ctx)
		if err != nil {
			return nil, "", err
		}
		findings = append(findings, f)
	}
	return findings, sc.in(o.Lang), nil
}

// selected mirrors --check/--skip for the checks the plugin runs itself.
func (o *DoctorOptions) selected(name, id string) bool {
	match := func(list []string) bool {
		return slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, name) || strings.EqualFold(s, id) })
	}
	return (len(o.Checks) == 0 || match(o.Checks)) && !match(o.Skip)
}

// liveDNS looks up kubernetes.default from one pod of each namespace that has egress-isolated
// pods (where policies can break DNS), and ties a failure to the policies, or clears them.
// The runner must not inject probe containers: doctor without --active writes nothing.
func liveDNS(ctx context.Context, runner *probe.Runner, in *checks.Input) []checks.Finding {
	const check = "dns"
	dns := policy.FindDNS(in.Snapshot)
	ev, snap, dnsPods, err := checks.DNSEvaluator(dns, in)
	if err != nil {
		return nil // the static checks report the unreadable policy (NP4006)
	}
	type candidate struct {
		pod    *policy.Pod
		policy policy.Verdict
	}
	var picks []candidate
	seen := map[string]bool{}
	for i := range in.Snapshot.Pods {
		p := &snap.Pods[i]
		if seen[p.Namespace] || len(p.IPs) == 0 || p.Namespace == "kube-system" || !in.InScope(p.Namespace) {
			continue
		}
		v := ev.Evaluate(policy.Connection{From: policy.Endpoint{Pod: p}, To: policy.Endpoint{Pod: dnsPods[0]}, Port: dns.Port(corev1.ProtocolUDP), Protocol: corev1.ProtocolUDP})
		if !v.Egress.Isolated {
			continue
		}
		seen[p.Namespace] = true
		picks = append(picks, candidate{pod: p, policy: v})
	}
	if len(picks) == 0 {
		return []checks.Finding{checks.Pass(check, checks.LiveDNSID, lang.M("doctor.live-dns.none-isolated"))}
	}
	var note lang.Msg
	if len(picks) > maxLiveDNSNamespaces {
		note = lang.M("doctor.live-dns.first", maxLiveDNSNamespaces, len(picks))
		picks = picks[:maxLiveDNSNamespaces]
	}
	jobs := make([]probe.Job, len(picks))
	for i, c := range picks {
		jobs[i] = probe.Job{From: probe.PodRef{Namespace: c.pod.Namespace, Name: c.pod.Name}, To: probe.Target{Name: "cluster DNS"},
			Kind: probe.DNSLookup, Protocol: corev1.ProtocolUDP, Port: 53, Expected: c.policy.Allowed}
	}
	results := runner.Run(ctx, jobs)
	var out []checks.Finding
	ok := 0
	for i, r := range results {
		c := picks[i]
		res := "Pod/" + c.pod.ID()
		switch {
		case errors.Is(r.Err, probe.ErrNoClient):
			out = append(out, checks.Skipped(check, checks.LiveDNSID, res, lang.M("doctor.live-dns.no-client", c.pod.ID())))
		case r.Err != nil:
			// The error is the cluster's or the client's, as they said it.
			out = append(out, checks.Skipped(check, checks.LiveDNSID, res, lang.M("doctor.live-dns.error", r.Err.Error())))
		case r.Allowed && !c.policy.Allowed:
			out = append(out, checks.Fail(check, checks.LiveDNSID, checks.SeverityWarning, res,
				lang.M("doctor.live-dns.leaked", c.pod.ID(), strings.Join(c.policy.Egress.Selecting, ", ")), lang.M("doctor.live-dns.leaked.fix")))
		case r.Allowed:
			ok++
		case !c.policy.Allowed:
			out = append(out, checks.Fail(check, checks.LiveDNSID, checks.SeverityError, res,
				lang.M("doctor.live-dns.blocked", c.pod.ID(), checks.OutcomeSays(r.Outcome), strings.Join(c.policy.Egress.Selecting, ", ")), lang.M("doctor.live-dns.blocked.fix")))
		default:
			out = append(out, checks.Fail(check, checks.LiveDNSID, checks.SeverityError, res,
				lang.M("doctor.live-dns.broken", c.pod.ID(), checks.OutcomeSays(r.Outcome), r.Detail), lang.M("doctor.live-dns.broken.fix")))
		}
	}
	if ok > 0 {
		out = append(out, checks.Pass(check, checks.LiveDNSID, lang.M("doctor.live-dns.pass", ok, len(picks), note)))
	}
	return out
}

// --- printing

// printDoctor prints the report as a table: doctor's words in l, the findings as they are
// (rendered in l already); the marks (PASS, FAIL, …) and IDs stay as scripts read them.
func printDoctor(out io.Writer, rep doctorReport, color bool, l lang.Lang) {
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return "\x1b[" + code + "m" + s + "\x1b[0m"
	}
	fmt.Fprintln(out, lang.T(l, "doctor.header", rep.Scope))
	titles := map[string]string{"active": lang.T(l, "doctor.title.active")}
	for _, c := range checks.All {
		titles[c.Name] = c.Title.In(l)
	}
	// The labels of a finding's fix and docs lines, padded to one width; the fix's later lines
	// start under its first.
	fixLabel, docsLabel := lang.T(l, "label.fix"), lang.T(l, "doctor.label.docs")
	w := max(render.DisplayWidth(fixLabel), render.DisplayWidth(docsLabel)) + 1
	fixLabel, docsLabel = render.PadRight(fixLabel, w), render.PadRight(docsLabel, w)
	under := "\n" + strings.Repeat(" ", 8+w)
	var order []string
	for _, f := range rep.Findings {
		if !slices.Contains(order, f.Check) {
			order = append(order, f.Check)
		}
	}
	for _, check := range order {
		fmt.Fprintf(out, "\n%s\n", titles[check])
		for _, f := range rep.Findings {
			if f.Check != check {
				continue
			}
			var mark string
			switch {
			case f.Status == checks.StatusPass:
				mark = paint("32", "PASS")
			case f.Status == checks.StatusSkipped:
				mark = paint("90", "SKIP")
			case f.Severity == checks.SeverityError:
				mark = paint("31", "FAIL")
			case f.Severity == checks.SeverityWarning:
				mark = paint("33", "WARN")
			default:
				mark = paint("36", "INFO")
			}
			line := fmt.Sprintf("  %s  %s  %s", mark, f.ID, f.Message)
			if f.Resource != "" && f.Status != checks.StatusPass {
				line = fmt.Sprintf("  %s  %s  %s: %s", mark, f.ID, f.Resource, f.Message)
			}
			fmt.Fprintln(out, line)
			if f.Remediation != "" && f.Status != checks.StatusPass {
				fmt.Fprintf(out, "        %s%s\n", fixLabel, strings.ReplaceAll(f.Remediation, "\n", under))
				fmt.Fprintf(out, "        %s%s\n", docsLabel, f.Docs)
			}
		}
	}
	s := rep.Summary
	fmt.Fprintf(out, "\n%s\n", lang.T(l, "doctor.summary", s.Errors, s.Warnings, s.Info, s.Passed, s.Skipped))
}
