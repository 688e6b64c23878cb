package plugin

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// selection is what explain and probe look at: the snapshot (files or the cluster), the scope
// (-n, -A), the pods (--from, --to) and the ports (--port). Both commands embed it.
type selection struct {
	cluster       *clusterAccess
	files         fileFlags // explain only; probe reads the cluster
	AllNamespaces bool
	Ports         []string
	From, To      []string

	ports    []policy.PortProtocol
	from, to podFilter
	scope    scope
	snapshot *policy.Snapshot
}

// addFlags adds -A, --port, --from and --to; verb says what is done with a port ("evaluate").
func (s *selection) addFlags(cmd *cobra.Command, verb string) {
	cmd.Flags().BoolVarP(&s.AllNamespaces, "all-namespaces", "A", false, "Every namespace, not only the current one")
	cmd.Flags().StringArrayVar(&s.Ports, "port", nil, "Port to "+verb+", e.g. 80 or 53/UDP (repeatable; default: the ports the destination pods declare)")
	cmd.Flags().StringArrayVar(&s.From, "from", nil, "Only these source pods: NAMESPACE/POD, NAMESPACE or a label selector (repeatable)")
	cmd.Flags().StringArrayVar(&s.To, "to", nil, "Only these destination pods, as --from (repeatable)")
}

// validate parses the ports and the pod filters, without touching files or the cluster.
func (s *selection) validate() error {
	for _, p := range s.Ports {
		pp, err := policy.ParsePortProtocol(p)
		if err != nil {
			return &usageError{msg: "--port: " + err.Error(), cause: err}
		}
		if !slices.Contains(s.ports, pp) {
			s.ports = append(s.ports, pp)
		}
	}
	var err error
	if s.from, err = parsePodFilters("--from", s.From); err != nil {
		return err
	}
	s.to, err = parsePodFilters("--to", s.To)
	return err
}

// load reads the snapshot: from the files, or from the cluster in the scope (all namespaces
// when wide, as --why NS/POD needs). output decides whether progress may show.
func (s *selection) load(ctx context.Context, errOut io.Writer, output string, wide bool) error {
	if s.files.given() {
		objs, err := s.files.read(s.cluster, errOut)
		if err != nil {
			return err
		}
		if s.snapshot, err = snapshotOf(objs, errOut); err != nil {
			return err
		}
		// Files are their own scope: every namespace in them, unless -n names one.
		if ns := ptrValue(s.cluster.flags.Namespace); ns != "" && !s.AllNamespaces {
			s.scope = scope{namespace: ns}
		} else {
			s.scope = scope{all: true}
		}
		return nil
	}
	var err error
	if s.scope, err = s.cluster.resolveScope(s.AllNamespaces || wide); err != nil {
		return err
	}
	c, err := s.cluster.Connect()
	if err != nil {
		return err
	}
	p := newActivity(errOut, output)
	p.Update("reading pods and policies in " + s.scope.String())
	defer p.Stop()
	s.snapshot, err = liveSnapshot(ctx, c.Client, s.scope, errOut)
	return err
}

// pods are the snapshot's pods in scope that --from and --to select. None in scope is no
// error (the caller says so); none matching the filters is.
func (s *selection) pods() (from, to []int, err error) {
	var inScope []int
	for i := range s.snapshot.Pods {
		if s.scope.all || s.snapshot.Pods[i].Namespace == s.scope.namespace {
			inScope = append(inScope, i)
		}
	}
	if len(inScope) == 0 {
		return nil, nil, nil
	}
	from, to = s.from.apply(s.snapshot, inScope), s.to.apply(s.snapshot, inScope)
	if len(from) == 0 || len(to) == 0 {
		return nil, nil, fmt.Errorf("no pod in %s matches --from %s --to %s", s.scope, orAll(s.From), orAll(s.To))
	}
	return from, to, nil
}

// portsFor are --port's ports, or else the ports the destinations declare (declared is true).
func (s *selection) portsFor(to []int, verb string) (ports []policy.PortProtocol, declared bool, err error) {
	if len(s.ports) > 0 {
		return s.ports, false, nil
	}
	if ports = declaredPorts(s.snapshot, to); len(ports) == 0 {
		return nil, true, usageErrorf("the destination pods declare no container ports; name the ports to %s, e.g. --port 80 --port 53/UDP", verb)
	}
	return ports, true, nil
}

func orAll(filters []string) string {
	if len(filters) == 0 {
		return "(all)"
	}
	return strings.Join(filters, ",")
}

// declaredPorts are the ports the pods declare, in order.
func declaredPorts(s *policy.Snapshot, pods []int) []policy.PortProtocol {
	var out []policy.PortProtocol
	for _, i := range pods {
		for _, p := range s.Pods[i].Ports {
			pp := policy.PortProtocol{Port: p.Port, Protocol: p.Protocol}
			if pp.Protocol == "" {
				pp.Protocol = "TCP"
			}
			if !slices.Contains(out, pp) {
				out = append(out, pp)
			}
		}
	}
	slices.SortFunc(out, func(a, b policy.PortProtocol) int {
		if a.Port != b.Port {
			return int(a.Port - b.Port)
		}
		return strings.Compare(string(a.Protocol), string(b.Protocol))
	})
	return out
}

// podFilter selects pods by NAMESPACE/POD, NAMESPACE or label selector; empty selects all.
type podFilter []func(p *policy.Pod) bool

func parsePodFilters(flag string, values []string) (podFilter, error) {
	var f podFilter
	for _, v := range values {
		v = strings.TrimSpace(v)
		switch {
		case v == "":
			return nil, usageErrorf("%s: empty value", flag)
		case strings.ContainsAny(v, "=!(),") || strings.Contains(v, " in ") || strings.Contains(v, " notin "):
			sel, err := labels.Parse(v)
			if err != nil {
				return nil, usageErrorf("%s %q: not a label selector: %v", flag, v, err)
			}
			f = append(f, func(p *policy.Pod) bool { return sel.Matches(labels.Set(p.Labels)) })
		case strings.Contains(v, "/"):
			f = append(f, func(p *policy.Pod) bool { return p.ID() == v })
		default:
			f = append(f, func(p *policy.Pod) bool { return p.Namespace == v })
		}
	}
	return f, nil
}

func (f podFilter) apply(s *policy.Snapshot, pods []int) []int {
	if len(f) == 0 {
		return pods
	}
	var out []int
	for _, i := range pods {
		for _, match := range f {
			if match(&s.Pods[i]) {
				out = append(out, i)
				break
			}
		}
	}
	return out
}
