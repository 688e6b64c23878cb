//go:build unix

package plugin

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/pager"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
	"github.com/kubectl-netpol/kubectl-netpol/source"
	"github.com/kubectl-netpol/kubectl-netpol/source/sourcetest"
)

// The live cluster of BenchmarkLiveScale: sourcetest.WriteCluster's shapes (500 namespaces of 20
// pods and 5 policies, kube-system's two DNS pods and its kube-dns Service) on an API-only local
// cluster (kwok) of its own, which outlives the benchmark so that the objects are created once.
const (
	liveScaleNamespaces = 500
	liveScaleSwitch     = "KUBECTL_NETPOL_BENCH_LIVE"
	// liveScaleMarker is the namespace created last, once every object exists and every pod
	// runs: when it is there, the cluster is ready and nothing is listed to find what is missing.
	liveScaleMarker = "netpol-bench-live-500"
)

// BenchmarkLiveScale times the plugin on a live cluster of 10,000 pods in 500 namespaces with
// 2,500 NetworkPolicies beside kubectl's own listing of the same objects (`kubectl get
// pods,networkpolicies,namespaces -A -o json > /dev/null`, the kubectl of the local cluster's
// BinDir) in the same run: both are processes, the plugin built as make build builds it, each
// iteration a pair, the plugin then kubectl (A B A B …), and the benchmark reports the median of
// the pairs' ratios and each side's median time. It needs the local control plane and fills it
// with 10,000 pods, so it runs only when KUBECTL_NETPOL_BENCH_LIVE=1 is set (and never under
// -short): `make test` does not run benchmarks, and without the variable this one skips at once.
//
// The cluster is started detached, in $KUBECTL_NETPOL_CACHE/bench-live (~/.cache/kubectl-netpol;
// KUBECTL_NETPOL_BENCH_LIVE_DIR overrides), and is reused by the next run: objects are created
// only when the marker namespace is missing, and only those missing, and how long that took is
// logged apart from the timings. Stop it (and delete its objects) with
//
//	KUBECTL_NETPOL_CLUSTER_DIR=~/.cache/kubectl-netpol/bench-live bin/local-cluster down
//
// Run it (10 pairs a command; -v shows the creation's log and every pair):
//
//	KUBECTL_NETPOL_BENCH_LIVE=1 go test -run XXX -bench LiveScale -benchtime 10x -timeout 60m -v ./plugin/
//
// `explain -A -o json` writes one result per pod pair and port, some 10^8 results here.
func BenchmarkLiveScale(b *testing.B) {
	if testing.Short() {
		b.Skip("live benchmark skipped under -short: it needs the local control plane")
	}
	if os.Getenv(liveScaleSwitch) != "1" {
		b.Skip("live benchmark skipped: set " + liveScaleSwitch + "=1 to run it (it starts a local cluster and fills it with 10,000 pods)")
	}
	ctx := context.Background()
	kubeconfig, kubectl := liveScaleCluster(ctx, b)
	b.Setenv("KUBECONFIG", kubeconfig)
	b.Setenv("HOME", b.TempDir()) // kubectl's discovery cache, warmed below and kept for every pair
	plugin := buildPlugin(b)

	modes := []struct {
		name string
		args []string
	}{
		{"explain-summary", []string{"explain", "-A"}},
		{"explain-from-pod", []string{"explain", "-A", "--from", "ns-0000/web-0"}},
		{"explain-json", []string{"explain", "-A", "-o", "json"}},
		{"doctor", []string{"doctor", "-A"}},
	}
	for _, mode := range modes {
		b.Run(mode.name, func(b *testing.B) {
			kubectlArgs := []string{"get", "pods,networkpolicies,namespaces", "-A", "-o", "json"}
			benchmarkPairs(b, plugin, mode.args, kubectl, kubectlArgs)
		})
	}
}

// buildPlugin builds the plugin's binary as make build does (static, trimmed, stripped) into a
// folder of b's, and returns its path.
func buildPlugin(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "kubectl-netpol")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "./cmd/kubectl-netpol")
	cmd.Dir = localcluster.RepoRoot()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("building the plugin: %v\n%s", err, out)
	}
	return bin
}

// benchmarkPairs times the plugin's binary with args beside kubectl with kubectlArgs, both as
// processes with their output into /dev/null, in pairs (A B A B …, one pair an iteration, after
// one run of each that warms kubectl's discovery cache and the server's), and reports the median
// of the pairs' ratios of wall time ("ratio"), each side's median wall time and CPU time (user
// and system, from each process's rusage), and the median ratio of CPU times.
func benchmarkPairs(b *testing.B, plugin string, args []string, kubectl string, kubectlArgs []string) {
	b.Helper()
	// Doctor exits 1 on a cluster without a network plugin: a finding, not a failure.
	pluginOK := []int{ExitOK}
	if args[0] == "doctor" {
		pluginOK = append(pluginOK, 1)
	}
	if _, _, err := runTimed(plugin, args, pluginOK); err != nil {
		b.Fatal(err)
	}
	if _, _, err := runTimed(kubectl, kubectlArgs, []int{0}); err != nil {
		b.Fatal(err)
	}
	var pluginWall, kcWall, ratios, pluginCPU, kcCPU, cpuRatios []float64
	for b.Loop() {
		d, cpu, err := runTimed(plugin, args, pluginOK)
		if err != nil {
			b.Fatal(err)
		}
		k, kcpu, err := runTimed(kubectl, kubectlArgs, []int{0})
		if err != nil {
			b.Fatal(err)
		}
		pluginWall, kcWall = append(pluginWall, d.Seconds()), append(kcWall, k.Seconds())
		ratios = append(ratios, d.Seconds()/k.Seconds())
		pluginCPU, kcCPU = append(pluginCPU, cpu.Seconds()), append(kcCPU, kcpu.Seconds())
		cpuRatios = append(cpuRatios, cpu.Seconds()/kcpu.Seconds())
	}
	b.ReportMetric(median(ratios), "ratio")
	b.ReportMetric(median(pluginWall)*1000, "plugin-ms")
	b.ReportMetric(median(kcWall)*1000, "kubectl-ms")
	b.ReportMetric(median(cpuRatios), "cpu-ratio")
	b.ReportMetric(median(pluginCPU)*1000, "plugin-cpu-ms")
	b.ReportMetric(median(kcCPU)*1000, "kubectl-cpu-ms")
	b.Logf("%s: %d pairs; plugin %s s; kubectl %s s; ratios %s; CPU ratios %s", strings.Join(args, " "), len(ratios), seconds(pluginWall), seconds(kcWall), seconds(ratios), seconds(cpuRatios))
}

// runTimed runs bin with args, its output into /dev/null, and returns its wall time and CPU
// time (user and system); an exit code not in ok is an error, with its stderr.
func runTimed(bin string, args []string, ok []int) (time.Duration, time.Duration, error) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return 0, 0, err
	}
	defer devNull.Close()
	var errOut bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = devNull, &errOut
	start := time.Now()
	err = cmd.Run()
	d := time.Since(start)
	if cmd.ProcessState == nil || !slices.Contains(ok, cmd.ProcessState.ExitCode()) {
		return d, 0, fmt.Errorf("%s %s: %v: %s", filepath.Base(bin), strings.Join(args, " "), err, errOut.String())
	}
	return d, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// liveScaleCluster starts the benchmark's cluster unless it runs already, creates what of the
// synthetic cluster is missing, and returns its kubeconfig and kubectl.
func liveScaleCluster(ctx context.Context, b *testing.B) (kubeconfig, kubectl string) {
	b.Helper()
	dir := os.Getenv("KUBECTL_NETPOL_BENCH_LIVE_DIR")
	if dir == "" {
		dir = filepath.Join(localcluster.CacheDir(), "bench-live")
	}
	binDir, err := localcluster.EnsureBinaries(ctx, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	kubectl = filepath.Join(binDir, "kubectl")
	kubeconfig = filepath.Join(dir, "admin.kubeconfig")
	if !localcluster.DetachedRunning(dir) {
		// Leftovers of one that died (a reboot) are stopped; etcd's data stays, and with it
		// the objects, so that only what is missing is created again.
		if _, err := localcluster.StopDetached(dir); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		c, err := localcluster.Start(ctx, localcluster.Options{Dir: dir, Detach: true})
		if err != nil {
			b.Fatalf("starting the benchmark's cluster in %s: %v", dir, err)
		}
		kubeconfig = c.Kubeconfig
		b.Logf("started the benchmark's local cluster in %s (%.1fs)", dir, time.Since(start).Seconds())
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		b.Fatal(err)
	}
	cfg.QPS, cfg.Burst = 1000, 2000
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := client.CoreV1().Namespaces().Get(ctx, liveScaleMarker, metav1.GetOptions{}); err == nil {
		b.Logf("the benchmark's cluster in %s holds its objects already (namespace %s): nothing created", dir, liveScaleMarker)
		return kubeconfig, kubectl
	} else if !apierrors.IsNotFound(err) {
		b.Fatal(err)
	}
	liveScaleCreate(ctx, b, client)
	return kubeconfig, kubectl
}

// liveScaleCreate creates the objects of sourcetest.WriteCluster that the cluster lacks, waits
// until every pod runs, then creates the marker namespace. It logs how long each step took.
func liveScaleCreate(ctx context.Context, b *testing.B, client kubernetes.Interface) {
	b.Helper()
	dir := sourcetest.WriteCluster(b, liveScaleNamespaces)
	want, err := source.ReadFiles(&resource.FilenameOptions{Filenames: []string{dir}}, metav1.NamespaceDefault, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	have := map[string]bool{}
	listAll := func(kind string, fn pager.ListPageFunc, key func(any) string) {
		p := pager.New(fn)
		if err := p.EachListItem(ctx, metav1.ListOptions{}, func(obj runtimeObject) error {
			have[kind+" "+key(obj)] = true
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	listAll("namespaces", func(ctx context.Context, opts metav1.ListOptions) (runtimeObject, error) {
		return client.CoreV1().Namespaces().List(ctx, opts)
	}, func(o any) string { return o.(*corev1.Namespace).Name })
	listAll("pods", func(ctx context.Context, opts metav1.ListOptions) (runtimeObject, error) {
		return client.CoreV1().Pods("").List(ctx, opts)
	}, func(o any) string { p := o.(*corev1.Pod); return p.Namespace + "/" + p.Name })
	listAll("networkpolicies", func(ctx context.Context, opts metav1.ListOptions) (runtimeObject, error) {
		return client.NetworkingV1().NetworkPolicies("").List(ctx, opts)
	}, func(o any) string { p := o.(*networkingv1.NetworkPolicy); return p.Namespace + "/" + p.Name })
	listAll("services", func(ctx context.Context, opts metav1.ListOptions) (runtimeObject, error) {
		return client.CoreV1().Services("").List(ctx, opts)
	}, func(o any) string { s := o.(*corev1.Service); return s.Namespace + "/" + s.Name })

	var retries atomic.Int64
	created := map[string]int{}
	each := func(kind string, n int, key func(int) string, create func(context.Context, int) error) {
		var todo []int
		for i := range n {
			if !have[kind+" "+key(i)] {
				todo = append(todo, i)
			}
		}
		created[kind] = len(todo)
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(32)
		for _, i := range todo {
			g.Go(func() error {
				// A namespace's default ServiceAccount comes from kube-controller-manager shortly
				// after the namespace; the ServiceAccount admission plugin refuses pods until then.
				deadline := time.Now().Add(60 * time.Second)
				for {
					err := create(gctx, i)
					if err == nil || apierrors.IsAlreadyExists(err) {
						return nil
					}
					if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "serviceaccount") || time.Now().After(deadline) {
						return fmt.Errorf("creating %s %s: %w", kind, key(i), err)
					}
					retries.Add(1)
					time.Sleep(100 * time.Millisecond)
				}
			})
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
	}
	each("namespaces", len(want.Namespaces), func(i int) string { return want.Namespaces[i].Name }, func(ctx context.Context, i int) error {
		ns := want.Namespaces[i].DeepCopy()
		_, err := client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) && ns.Name == metav1.NamespaceSystem {
			return nil
		}
		return err
	})
	each("services", len(want.Services), func(i int) string { return want.Services[i].Namespace + "/" + want.Services[i].Name }, func(ctx context.Context, i int) error {
		svc := want.Services[i].DeepCopy()
		_, err := client.CoreV1().Services(svc.Namespace).Create(ctx, svc, metav1.CreateOptions{})
		return err
	})
	each("networkpolicies", len(want.Policies), func(i int) string { return want.Policies[i].Namespace + "/" + want.Policies[i].Name }, func(ctx context.Context, i int) error {
		np := want.Policies[i].DeepCopy()
		_, err := client.NetworkingV1().NetworkPolicies(np.Namespace).Create(ctx, np, metav1.CreateOptions{})
		return err
	})
	each("pods", len(want.Pods), func(i int) string { return want.Pods[i].Namespace + "/" + want.Pods[i].Name }, func(ctx context.Context, i int) error {
		pod := want.Pods[i].DeepCopy()
		pod.Status = corev1.PodStatus{} // kwok gives it an IP and makes it Running
		// Straight onto the fake node: the scheduler would take minutes for 10,000 pods.
		pod.Spec.NodeName = localcluster.NodeName
		_, err := client.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{})
		return err
	})
	createTime := time.Since(start)

	// A cluster at rest: every pod Running, as kwok makes them within a bound.
	wantPods := map[string]bool{}
	for _, p := range want.Pods {
		wantPods[p.Namespace+"/"+p.Name] = true
	}
	running := 0
	deadline := time.Now().Add(10 * time.Minute)
	for {
		running = 0
		p := pager.New(func(ctx context.Context, opts metav1.ListOptions) (runtimeObject, error) {
			return client.CoreV1().Pods("").List(ctx, opts)
		})
		if err := p.EachListItem(ctx, metav1.ListOptions{}, func(obj runtimeObject) error {
			pod := obj.(*corev1.Pod)
			if wantPods[pod.Namespace+"/"+pod.Name] && pod.Status.Phase == corev1.PodRunning && pod.Status.PodIP != "" {
				running++
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		if running == len(wantPods) || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Second)
	}
	if running != len(wantPods) {
		b.Fatalf("%d of %d pods Running after 10 minutes", running, len(wantPods))
	}
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: liveScaleMarker,
		Annotations: map[string]string{"kubectl-netpol.bench/shape": fmt.Sprintf("sourcetest.WriteCluster(%d): %d pods, %d policies", liveScaleNamespaces, len(want.Pods), len(want.Policies))}}},
		metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		b.Fatal(err)
	}
	var kinds []string
	for k, n := range created {
		kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
	}
	slices.Sort(kinds)
	b.Logf("created what was missing: %s in %.1fs (%d ServiceAccount retries); %d pods Running after %.1fs",
		strings.Join(kinds, ", "), createTime.Seconds(), retries.Load(), running, time.Since(start).Seconds())
}

type runtimeObject = k8sruntime.Object

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func seconds(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.3f", x)
	}
	return strings.Join(parts, " ")
}
