// Package validatelive holds policy.Validate to the API server: the same case files, sent to a
// real kube-apiserver with a server-side dry run.
package validatelive

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// namespace receives the cases that name none (testdata/valid/namespaced.yaml names it too).
const namespace = "netpol-validate"

// TestValidateAgreesWithAPIServer sends every case under policy/testdata/invalid and
// policy/testdata/valid to the local kube-apiserver (v1.36) as a dry-run create, and requires
// the server and policy.Validate to agree: both accept, or both refuse with the same errors
// (field paths and messages, in the same order), which are also the case's "# want:" lines.
func TestValidateAgreesWithAPIServer(t *testing.T) {
	c := localcluster.ForTest(t)
	cfg := rest.CopyConfig(c.RESTConfig)
	warnings := &warningLog{}
	cfg.WarningHandler = warnings
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	agreed := map[string]int{}
	for _, dir := range []string{"invalid", "valid"} {
		files, err := filepath.Glob(filepath.Join("..", "testdata", dir, "*.yaml"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no cases in policy/testdata/%s: %v", dir, err)
		}
		for _, file := range files {
			t.Run(dir+"/"+strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
				np, want := readCase(t, file)
				if np.Namespace == "" {
					np.Namespace = namespace
				}
				var ours []string
				for _, e := range policy.Validate(np) {
					ours = append(ours, e.Error())
				}
				warnings.take() // only this request's
				_, err := cs.NetworkingV1().NetworkPolicies(np.Namespace).Create(ctx, np, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
				for _, w := range warnings.take() {
					t.Logf("server warning: %s", w)
				}
				server, ok := serverErrors(err, np)
				if !ok && apierrors.IsNotFound(err) && np.Namespace != namespace {
					// A namespace that is not a DNS label cannot exist, so the server refuses the
					// request for it (namespaces "X" not found) before it validates the policy.
					// What the server says of that name as a namespace's own name stands in.
					server, ok = namespaceErrors(ctx, cs, np.Namespace)
				}
				if !ok {
					t.Fatalf("the server did not answer with a validation error: %v", err)
				}
				if !slices.Equal(ours, server) {
					t.Fatalf("Validate and the API server disagree:\n Validate %s\n server   %s",
						strings.Join(ours, "\n          "), strings.Join(server, "\n          "))
				}
				if !slices.Equal(ours, want) {
					t.Fatalf("both say\n %s\nbut the case wants\n %s", strings.Join(ours, "\n "), strings.Join(want, "\n "))
				}
				for _, e := range server {
					// The refusal kubectl prints names each field (but for a namespace that
					// cannot exist, where it names the namespace).
					if field, _, _ := strings.Cut(e, ": "); !strings.Contains(err.Error(), field) && !apierrors.IsNotFound(err) {
						t.Errorf("the server's message %q does not name %s", err, field)
					}
				}
				agreed[dir]++
			})
		}
	}
	t.Logf("the API server and Validate agree on %d invalid and %d valid policies", agreed["invalid"], agreed["valid"])
}

// serverErrors turns the server's answer into the strings field.Error.Error() gives: none for
// a policy it accepted, one a cause for a policy it found invalid; ok is false for anything
// else (a refusal for another reason than validation).
func serverErrors(err error, np *networkingv1.NetworkPolicy) (errs []string, ok bool) {
	if err == nil {
		return nil, true
	}
	status, isStatus := err.(apierrors.APIStatus)
	if !isStatus || !apierrors.IsInvalid(err) || status.Status().Details == nil {
		return nil, false
	}
	// With only a generateName the server validates the name it made up (5 random characters
	// on the prefix); Validate stands in "xxxxx" for them.
	var generated *regexp.Regexp
	if np.Name == "" && np.GenerateName != "" {
		generated = regexp.MustCompile(`"` + regexp.QuoteMeta(np.GenerateName) + `[a-z0-9]{5}"`)
	}
	for _, cause := range status.Status().Details.Causes {
		msg := cause.Message
		if generated != nil && cause.Field == "metadata.name" {
			msg = generated.ReplaceAllString(msg, `"`+np.GenerateName+`xxxxx"`)
		}
		errs = append(errs, cause.Field+": "+msg)
	}
	return errs, true
}

// namespaceErrors asks the server (dry run) to create a namespace of that name, and returns its
// errors about the name as errors about a policy's metadata.namespace.
func namespaceErrors(ctx context.Context, cs kubernetes.Interface, name string) ([]string, bool) {
	_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	errs, ok := serverErrors(err, &networkingv1.NetworkPolicy{})
	if !ok || len(errs) == 0 {
		return nil, false
	}
	for i, e := range errs {
		rest, found := strings.CutPrefix(e, "metadata.name: ")
		if !found {
			return nil, false
		}
		errs[i] = "metadata.namespace: " + rest
	}
	return errs, true
}

// readCase decodes a case file strictly and returns its "# want:" lines (as policy's own test does).
func readCase(t *testing.T, file string) (*networkingv1.NetworkPolicy, []string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var np networkingv1.NetworkPolicy
	if err := yaml.UnmarshalStrict(data, &np); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var want []string
	for _, line := range strings.Split(string(data), "\n") {
		if w, ok := strings.CutPrefix(line, "# want: "); ok {
			want = append(want, w)
		}
	}
	return &np, want
}

// warningLog keeps the warnings the server sends back (non-canonical CIDRs, for one), for the
// test log. The subtests run one at a time, so it needs no lock.
type warningLog struct{ texts []string }

func (w *warningLog) HandleWarningHeader(_ int, _ string, text string) {
	w.texts = append(w.texts, text)
}

func (w *warningLog) take() []string {
	texts := w.texts
	w.texts = nil
	return texts
}
