package checks

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/probe"
)

// The active check proves enforcement the only way it can be proved: it creates a scratch
// namespace with a server, a client and, between two probes, a deny policy, and then deletes
// it all. It is the one check that writes to the cluster, and only with --active.

// ActiveIDs are the findings of the active check.
var ActiveIDs = []string{"NP6001", "NP6002", "NP6003"}

// Active configures the active check.
type Active struct {
	Client  kubernetes.Interface
	Prober  *probe.Runner // its Exec, Client, Timeout, Retries and RetryDelay are used
	Image   string        // busybox-like: httpd and wget
	Timeout time.Duration // for the pods to run
	// Progress, when set, hears what is happening.
	Progress func(string)
	// NamespaceLabels are put on the scratch namespace besides its own, e.g. a PodSecurity level
	// (tests use it to stand for a cluster whose default level is restricted).
	NamespaceLabels map[string]string
}

// ActiveLabel marks what the active check creates, so that a leftover is recognisable.
const ActiveLabel = "netpol.lab/doctor-active"

// Run creates, probes, and always deletes. The finding says enforced, not enforced, or
// inconclusive (the baseline probe failed: without a policy the client could not reach the
// server, so a blocked probe afterwards proves nothing).
func (a *Active) Run(ctx context.Context) (f Finding, err error) {
	const check = "active"
	say := func(s string) {
		if a.Progress != nil {
			a.Progress(s)
		}
	}
	ns := "netpol-doctor-" + rand.String(5)
	labels := map[string]string{"app.kubernetes.io/managed-by": "kubectl-netpol", ActiveLabel: "true"}
	nsLabels := map[string]string{}
	for k, v := range a.NamespaceLabels {
		nsLabels[k] = v
	}
	for k, v := range labels {
		nsLabels[k] = v
	}
	say("creating namespace " + ns)
	if _, err := a.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: nsLabels}}, metav1.CreateOptions{}); err != nil {
		return f, activeError("create namespaces", err)
	}
	// Deleted whatever happens, with a context of its own: the command's may be cancelled.
	defer func() {
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		say("deleting namespace " + ns)
		if derr := a.Client.CoreV1().Namespaces().Delete(dctx, ns, metav1.DeleteOptions{}); derr != nil && !apierrors.IsNotFound(derr) && err == nil {
			err = fmt.Errorf("the active check could not delete its namespace %s: %w; delete it with kubectl delete namespace %s", ns, derr, ns)
		}
	}()

	// Both pods meet PodSecurity's restricted level, so that admission anywhere takes them:
	// a non-root user, no privilege escalation, no capabilities, the runtime's seccomp profile;
	// the server writes its page to an emptyDir, not to the image.
	server := restrictedPod(ns, "server", a.Image, []string{"sh", "-c", "echo ok > /www/index.html && exec httpd -f -p 8080 -h /www"})
	server.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}
	server.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "www", MountPath: "/www"}}
	server.Spec.Volumes = []corev1.Volume{{Name: "www", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	client := restrictedPod(ns, "client", a.Image, []string{"sleep", "3600"})
	say("starting a server and a client pod")
	for _, p := range []*corev1.Pod{server, client} {
		// The namespace's default ServiceAccount may lag its creation by a moment.
		var last error
		err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
			_, last = a.Client.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
			if serviceAccountPending(last) {
				return false, nil
			}
			return last == nil, last
		})
		if err != nil && last != nil && !serviceAccountPending(last) {
			err = last // admission's or RBAC's own words, not a timeout
		}
		if err != nil {
			return f, activeError("create pods", err)
		}
	}
	ip, err := a.waitRunning(ctx, ns, "server")
	if err != nil {
		return f, err
	}
	if _, err := a.waitRunning(ctx, ns, "client"); err != nil {
		return f, err
	}
	// A runner of its own: the client pod has wget, so nothing is ever injected.
	prober := &probe.Runner{Exec: a.Prober.Exec, Client: a.Prober.Client, Timeout: a.Prober.Timeout,
		Parallel: 1, Retries: a.Prober.Retries, RetryDelay: a.Prober.RetryDelay, NoInject: true}
	job := probe.Job{From: probe.PodRef{Namespace: ns, Name: "client", Container: "client"}, To: probe.Target{Name: ns + "/server", Host: ip}, Port: 8080, Protocol: corev1.ProtocolTCP}

	say("probing client -> server without a policy")
	job.Expected = true
	before := prober.Run(ctx, []probe.Job{job})[0]
	if before.Err != nil {
		return f, fmt.Errorf("the active check could not probe: %w", before.Err)
	}
	say("applying a deny policy and probing again")
	deny := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "deny-to-server", Namespace: ns, Labels: labels},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "server"}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}},
	}
	if _, err := a.Client.NetworkingV1().NetworkPolicies(ns).Create(ctx, deny, metav1.CreateOptions{}); err != nil {
		return f, activeError("create networkpolicies", err)
	}
	// CNIs take a moment to program a new policy; the retries of mismatches, spaced out, cover it
	// (1 s, 2 s, 4 s: kube-router took up to about 2 s on the local node).
	job.Expected = false
	prober.Retries = max(prober.Retries, 3)
	prober.RetryDelay = max(prober.RetryDelay, time.Second)
	after := prober.Run(ctx, []probe.Job{job})[0]
	if after.Err != nil {
		return f, fmt.Errorf("the active check could not probe: %w", after.Err)
	}
	res := "Namespace/" + ns
	switch {
	case !before.Allowed:
		// The probe's detail is what its client printed: as it printed it.
		return finding(check, "NP6003", SeverityWarning, res,
			lang.M("doctor.active.inconclusive", OutcomeSays(before.Outcome), before.Detail), lang.M("doctor.active.inconclusive.fix")), nil
	case after.Allowed:
		return finding(check, "NP6001", SeverityError, res, lang.M("doctor.active.not-enforced"), lang.M("doctor.active.not-enforced.fix")), nil
	}
	f = pass(check, "NP6002", lang.M("doctor.active.enforced", OutcomeSays(after.Outcome)))
	return f, nil
}

func (a *Active) waitRunning(ctx context.Context, ns, name string) (string, error) {
	var ip string
	var last *corev1.Pod
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, a.Timeout, true, func(ctx context.Context) (bool, error) {
		p, err := a.Client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		last, ip = p, p.Status.PodIP
		return p.Status.Phase == corev1.PodRunning && ip != "", nil
	})
	if err != nil {
		phase := "not created"
		if last != nil {
			phase = string(last.Status.Phase)
		}
		return "", fmt.Errorf("the active check's pod %s/%s did not run within %s (phase %s); check that image %s can be pulled (kubectl describe pod %s -n %s), or pass another with --probe-image", ns, name, a.Timeout, phase, a.Image, name, ns)
	}
	return ip, nil
}

func activeError(what string, err error) error {
	switch {
	case apierrors.IsForbidden(err) && strings.Contains(err.Error(), " cannot "):
		return fmt.Errorf("the active check needs to %s (and delete namespaces, exec into pods): %w", what, err)
	case apierrors.IsForbidden(err) || apierrors.IsInvalid(err):
		return fmt.Errorf("the active check could not %s: the API server refused them (admission): %w", what, err)
	}
	return fmt.Errorf("the active check could not %s: %w", what, err)
}

// serviceAccountPending is the one 403 worth waiting out: the ServiceAccount admission plugin
// refuses pods until the new namespace's default ServiceAccount exists, a moment after the
// namespace. Every other refusal (RBAC, PodSecurity, a quota, a webhook) is the answer.
func serviceAccountPending(err error) bool {
	if !apierrors.IsForbidden(err) {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "serviceaccount") && (strings.Contains(msg, "not found") || strings.Contains(msg, "error looking up service account"))
}

// restrictedPod is a pod of the active check that PodSecurity's restricted level admits.
func restrictedPod(ns, name, image string, command []string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{
			TerminationGracePeriodSeconds: ptr(int64(1)),
			SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr(true), RunAsUser: ptr(int64(65534)), RunAsGroup: ptr(int64(65534)),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			Containers: []corev1.Container{{Name: name, Image: image, Command: command,
				SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}},
		},
	}
}

func ptr[T any](v T) *T { return &v }

// OutcomeSays is what a probe observed, in words for any language.
func OutcomeSays(o probe.Outcome) lang.Msg {
	switch o {
	case probe.Connected:
		return lang.M("doctor.outcome.connected")
	case probe.Refused:
		return lang.M("doctor.outcome.refused")
	case probe.NotServed:
		return lang.M("doctor.outcome.not-served")
	case probe.Timeout:
		return lang.M("doctor.outcome.timeout")
	case probe.Error:
		return lang.M("doctor.outcome.error")
	}
	return lang.Verbatim(string(o))
}
