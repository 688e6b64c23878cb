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
	kubectl netpol doctor --skip NP5001`)

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
	cmd.Flags().StringSliceVar(&o.Checks, "check", nil, "Run only these checks: names (cni, foreign-policies, namespace-labels, dns, selectors, coverage) or IDs such as NP3002, which report only that finding")
	cmd.Flags().StringSliceVar(&o.Skip, "skip", nil, "Skip these checks (names) or findings (IDs)")
	o.probeFlags.addTimeoutAndImage(cmd)
	cmd.Flag("probe-image").Usage = "Image of the --active test's server and client pods (needs httpd and wget)"
	tableJSONYAML.add(cmd, &o.Output)
	return cmd
}

// Validate checks the flags.
func (o *DoctorOptions) Validate() error {
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
			return usageErrorf("no check %q; see docs/checks.md for the IDs, or use a name: cni, foreign-policies, namespace-labels, dns, selectors, coverage, active", c)
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
		rep.Scope = o.files.String() + " (static checks only: no live lookups or probes)"
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
		printDoctor(o.Out, rep, colorful(o.Out))
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
		return &failedError{msg: fmt.Sprintf("doctor: %d finding(s) at or above --fail-on=%s", failing, o.FailOn)}
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
	p.Update("reading the cluster (" + sc.String() + ")")
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
		p.Update("looking up kubernetes.default from inside pods")
		findings = append(findings, liveDNS(ctx, runner, in)...)
	default:
		// Said in the output, so that the opt-in is obvious where the result would be.
		findings = append(findings, checks.Skipped("dns", checks.LiveDNSID, "",
			"live DNS lookup not run: it execs nslookup inside your pods; run doctor with --live-dns to do it"))
	}
	if o.Active {
		a := &checks.Active{Client: c.Client, Prober: runner, Image: o.Image, Timeout: probe.DefaultStartTimeout, Progress: p.Update}
		f, err := a.Run(ctx)
		if err != nil {
			return nil, "", err
		}
		findings = append(findings, f)
	}
	return findings, sc.String(), nil
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
		return []checks.Finding{checks.Pass(check, checks.LiveDNSID, "no pod is isolated for egress, so no policy can break its DNS; no lookup needed")}
	}
	var note string
	if len(picks) > maxLiveDNSNamespaces {
		note = fmt.Sprintf(" (first %d of %d namespaces)", maxLiveDNSNamespaces, len(picks))
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
			out = append(out, checks.Skipped(check, checks.LiveDNSID, res, fmt.Sprintf("live lookup skipped: pod %s has no nslookup (doctor adds no probe container to pods)", c.pod.ID())))
		case r.Err != nil:
			out = append(out, checks.Skipped(check, checks.LiveDNSID, res, "live lookup skipped: "+r.Err.Error()))
		case r.Allowed && !c.policy.Allowed:
			out = append(out, checks.Fail(check, checks.LiveDNSID, checks.SeverityWarning, res,
				fmt.Sprintf("nslookup kubernetes.default from %s succeeded, though its policies deny DNS (egress isolated by %s): the network plugin is not enforcing them", c.pod.ID(), strings.Join(c.policy.Egress.Selecting, ", ")),
				"See the network plugin finding (NP1001/NP1002); kubectl netpol doctor --active proves whether policies are enforced."))
		case r.Allowed:
			ok++
		case !c.policy.Allowed:
			out = append(out, checks.Fail(check, checks.LiveDNSID, checks.SeverityError, res,
				fmt.Sprintf("nslookup kubernetes.default from %s failed (%s), as its policies say: egress isolated by %s, no rule allows DNS", c.pod.ID(), r.Outcome, strings.Join(c.policy.Egress.Selecting, ", ")),
				"Allow DNS egress (UDP and TCP 53 to the kube-dns pods); see the DNS findings above for the rule to add."))
		default:
			out = append(out, checks.Fail(check, checks.LiveDNSID, checks.SeverityError, res,
				fmt.Sprintf("nslookup kubernetes.default from %s failed (%s: %s), though its policies allow DNS: the cluster DNS or the network is at fault, not the policies", c.pod.ID(), r.Outcome, r.Detail),
				"kubectl get pods -n kube-system -l k8s-app=kube-dns; kubectl logs -n kube-system -l k8s-app=kube-dns; check the node's network plugin"))
		}
	}
	if ok > 0 {
		out = append(out, checks.Pass(check, checks.LiveDNSID, fmt.Sprintf("names resolve from %d of %d namespace(s) with egress-isolated pods%s", ok, len(picks), note)))
	}
	return out
}

// --- printing

func printDoctor(out io.Writer, rep doctorReport, color bool) {
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return "\x1b[" + code + "m" + s + "\x1b[0m"
	}
	fmt.Fprintf(out, "Doctor: %s\n", rep.Scope)
	titles := map[string]string{"active": "Active test: is NetworkPolicy enforced?"}
	for _, c := range checks.All {
		titles[c.Name] = c.Title
	}
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
				fmt.Fprintf(out, "        fix:  %s\n", strings.ReplaceAll(f.Remediation, "\n", "\n              "))
				fmt.Fprintf(out, "        docs: %s\n", f.Docs)
			}
		}
	}
	s := rep.Summary
	fmt.Fprintf(out, "\n%d error(s), %d warning(s), %d info, %d passed, %d skipped\n", s.Errors, s.Warnings, s.Info, s.Passed, s.Skipped)
}
