package plugin

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/kubernetes"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/policy"
	"github.com/kubectl-netpol/kubectl-netpol/source"
)

// scope is which pods a command looks at: one namespace, or all of them.
type scope struct {
	namespace string // ignored when all
	all       bool
}

func (s scope) listNamespace() string {
	if s.all {
		return metav1.NamespaceAll
	}
	return s.namespace
}

func (s scope) String() string { return s.in(lang.En) }

// in is the scope as people read it in l.
func (s scope) in(l lang.Lang) string {
	if s.all {
		return lang.T(l, "scope.all")
	}
	return lang.T(l, "scope.namespace", s.namespace)
}

// resolveScope reads -n / -A the way kubectl does: -A wins, then -n, then the kubeconfig
// context's namespace.
func (a *clusterAccess) resolveScope(all bool) (scope, error) {
	if all {
		return scope{all: true}, nil
	}
	ns, _, err := a.flags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return scope{}, &clusterError{msg: fmt.Sprintf("cannot read the namespace from the kubeconfig %s: %v", a.describeTarget(), err)}
	}
	return scope{namespace: ns}, nil
}

// fileFlags are kubectl's -f, -R and -k, read by source.ReadFiles through cli-runtime's
// resource.Builder: files, folders (recursively with -R), URLs, "-" for stdin, kustomizations.
type fileFlags struct {
	resource.FilenameOptions
}

func (f *fileFlags) add(cmd *cobra.Command, usage string) {
	cmdutil.AddFilenameOptionFlags(cmd, &f.FilenameOptions, usage)
}

// given reports whether files were named.
func (f *fileFlags) given() bool { return len(f.Filenames) > 0 || f.Kustomize != "" }

func (f *fileFlags) String() string { return f.in(lang.En) }

// in names what the flags read, as people read it in l.
func (f *fileFlags) in(l lang.Lang) string {
	if f.Kustomize != "" {
		return lang.T(l, "source.kustomization", f.Kustomize)
	}
	return lang.T(l, "source.files", strings.Join(f.Filenames, ", "))
}

// read reads the files. Objects without a namespace land where kubectl apply would put them: in
// the current namespace (-n, else the kubeconfig context's, else default). A policy the API
// server would refuse for its unknown fields is an error: read without them, it would be
// evaluated as something its author did not write.
func (f *fileFlags) read(cluster *clusterAccess, warn io.Writer) (*source.Objects, error) {
	objs, err := f.readAll(cluster, warn)
	if err != nil {
		return nil, err
	}
	return objs, checkRefused(objs, warn)
}

// checkRefused is the error for policies with unknown fields, and says on warn which policies
// the API server would refuse by its validation rules (`protocol: tcp`): those read as
// written, and evaluated so, but kubectl apply would not create them.
func checkRefused(objs *source.Objects, warn io.Writer) error {
	if err := objs.RefusedError(); err != nil {
		return err
	}
	for i := range objs.Policies {
		np := &objs.Policies[i]
		if errs := policy.Validate(np); len(errs) > 0 {
			msgs := make([]string, len(errs))
			for i, e := range errs {
				msgs[i] = e.Error()
			}
			fmt.Fprintf(warn, "Warning: NetworkPolicy %s/%s: the API server would refuse it (kubectl apply fails), so no cluster can hold it; it is evaluated anyway: %s\n", np.Namespace, np.Name, strings.Join(msgs, "; "))
		}
	}
	return nil
}

// readAll is read keeping the refused policies, for a command that reports them (doctor).
func (f *fileFlags) readAll(cluster *clusterAccess, warn io.Writer) (*source.Objects, error) {
	current, _, err := cluster.flags.ToRawKubeConfigLoader().Namespace()
	if err != nil || current == "" {
		current = metav1.NamespaceDefault
	}
	return source.ReadFiles(&f.FilenameOptions, current, warn)
}

// snapshotOf builds the evaluator's snapshot and says on warn which pods were left out.
func snapshotOf(objs *source.Objects, warn io.Writer) (*policy.Snapshot, error) {
	s, left, err := objs.Snapshot()
	if err != nil {
		return nil, err
	}
	if line := source.DescribeLeftOut(left); line != "" {
		fmt.Fprintln(warn, line)
	}
	return s, nil
}

// liveSnapshot reads what the evaluator needs from the cluster (source.ReadCluster: paged Lists,
// one RBAC behaviour): the scope's pods and policies, every namespace's labels. Pods and
// policies are required; what else RBAC forbids is said on warn.
func liveSnapshot(ctx context.Context, client kubernetes.Interface, sc scope, warn io.Writer) (*policy.Snapshot, error) {
	objs, err := liveObjects(ctx, client, sc, warn)
	if err != nil {
		return nil, err
	}
	return snapshotOf(objs, warn)
}

// liveObjects is what liveSnapshot reads, before it becomes a snapshot (diff puts files on top).
func liveObjects(ctx context.Context, client kubernetes.Interface, sc scope, warn io.Writer) (*source.Objects, error) {
	want := source.Want{}
	if !sc.all {
		want.Namespaces = []string{sc.namespace}
	}
	objs, err := source.ReadCluster(ctx, client, want)
	if err != nil {
		return nil, err
	}
	if err := objs.Require("pods", "networkpolicies"); err != nil {
		return nil, err
	}
	for _, w := range objs.Warnings() {
		fmt.Fprintln(warn, "Warning: "+w)
	}
	if objs.Forbidden["namespaces"] == nil && !sc.all && !slices.ContainsFunc(objs.Namespaces, func(n corev1.Namespace) bool { return n.Name == sc.namespace }) {
		return nil, fmt.Errorf("namespace %q not found; 'kubectl get namespaces' lists them, or use -A for all", sc.namespace)
	}
	return objs, nil
}
