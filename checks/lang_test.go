package checks

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/resource"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/policy"
	"github.com/kubectl-netpol/kubectl-netpol/source"
)

// productNames are the names of products, tools and resources the findings name in every
// language, as their makers write them (engines, CLIs, a CRD's kind).
var productNames = strings.Fields(`
	Kubernetes Kustomize Helm kind kindnet kindnetd canal Weave Net Weaveworks GKE Dataplane Azure NPM
	AWS VPC EKS NodeLocal DNSCache Installation calicoctl antctl hubble nslookup`)

// checkTranslated renders every finding in Korean and Japanese and fails on English left in
// them (lang.Untranslated, knowing the input's names) and on a message or fix that reads as
// its English. What another program said (an API server's refusal, RBAC's error) is said as it
// said it, in English, and is left out of the search.
func checkTranslated(t *testing.T, in *Input, fs []Finding) {
	t.Helper()
	names, verbatim := inputWords(in)
	for _, f := range fs {
		if f.Says.IsZero() {
			t.Errorf("%s %s: no message ID (Says), so it cannot be translated: %q", f.ID, f.Resource, f.Message)
		}
		if f.Remediation != "" && f.FixSays.IsZero() {
			t.Errorf("%s %s: no remediation ID (FixSays), so it cannot be translated: %q", f.ID, f.Resource, f.Remediation)
		}
		for _, l := range []lang.Lang{lang.Ko, lang.Ja} {
			g := f.In(l)
			if g.ID != f.ID || g.Resource != f.Resource || g.Status != f.Status || g.Severity != f.Severity || g.Docs != f.Docs {
				t.Errorf("%s in %s changed more than its texts: %+v", f.ID, l, g)
			}
			for _, s := range []struct{ what, english, text string }{{"message", f.Message, g.Message}, {"remediation", f.Remediation, g.Remediation}} {
				if s.english == "" {
					continue
				}
				text := s.text
				for _, v := range verbatim {
					text = strings.ReplaceAll(text, v, "")
				}
				if runs := lang.Untranslated(text, names); len(runs) > 0 {
					t.Errorf("%s %s in %s: English left %q in:\n%s", f.ID, s.what, l, runs, s.text)
				}
				if s.text == s.english && len(lang.Untranslated(s.english, names)) > 0 {
					t.Errorf("%s %s in %s is the English one:\n%s", f.ID, s.what, l, s.text)
				}
			}
		}
	}
}

// inputWords are the names an input holds (objects, namespaces, labels, ports, containers,
// images, files), and the texts of other programs it carries (errors, refusals).
func inputWords(in *Input) (map[string]bool, []string) {
	names := map[string]bool{}
	add := func(ss ...string) {
		for _, s := range ss {
			for _, w := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(" ,;()\"'", r) }) {
				names[w] = true
			}
		}
	}
	addMap := func(m map[string]string) {
		for k, v := range m {
			add(k, v)
		}
	}
	addMeta := func(m metav1.ObjectMeta) {
		add(m.Name, m.Namespace)
		addMap(m.Labels)
	}
	addSelector := func(s *metav1.LabelSelector) {
		if s == nil {
			return
		}
		addMap(s.MatchLabels)
		for _, e := range s.MatchExpressions {
			add(e.Key)
			add(e.Values...)
		}
	}
	addPorts := func(ps []networkingv1.NetworkPolicyPort) {
		for _, p := range ps {
			if p.Port != nil {
				add(p.Port.String())
			}
		}
	}
	addPod := func(spec corev1.PodSpec) {
		for _, c := range append(spec.InitContainers, spec.Containers...) {
			add(c.Name, c.Image)
			add(c.Args...)
			add(c.Command...)
		}
	}
	add(productNames...)
	var verbatim []string
	for _, err := range in.Forbidden {
		verbatim = append(verbatim, err.Error())
	}
	for _, msgs := range in.Refused {
		verbatim = append(verbatim, msgs...)
	}
	if s := in.Snapshot; s != nil {
		for _, n := range s.Namespaces {
			add(n.Name)
			addMap(n.Labels)
		}
		for _, p := range s.Pods {
			add(p.Name, p.Namespace)
			addMap(p.Labels)
			for _, port := range p.Ports {
				add(port.Name)
			}
		}
		for i := range s.Policies {
			np := &s.Policies[i]
			addMeta(np.ObjectMeta)
			addSelector(&np.Spec.PodSelector)
			for _, r := range np.Spec.Ingress {
				addPorts(r.Ports)
				for _, p := range r.From {
					addSelector(p.PodSelector)
					addSelector(p.NamespaceSelector)
				}
			}
			for _, r := range np.Spec.Egress {
				addPorts(r.Ports)
				for _, p := range r.To {
					addSelector(p.PodSelector)
					addSelector(p.NamespaceSelector)
				}
			}
			for _, err := range policy.Validate(np) {
				verbatim = append(verbatim, err.Error())
			}
		}
		for _, cp := range s.ClusterPolicies {
			add(cp.Name, cp.Kind)
			addSelector(cp.Subject.Namespaces)
			if cp.Subject.Pods != nil {
				addSelector(&cp.Subject.Pods.NamespaceSelector)
				addSelector(&cp.Subject.Pods.PodSelector)
			}
			for _, r := range append(append([]policy.ClusterRule{}, cp.Ingress...), cp.Egress...) {
				add(r.Name)
				for _, p := range r.Peers {
					addSelector(p.Namespaces)
					addSelector(p.Nodes)
					if p.Pods != nil {
						addSelector(&p.Pods.NamespaceSelector)
						addSelector(&p.Pods.PodSelector)
					}
					add(p.Networks...)
					add(p.DomainNames...)
				}
				for _, port := range r.Ports {
					add(port.Name)
				}
			}
		}
		for _, svc := range s.Services {
			addMeta(svc.ObjectMeta)
			addMap(svc.Spec.Selector)
		}
		if _, err := policy.New(s); err != nil {
			verbatim = append(verbatim, err.Error())
		}
	}
	for _, ds := range in.DaemonSets {
		addMeta(ds.ObjectMeta)
		addMap(ds.Spec.Template.Labels)
		addPod(ds.Spec.Template.Spec)
	}
	for _, d := range in.Deployments {
		addMeta(d.ObjectMeta)
		addPod(d.Spec.Template.Spec)
	}
	for _, n := range in.Nodes {
		addMeta(n.ObjectMeta)
	}
	for _, cm := range in.ConfigMaps {
		addMeta(cm.ObjectMeta)
		addMap(cm.Data)
	}
	for _, f := range in.Foreign {
		add(f.Source, f.APIVersion, f.Kind, f.Namespace, f.Name)
	}
	return names, verbatim
}

// Every check, on every fixture of doctor -f: the CNI manifests, the plugin's doctor fixtures,
// the labs' setups and solutions and the policy evaluator's invalid policies, renders its
// findings in Korean and Japanese without English left in them.
func TestFindingsTranslated(t *testing.T) {
	var files []string
	for _, pattern := range []string{"testdata/cni/*.yaml", "../plugin/testdata/doctor/*.yaml", "../plugin/testdata/*.yaml",
		"../labs/catalog/*/setup", "../labs/catalog/*/solution", "../policy/testdata/invalid/*.yaml"} {
		matches, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, matches...)
	}
	if len(files) < 20 {
		t.Fatalf("only %d fixtures found: %v", len(files), files)
	}
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			objs, err := source.ReadFiles(&resource.FilenameOptions{Filenames: []string{file}, Recursive: true}, "default", io.Discard)
			if err != nil {
				t.Skipf("not read as doctor -f reads it: %v", err)
			}
			in, err := FromObjects(objs, "", false)
			if err != nil {
				t.Skipf("no snapshot: %v", err)
			}
			fs := Run(in, nil, nil)
			if len(fs) == 0 {
				t.Fatal("no finding")
			}
			checkTranslated(t, in, fs)
			// The same objects as a cluster: the checks that need one run too.
			live := *in
			live.Live, live.warned = true, false
			checkTranslated(t, &live, Run(&live, nil, nil))
		})
	}
	if _, err := os.Stat("../plugin/testdata/doctor"); err != nil {
		t.Fatal(err)
	}
}

// Every message of doctor's catalog (doctor.*, warn.*), rendered with stand-in arguments, is
// written in Korean and Japanese: the findings no test input reaches (the active test, the
// live DNS lookup, rarer plugins) are held to it too.
func TestDoctorCatalogTranslated(t *testing.T) {
	names := map[string]bool{}
	for _, n := range productNames {
		names[n] = true
	}
	en := lang.Messages()[lang.En]
	n := 0
	for id := range en {
		if !strings.HasPrefix(id, "doctor.") && !strings.HasPrefix(id, "warn.") {
			continue
		}
		n++
		args := standIns(en[id])
		english := lang.T(lang.En, id, args...)
		for _, l := range []lang.Lang{lang.Ko, lang.Ja} {
			text := lang.T(l, id, args...)
			if id == "doctor.failed" {
				// An error's first word names the command that failed, as kubectl's do.
				text = strings.TrimPrefix(text, "doctor: ")
			}
			if runs := lang.Untranslated(text, names); len(runs) > 0 {
				t.Errorf("%s in %s: English left %q in:\n%s", id, l, runs, text)
			}
			if text == english && len(lang.Untranslated(english, names)) > 0 {
				t.Errorf("%s in %s is the English one: %q", id, l, text)
			}
		}
	}
	if n < 150 {
		t.Errorf("only %d doctor messages in the catalog", n)
	}
}

// standIns are arguments for a format's placeholders: 1 for numbers, X (a placeholder, as
// Untranslated reads capitals) for the rest.
func standIns(format string) []any {
	var args []any
	for _, p := range lang.Placeholders(format) {
		i, verb := 0, p[len(p)-1]
		for _, c := range p[:strings.IndexByte(p, ':')] {
			i = i*10 + int(c-'0')
		}
		for len(args) < i {
			args = append(args, "X")
		}
		if verb == 'd' {
			args[i-1] = 1
		}
	}
	return args
}
