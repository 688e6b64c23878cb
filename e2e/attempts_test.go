package e2e

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/yaml"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
	"github.com/kubectl-netpol/kubectl-netpol/labs"
)

// attempt is one learner attempt of the corpus (labs/testdata/attempts/LAB/*.yaml), with what
// its leading comments say grading must give.
type attempt struct {
	lab, path string
	verdict   string // PASS or FAIL
	namespace string // where its objects without a namespace land ("" for the context's: default)
	// onlyPolicies: the attempt holds NetworkPolicies and nothing else (no Namespace it
	// labels), so deleting them gives back the lab as lab up made it.
	onlyPolicies bool
}

func (a attempt) name() string { return strings.TrimSuffix(filepath.Base(a.path), ".yaml") }

// nsFlag is the -n that puts the attempt's objects without a namespace where grading puts them.
func (a attempt) nsFlag() []string {
	if a.namespace == "" {
		return nil
	}
	return []string{"-n", a.namespace}
}

func learnerAttempts(t *testing.T) []attempt {
	t.Helper()
	paths, err := filepath.Glob("../labs/testdata/attempts/*/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no learner attempts: %v", err)
	}
	var out []attempt
	for _, p := range paths {
		a := attempt{lab: filepath.Base(filepath.Dir(p)), path: p}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() && strings.HasPrefix(sc.Text(), "#") {
			key, value, _ := strings.Cut(strings.TrimSpace(strings.TrimPrefix(sc.Text(), "#")), ":")
			switch key {
			case "verdict":
				a.verdict = strings.TrimSpace(value)
			case "namespace":
				a.namespace = strings.TrimSpace(value)
			}
		}
		f.Close()
		if a.verdict == "" {
			t.Fatalf("%s says no verdict", p)
		}
		a.onlyPolicies = onlyNetworkPolicies(t, p)
		out = append(out, a)
	}
	return out
}

// The live learner tier: every attempt of the corpus, applied with kubectl to the lab as lab up
// made it, on the real node, and checked live. While kube-router enforces, every goal row's packets equal what
// the attempt's policies give and nothing blames the network; with the enforcer stopped, the
// network is blamed exactly for the rows the attempt's policies deny (and that got through),
// and for no other. The learner's objects go between attempts; the lab goes too after an
// attempt that changed more than NetworkPolicies (withAttempt).
func TestLearnerAttemptsOnRealPackets(t *testing.T) {
	c := localcluster.ForDataplane(t)
	attempts := learnerAttempts(t)

	// Labs have namespaces of their own: each lab's attempts run one after another, two labs
	// at a time (go test -parallel, GOMAXPROCS by default).
	usePluginEnv(t, c)
	for _, a := range attempts {
		if l, err := labs.Get(a.lab); err == nil && l.NeedsCRDs() {
			c.InstallClusterPolicyCRD(t) // as a cluster admin would, for the labs that need it
			break
		}
	}
	byLab := map[string][]attempt{}
	var labNames []string
	for _, a := range attempts {
		if byLab[a.lab] == nil {
			labNames = append(labNames, a.lab)
		}
		byLab[a.lab] = append(byLab[a.lab], a)
	}
	eachAttempt := func(t *testing.T, check func(t *testing.T, a attempt, refused bool)) {
		for _, lab := range labNames {
			t.Run(lab, func(t *testing.T) {
				t.Parallel()
				var up labUp
				defer up.down(t, c, lab)
				for _, a := range byLab[lab] {
					t.Run(a.name(), func(t *testing.T) {
						withAttempt(t, c, a, &up, func(refused bool) { check(t, a, refused) })
					})
				}
			})
		}
	}

	t.Run("enforced", func(t *testing.T) {
		eachAttempt(t, func(t *testing.T, a attempt, refused bool) {
			known := kubeRouterDeviations[a.lab+"/"+a.name()]
			rep := settledCheck(t, c, a.lab, known)
			want := a.verdict
			if len(known) > 0 {
				// Right policies, packets that get through anyway: lab check says FAIL, and why.
				want = "FAIL"
			}
			if !refused && rep.Verdict != want {
				t.Errorf("verdict %s (%s), want %s (the corpus says %s)", rep.Verdict, rep.Score, want, a.verdict)
			}
			packetsAreThePolicies(t, c, "enforced", rep, known)
		})
	})

	defer stopEnforcer(t, c)()
	t.Run("not enforced", func(t *testing.T) {
		eachAttempt(t, func(t *testing.T, a attempt, _ bool) {
			rep := openCheck(t, c, a.lab)
			leaks := 0
			for i, o := range rep.Live {
				if o.Ignored != "" {
					continue
				}
				denied := !rep.Static[i].Evaluated
				// What got through is the network's: the NetworkPolicies' plugin, or, where the
				// verdict rests on the cluster tier, that tier, which nothing here enforces.
				want := ""
				if denied {
					want = "not-enforced"
					if o.Tier != "" {
						want = "tier-not-enforced"
					}
				}
				leaked := o.Blame == "not-enforced" || o.Blame == "tier-not-enforced"
				if leaked != denied || denied && o.Blame != want {
					t.Errorf("%s: blame %q (%s), the attempt's policies allow=%v (tier %q)", o, o.Blame, o.Outcome, rep.Static[i].Evaluated, o.Tier)
				}
				if leaked {
					leaks++
				}
			}
			t.Logf("%d row(s) that the attempt's policies deny got through", leaks)
		})
	})
}

// labUp says whether a lab is up, as lab up made it, between one attempt and the next.
type labUp bool

// down takes the lab down when it is up.
func (up *labUp) down(t *testing.T, c *localcluster.Cluster, lab string) {
	t.Helper()
	if !*up {
		return
	}
	*up = false
	if r := netpol(t, c, "lab", "down", lab); r.code != 0 {
		t.Errorf("lab down: exit %d\n%s", r.code, r.stderr)
	}
}

// withAttempt applies the attempt with kubectl as the learner would, to the lab as lab up made
// it, runs check, then removes the learner's objects. The lab stays up for the next attempt when
// the attempt held NetworkPolicies alone and passed (deleting them gives the lab back as it
// was: lab up takes seconds, lab down several more, and they were most of this test's time);
// otherwise it goes, and the next attempt brings up a fresh one.
func withAttempt(t *testing.T, c *localcluster.Cluster, a attempt, up *labUp, check func(refused bool)) {
	t.Helper()
	if !*up {
		if r := netpol(t, c, "lab", "up", a.lab); r.code != 0 {
			t.Fatalf("lab up: exit %d\n%s", r.code, r.stderr)
		}
		*up = true
	}
	defer func() {
		// The learner's objects first (a policy in the lab's namespace keeps it from lab down).
		args := append([]string{"--kubeconfig", c.Kubeconfig, "delete", "-f", a.path, "--ignore-not-found", "--wait"}, a.nsFlag()...)
		if out, err := exec.Command(filepath.Join(c.BinDir, "kubectl"), args...).CombinedOutput(); err != nil {
			t.Errorf("kubectl %s: %v\n%s", strings.Join(args[2:], " "), err, out)
		}
		if !a.onlyPolicies || t.Failed() {
			up.down(t, c, a.lab)
		}
	}()
	// A policy the API server refuses is not created (the rest of the file is): the learner's
	// cluster then holds the others, and the live check grades what is there.
	args := append([]string{"--kubeconfig", c.Kubeconfig, "apply", "-f", a.path}, a.nsFlag()...)
	out, err := exec.Command(filepath.Join(c.BinDir, "kubectl"), args...).CombinedOutput()
	refused := err != nil && strings.Contains(string(out), " is invalid: ")
	switch {
	case refused:
		t.Logf("the API server refused part of the attempt, as lab check -f says (REFUSED):\n%s", out)
	case err != nil:
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args[2:], " "), err, out)
	}
	check(refused)
}

// onlyNetworkPolicies says whether every object of the file at path is a NetworkPolicy.
func onlyNetworkPolicies(t *testing.T, path string) bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := yaml.NewYAMLOrJSONDecoder(f, 4096)
	for {
		var o struct{ Kind string }
		switch err := d.Decode(&o); {
		case err == io.EOF:
			return true
		case err != nil:
			t.Fatalf("%s: %v", path, err)
		case o.Kind != "" && o.Kind != "NetworkPolicy":
			return false
		}
	}
}

// kubeRouterDeviations are the rows, per attempt, where kube-router v2.1.0 (the only release the
// module proxy serves) lets through what the NetworkPolicy spec denies, as this tier found. A
// policy with both policyTypes is jumped to from a pod's chain for traffic in either direction
// (pkg/controllers/netpol/pod.go, kubeBothPolicyType: no -s/-d), so its egress rules also accept
// traffic to a pod it selects from another pod it selects: an egress `- {}` reopens the ingress
// the same policy closes. The plugin must blame the network for exactly these rows.
var kubeRouterDeviations = map[string]map[string]bool{
	"default-deny/pass-deny-ingress-allow-all-egress": {"quiet/client -> quiet/api 8080/TCP": true},
}

// openCheck runs lab check, with nothing enforcing, until every probed row connects (a pod just
// started may miss a probe once), and returns that report.
func openCheck(t *testing.T, c *localcluster.Cluster, lab string) checkReport {
	t.Helper()
	rep, closed := checkUntil(t, c, lab, 45*time.Second, func(rep checkReport) []string {
		var closed []string
		for _, o := range rep.Live {
			if o.Ignored == "" && (o.Observed == nil || !*o.Observed) {
				closed = append(closed, fmt.Sprintf("%s: %s %s %s", o, o.Judgement, o.Outcome, o.Detail))
			}
		}
		return closed
	})
	if len(closed) > 0 {
		t.Fatalf("lab %s with nothing enforcing: rows still closed after 45s:\n%s", lab, strings.Join(closed, "\n"))
	}
	return rep
}
