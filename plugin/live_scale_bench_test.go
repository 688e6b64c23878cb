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
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericiooptions"
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
// 2,500 NetworkPolicies, run through Main as a user runs it, beside kubectl's own listing of the
// same objects (`kubectl get pods,networkpolicies,namespaces -A -o json > /dev/null`, the
// kubectl of the local cluster's BinDir) in the same run: each iteration is a pair, the plugin
// then kubectl (A B A B …), and the benchmark reports the median of the pairs' ratios and each
// side's median time. It needs the local control plane and fills it with 10,000 pods, so it runs
// only when KUBECTL_NETPOL_BENCH_LIVE=1 is set (and never under -short): `make test` does not
// run benchmarks, and without the variable this one skips at once.
//
// The cluster is started detached, in $KUBECTL_NETPOL_CACHE/bench-live (~/.cache/kubectl-netpol;
// KUBECTL_NETPOL_BENCH_LIVE_DIR overrides), and is reused by the next run: objects are created
// only when the marker namespace is missing, and only those missing, and how long that took is
// logged apart from the timings. Stop it with
//
//	KUBECTL_NETPOL_CLUSTER_DIR=~/.cache/kubectl-netpol/bench-live bin/local-cluster down
//
// Run it (10 pairs a command; -v shows the creation's log):
//
//	KUBECTL_NETPOL_BENCH_LIVE=1 go test -run XXX -bench LiveScale -benchtime 10x -timeout 60m ./plugin/
//
// `explain -A -o json` writes one result per pod pair and port, about 117 GB here, counted and
// dropped (some 16 s a run on 2 cores).
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
			benchmarkPairs(b, mode.args, kubectl, kubectlArgs)
		})
	}
}

// benchmarkPairs times the plugin's Main with args beside kubectl with kubectlArgs, in pairs
// (A B A B …, one pair an iteration, after one run of each that warms kubectl's discovery cache
// and the connections), and reports the median of the pairs' ratios of wall time ("ratio"), each
// side's median wall time and CPU time (user and system: the plugin's from this process's
// rusage, kubectl's from its own), and the median ratio of CPU times. The plugin's output is
// counted and dropped; kubectl's goes to /dev/null.
func benchmarkPairs(b *testing.B, args []string, kubectl string, kubectlArgs []string) {
	b.Helper()
	if _, _, _, err := runPluginTimed(args); err != nil {
		b.Fatal(err)
	}
	if _, _, err := runKubectlTimed(kubectl, kubectlArgs); err != nil {
		b.Fatal(err)
	}
	var plugin, kc, ratios, pluginCPU, kcCPU, cpuRatios []float64
	var outBytes int64
	for b.Loop() {
		runtime.GC() // each side starts from a clean heap, as kubectl's process does
		d, cpu, n, err := runPluginTimed(args)
		if err != nil {
			b.Fatal(err)
		}
		outBytes = n
		runtime.GC()
		k, kcpu, err := runKubectlTimed(kubectl, kubectlArgs)
		if err != nil {
			b.Fatal(err)
		}
		plugin, kc = append(plugin, d.Seconds()), append(kc, k.Seconds())
		ratios = append(ratios, d.Seconds()/k.Seconds())
		pluginCPU, kcCPU = append(pluginCPU, cpu.Seconds()), append(kcCPU, kcpu.Seconds())
		cpuRatios = append(cpuRatios, cpu.Seconds()/kcpu.Seconds())
	}
	b.ReportMetric(median(ratios), "ratio")
	b.ReportMetric(median(plugin)*1000, "plugin-ms")
	b.ReportMetric(median(kc)*1000, "kubectl-ms")
	b.ReportMetric(median(cpuRatios), "cpu-ratio")
	b.ReportMetric(median(pluginCPU)*1000, "plugin-cpu-ms")
	b.ReportMetric(median(kcCPU)*1000, "kubectl-cpu-ms")
	b.ReportMetric(float64(outBytes), "out-bytes")
	b.Logf("%s: %d pairs; plugin %s s; kubectl %s s; ratios %s; CPU ratios %s", strings.Join(args, " "), len(ratios), seconds(plugin), seconds(kc), seconds(ratios), seconds(cpuRatios))
}

// runPluginTimed runs the plugin's Main with args, its output counted and dropped, and returns
// its wall time, the CPU time this process spent meanwhile, and the bytes written. Doctor exits
// 1 on a cluster without a network plugin, which is a finding, not a failure.
func runPluginTimed(args []string) (time.Duration, time.Duration, int64, error) {
	out := byteCounter{w: io.Discard}
	var errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	cpu := selfCPU()
	start := time.Now()
	code := Main(streams, args)
	d := time.Since(start)
	cpu = selfCPU() - cpu
	if code != ExitOK && (args[0] != "doctor" || code != 1) || out.n == 0 {
		return d, cpu, out.n, fmt.Errorf("%s: exit %d, %d bytes out: %s", strings.Join(args, " "), code, out.n, errOut.String())
	}
	return d, cpu, out.n, nil
}

// runKubectlTimed runs kubectl with args, its output into /dev/null, and returns its wall time
// and CPU time.
func runKubectlTimed(kubectl string, args []string) (time.Duration, time.Duration, error) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return 0, 0, err
	}
	defer devNull.Close()
	var errOut bytes.Buffer
	cmd := exec.Command(kubectl, args...)
	cmd.Stdout, cmd.Stderr = devNull, &errOut
	start := time.Now()
	err = cmd.Run()
	d := time.Since(start)
	if err != nil {
		return d, 0, fmt.Errorf("kubectl %s: %v: %s", strings.Join(args, " "), err, errOut.String())
	}
	return d, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// selfCPU is the CPU time (user and system) this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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
	listAll("namespace", func(ctx context.Context, opts metav1.ListOptions) (runtimeObject, error) {
		return client.CoreV1().Namespaces().List(ctx, opts)
	}, func(o any) string { return o.(*corev1.Namespace).Name })
	listAll("pod", func(ctx context.Context, opts metav1.ListOptions) (runtimeObject, error) {
		return client.CoreV1().Pods("").List(ctx, opts)
	}, func(o any) string { p := o.(*corev1.Pod); return p.Namespace + "/" + p.Name })
	listAll("policy", func(ctx context.Context, opts metav1.ListOptions) (runtimeObject, error) {
		return client.NetworkingV1().NetworkPolicies("").List(ctx, opts)
	}, func(o any) string { p := o.(*networkingv1.NetworkPolicy); return p.Namespace + "/" + p.Name })
	listAll("service", func(ctx context.Context, opts metav1.ListOptions) (runtimeObject, error) {
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
	each("namespace", len(want.Namespaces), func(i int) string { return want.Namespaces[i].Name }, func(ctx context.Context, i int) error {
		ns := want.Namespaces[i].DeepCopy()
		_, err := client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) && ns.Name == metav1.NamespaceSystem {
			return nil
		}
		return err
	})
	each("service", len(want.Services), func(i int) string { return want.Services[i].Namespace + "/" + want.Services[i].Name }, func(ctx context.Context, i int) error {
		svc := want.Services[i].DeepCopy()
		_, err := client.CoreV1().Services(svc.Namespace).Create(ctx, svc, metav1.CreateOptions{})
		return err
	})
	each("policy", len(want.Policies), func(i int) string { return want.Policies[i].Namespace + "/" + want.Policies[i].Name }, func(ctx context.Context, i int) error {
		np := want.Policies[i].DeepCopy()
		_, err := client.NetworkingV1().NetworkPolicies(np.Namespace).Create(ctx, np, metav1.CreateOptions{})
		return err
	})
	each("pod", len(want.Pods), func(i int) string { return want.Pods[i].Namespace + "/" + want.Pods[i].Name }, func(ctx context.Context, i int) error {
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
		kinds = append(kinds, fmt.Sprintf("%d %ss", n, k))
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
