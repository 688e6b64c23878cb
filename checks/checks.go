// Package checks holds doctor's diagnostics. Each check reads an Input (what doctor could read
// from the cluster or from files) and returns findings with a stable ID, a severity, a message a
// learner can act on and a remediation to paste. Checks make no API calls: the plugin gathers
// the Input once (a handful of List calls), so the static checks work on files too.
package checks

import (
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// Severity of a finding.
type Severity string

const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// rank orders severities for --fail-on.
func (s Severity) rank() int {
	switch s {
	case SeverityError:
		return 3
	case SeverityWarning:
		return 2
	case SeverityInfo:
		return 1
	}
	return 0
}

// AtLeast reports whether s is as severe as other.
func (s Severity) AtLeast(other Severity) bool { return s.rank() >= other.rank() }

// Status of a finding: a problem found, a check that passed, or a check that could not run.
type Status string

const (
	StatusFail    Status = "fail"
	StatusPass    Status = "pass"
	StatusSkipped Status = "skipped"
)

// DocsBase is where docs/checks.md is published; each ID has an anchor there.
const DocsBase = "https://github.com/kubectl-netpol/kubectl-netpol/blob/main/docs/checks.md"

// Finding is one result of one check: the fields of doctor -o json (README.md, doctor).
// Message and Remediation are in English; In renders them in another language from Says and
// FixSays, the same texts by message ID (lang/catalog/LANG.doctor.yaml).
type Finding struct {
	ID          string   `json:"id"`
	Check       string   `json:"check"`
	Severity    Severity `json:"severity"`
	Status      Status   `json:"status"`
	Resource    string   `json:"resource,omitempty"` // Kind/namespace/name
	Message     string   `json:"message"`
	Remediation string   `json:"remediation,omitempty"`
	Docs        string   `json:"docs"`
	Says        lang.Msg `json:"-"` // Message, for any language
	FixSays     lang.Msg `json:"-"` // Remediation, for any language
}

// In is the finding with its message and remediation in l.
func (f Finding) In(l lang.Lang) Finding {
	f.Message, f.Remediation = f.Says.InOr(l, f.Message), f.FixSays.InOr(l, f.Remediation)
	return f
}

// withFix is the finding with remediation fix (a skipped finding's grant, for one).
func (f Finding) withFix(fix lang.Msg) Finding {
	f.Remediation, f.FixSays = fix.String(), fix
	return f
}

// Foreign is one policy object of another engine, as read from a file.
type Foreign struct {
	Source     string `json:"source"` // the file
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

// Input is what the checks read. A nil list means it could not be read (Forbidden says why), as
// opposed to an empty one.
type Input struct {
	Snapshot *policy.Snapshot // namespaces, pods, policies
	// Live is false for files: the checks that need the cluster are skipped and say so.
	Live bool
	// Namespace is the scope the findings are about ("" for all namespaces). The snapshot may
	// hold pods of other namespaces too, since peers can select them.
	Namespace string
	// PartialPods: only the scope's pods could be listed (RBAC), so a peer that selects no pod
	// may be selecting pods elsewhere.
	PartialPods bool
	// Cluster-side objects for CNI and DNS detection.
	DaemonSets  []appsv1.DaemonSet
	Deployments []appsv1.Deployment
	Nodes       []corev1.Node
	ConfigMaps  []corev1.ConfigMap // only the few the CNI check reads, by namespace/name
	// Forbidden maps what could not be read ("daemonsets", "nodes", …) to the error.
	Forbidden map[string]error
	// Foreign are policy objects of other engines found in the files (Calico, Cilium, Antrea):
	// they act on traffic too, and the evaluator does not read them.
	Foreign []Foreign
	// Refused are the policies of files (namespace/name) that have fields a NetworkPolicy does
	// not have, with what is wrong: the API server refuses them as it refuses invalid ones.
	Refused map[string][]string

	warned   bool // the semantic warnings, computed once for the checks that share them
	warnings []policy.Warning
	warnErr  error
}

// Warnings are the evaluator's semantic warnings on the snapshot, computed on first use.
func (in *Input) Warnings() ([]policy.Warning, error) {
	if !in.warned {
		in.warnings, in.warnErr = policy.Warnings(in.Snapshot)
		in.warned = true
	}
	return in.warnings, in.warnErr
}

// InScope reports whether findings about a pod of namespace ns belong to this run.
func (in *Input) InScope(ns string) bool { return in.Namespace == "" || in.Namespace == ns }

// Check is one diagnostic: a stable name for --check/--skip and the IDs it can raise.
type Check struct {
	Name  string
	Title lang.Msg // doctor's heading for its findings
	IDs   []string
	Run   func(in *Input) []Finding
}

// All is every static check, in the order doctor prints them.
var All = []Check{
	cniCheck,
	foreignCheck,
	namespaceLabelsCheck,
	dnsCheck,
	selectorsCheck,
	coverageCheck,
	clusterTierCheck,
}

// Run runs the checks named in only (all when empty), by name or by any of their IDs, and not
// those named in skip. IDs narrow further: a check run for --check NP3002 reports only NP3002,
// and --skip NP3002 drops just that finding.
func Run(in *Input, only, skip []string) []Finding {
	var out []Finding
	for _, c := range All {
		if !selected(c, only, skip) {
			continue
		}
		wanted := idsOf(c, only)
		for _, f := range c.Run(in) {
			if (len(wanted) == 0 || slices.Contains(wanted, f.ID)) && !slices.ContainsFunc(skip, func(s string) bool { return strings.EqualFold(s, f.ID) }) {
				out = append(out, f)
			}
		}
	}
	return out
}

// selected: named (or one of its IDs named) in only, or only empty; and not skipped by name.
func selected(c Check, only, skip []string) bool {
	byName := func(list []string) bool {
		return slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, c.Name) })
	}
	return (len(only) == 0 || byName(only) || len(idsOf(c, only)) > 0) && !byName(skip)
}

// idsOf lists the IDs of c named in list (upper-cased), empty when list names c itself.
func idsOf(c Check, list []string) []string {
	var ids []string
	for _, s := range list {
		if strings.EqualFold(s, c.Name) {
			return nil
		}
		if slices.ContainsFunc(c.IDs, func(id string) bool { return strings.EqualFold(id, s) }) {
			ids = append(ids, strings.ToUpper(s))
		}
	}
	return ids
}

// Known reports whether s names a check or an ID (for validating --check and --skip).
func Known(s string) bool {
	for _, c := range All {
		if strings.EqualFold(s, c.Name) || slices.ContainsFunc(c.IDs, func(id string) bool { return strings.EqualFold(id, s) }) {
			return true
		}
	}
	return IsActive(s)
}

// IsActive reports whether s names the active check or one of its IDs.
func IsActive(s string) bool {
	return strings.EqualFold(s, "active") || slices.ContainsFunc(ActiveIDs, func(id string) bool { return strings.EqualFold(id, s) })
}

// Fail builds a failing finding with the docs anchor of its ID.
func Fail(check, id string, sev Severity, resource string, msg, remediation lang.Msg) Finding {
	return Finding{ID: id, Check: check, Severity: sev, Status: StatusFail, Resource: resource,
		Message: msg.String(), Remediation: remediation.String(), Says: msg, FixSays: remediation,
		Docs: DocsBase + "#" + strings.ToLower(id)}
}

// Pass records that a check ran and found nothing.
func Pass(check, id string, msg lang.Msg) Finding {
	return Finding{ID: id, Check: check, Severity: SeverityInfo, Status: StatusPass, Message: msg.String(), Says: msg, Docs: DocsBase + "#" + strings.ToLower(id)}
}

// Skipped records that a check could not run, and why.
func Skipped(check, id, resource string, msg lang.Msg) Finding {
	f := Pass(check, id, msg)
	f.Status, f.Resource = StatusSkipped, resource
	return f
}

func finding(check, id string, sev Severity, resource string, msg, remediation lang.Msg) Finding {
	return Fail(check, id, sev, resource, msg, remediation)
}

func pass(check, id string, msg lang.Msg) Finding { return Pass(check, id, msg) }

func skipped(check, id string, msg lang.Msg) Finding { return Skipped(check, id, "", msg) }
