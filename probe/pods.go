package probe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
	"k8s.io/streaming/pkg/httpstream"
	"k8s.io/utils/ptr"
)

// FieldManager is the field manager of the probe containers the Runner adds.
const FieldManager = "kubectl-netpol"

// probeContainerPrefix names the ephemeral containers the Runner adds. Ephemeral containers
// cannot be removed, so a later run reuses a running one rather than adding another.
const probeContainerPrefix = "netpol-probe"

// probeContainerLife is how long a probe container stays: long enough for a session of labs
// to reuse it, short enough not to linger in a learner's pod for days. A container that has
// exited is replaced by a new one.
const probeContainerLife = "3600"

// detectTimeout bounds the detection exec; it does no network I/O, only the exec round trip.
const detectTimeout = 20 * time.Second

// prepareSource finds, for each kind of probe the pod's jobs need, a container that can run it:
// a running container of the pod with the client, or else an added probe container.
func (r *Runner) prepareSource(ctx context.Context, ref PodRef, needs []need, inject bool) *source {
	src := &source{via: map[need]via{}, missing: map[need]error{}}
	candidates := []string{ref.Container}
	var pod *corev1.Pod
	if r.Client != nil {
		var err error
		if pod, err = r.Client.CoreV1().Pods(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{}); err != nil {
			src.err = fmt.Errorf("reading pod %s: %w", ref, err)
			return src
		}
		if candidates, src.err = runningContainers(pod, ref); src.err != nil {
			return src
		}
	}
	unmet := func() []need {
		var out []need
		for _, n := range needs {
			if _, ok := src.via[n]; !ok {
				out = append(out, n)
			}
		}
		return out
	}
	for _, c := range candidates {
		if len(unmet()) == 0 {
			break
		}
		t, err := r.detect(ctx, ref, pod, c)
		if err != nil {
			src.err = err
			return src
		}
		src.use(c, t, needs)
	}
	missing := unmet()
	if len(missing) == 0 {
		return src
	}
	if !inject || r.Client == nil || r.MayInject != nil && !r.MayInject(pod) {
		for _, n := range missing {
			src.missing[n] = &PodError{Kind: ErrNoClient, Namespace: ref.Namespace, Pod: ref.Name, Detail: n.String()}
		}
		return src
	}
	name, err := r.inject(ctx, pod, describeNeeds(missing))
	if err == nil {
		var t tools
		if t, err = r.detect(ctx, ref, pod, name); err == nil {
			src.use(name, t, missing)
		}
	}
	for _, n := range unmet() {
		if err == nil {
			src.missing[n] = &PodError{Kind: ErrNoClient, Namespace: ref.Namespace, Pod: ref.Name, Container: name, Image: r.image(), Detail: n.String()}
		} else {
			src.missing[n] = err
		}
	}
	return src
}

// use records container c for the needs its tools meet and that no earlier container met.
func (s *source) use(c string, t tools, needs []need) {
	for _, n := range needs {
		if _, ok := s.via[n]; !ok && t.has(n) {
			s.via[n] = via{container: c, tools: t}
		}
	}
}

// runningContainers checks that the pod runs and lists the containers a probe may exec into:
// the one asked for, or every running container in the pod's order.
func runningContainers(pod *corev1.Pod, ref PodRef) ([]string, error) {
	notRunning := func(container, detail string) error {
		return &PodError{Kind: ErrPodNotRunning, Namespace: pod.Namespace, Pod: pod.Name, Container: container, Detail: detail}
	}
	if pod.DeletionTimestamp != nil {
		return nil, notRunning("", "it is being deleted")
	}
	if pod.Status.Phase != corev1.PodRunning {
		detail := "phase " + string(pod.Status.Phase)
		if why := waitingReason(pod.Status.ContainerStatuses); why != "" {
			detail += ", " + why
		} else if pod.Status.Reason != "" {
			detail += ", " + pod.Status.Reason
		}
		return nil, notRunning("", detail)
	}
	running := map[string]bool{}
	for _, s := range append(append([]corev1.ContainerStatus{}, pod.Status.ContainerStatuses...), pod.Status.EphemeralContainerStatuses...) {
		running[s.Name] = s.State.Running != nil
	}
	if ref.Container != "" {
		known := false
		for _, c := range pod.Spec.Containers {
			known = known || c.Name == ref.Container
		}
		for _, c := range pod.Spec.EphemeralContainers {
			known = known || c.Name == ref.Container
		}
		if !known {
			return nil, fmt.Errorf("pod %s has no container %q", ref, ref.Container)
		}
		if !running[ref.Container] {
			return nil, notRunning(ref.Container, "container "+ref.Container+" is not running")
		}
		return []string{ref.Container}, nil
	}
	var out []string
	for _, c := range pod.Spec.Containers {
		if running[c.Name] {
			out = append(out, c.Name)
		}
	}
	if len(out) == 0 {
		detail := "no container is running"
		if why := waitingReason(pod.Status.ContainerStatuses); why != "" {
			detail += ": " + why
		}
		return nil, notRunning("", detail)
	}
	return out, nil
}

func waitingReason(statuses []corev1.ContainerStatus) string {
	for _, s := range statuses {
		if w := s.State.Waiting; w != nil && w.Reason != "" {
			return fmt.Sprintf("container %s is waiting: %s", s.Name, w.Reason)
		}
		if t := s.State.Terminated; t != nil {
			return fmt.Sprintf("container %s terminated: %s (exit code %d)", s.Name, t.Reason, t.ExitCode)
		}
	}
	return ""
}

// detect finds the clients of one container, once: the answer is cached for the pod's life
// (by UID when the pod was read, so that a pod recreated under the same name is asked again).
func (r *Runner) detect(ctx context.Context, ref PodRef, pod *corev1.Pod, container string) (tools, error) {
	key := ref.Namespace + "/" + ref.Name
	if pod != nil {
		key = string(pod.UID)
	}
	key += "/" + container
	r.mu.Lock()
	t, ok := r.tools[key]
	r.mu.Unlock()
	if ok {
		return t, nil
	}
	dctx, cancel := context.WithTimeout(ctx, detectTimeout)
	defer cancel()
	stdout, _, err := r.Exec.Exec(dctx, ExecRequest{Namespace: ref.Namespace, Pod: ref.Name, Container: container, Command: detectCommand})
	switch {
	case err == nil:
		t = parseTools(stdout)
	case ctx.Err() != nil:
		return tools{}, ctx.Err()
	case isExecForbidden(err):
		return tools{}, &PodError{Kind: ErrExecForbidden, Namespace: ref.Namespace, Pod: ref.Name, Container: container, Err: apiError(err)}
	case noShell(err):
		// An image without even sh (distroless, scratch) has no client either.
		t = tools{}
	default:
		where := ref.String()
		if container != "" {
			where += " container " + container
		}
		return tools{}, fmt.Errorf("exec into pod %s to look for a client: %w", where, err)
	}
	r.mu.Lock()
	if r.tools == nil {
		r.tools = map[string]tools{}
	}
	r.tools[key] = t
	r.mu.Unlock()
	return t, nil
}

// isExecForbidden: exec answered 403. After the WebSocket attempt was refused, the SPDY
// fallback is refused too, and SPDY reports the Status as text only ("unable to upgrade
// connection: pods "x" is forbidden: User "u" cannot create resource "pods/exec" ...").
func isExecForbidden(err error) bool {
	if apierrors.IsForbidden(apiError(err)) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, " is forbidden: ") && strings.Contains(s, "pods/exec")
}

// apiError digs the API server's answer out of an exec error. The executors report a refused
// upgrade (a 403 among them) as an UpgradeFailureError whose Cause is the Status; that type
// has no Unwrap, so apierrors.IsForbidden cannot see through it.
func apiError(err error) error {
	var uf *httpstream.UpgradeFailureError
	if errors.As(err, &uf) && uf.Cause != nil {
		return uf.Cause
	}
	return err
}

// noShell: the detection command could not start, because the image has no sh. The runtimes
// say "executable file not found" (runc, crun) or "no such file or directory".
func noShell(err error) bool {
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "executable file not found") || strings.Contains(s, "no such file or directory")
}

// inject adds a probe container to the pod, or finds the one added before, and waits until it
// runs. missing names the clients the pod lacks, for the error messages.
func (r *Runner) inject(ctx context.Context, pod *corev1.Pod, missing string) (string, error) {
	fail := func(kind error, name, detail string, err error) error {
		return &PodError{Kind: kind, Namespace: pod.Namespace, Pod: pod.Name, Container: name, Image: r.image(), Detail: detail, Err: err}
	}
	used := map[string]bool{}
	for _, c := range pod.Spec.EphemeralContainers {
		used[c.Name] = true
		if strings.HasPrefix(c.Name, probeContainerPrefix) && c.Image == r.image() {
			for _, s := range pod.Status.EphemeralContainerStatuses {
				if s.Name == c.Name && s.State.Running != nil {
					return c.Name, nil
				}
			}
		}
	}
	name := probeContainerPrefix
	for n := 2; used[name]; n++ {
		name = probeContainerPrefix + "-" + strconv.Itoa(n)
	}
	ec := corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
		Name:                     name,
		Image:                    r.image(),
		Command:                  []string{"sleep", probeContainerLife},
		ImagePullPolicy:          corev1.PullIfNotPresent,
		TerminationMessagePolicy: corev1.TerminationMessageReadFile,
		// What Pod Security's "restricted" level asks for, so that namespaces enforcing it
		// accept the container. The clients need no privilege: they open ordinary sockets.
		SecurityContext: &corev1.SecurityContext{
			RunAsNonRoot:             ptr.To(true),
			RunAsUser:                ptr.To[int64](65534),
			AllowPrivilegeEscalation: ptr.To(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
	}}
	// A strategic merge patch adds the container to the list (merge key: name), as kubectl
	// debug does; RBAC calls that `patch` on pods/ephemeralcontainers.
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"ephemeralContainers": []corev1.EphemeralContainer{ec}}})
	if err != nil {
		return "", err
	}
	_, err = r.Client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch,
		metav1.PatchOptions{FieldManager: FieldManager}, "ephemeralcontainers")
	switch {
	case err == nil:
	case isRBACForbidden(err):
		return "", fail(ErrEphemeralForbidden, name, missing, err)
	case apierrors.IsNotFound(err) && !podGone(ctx, r, pod), apierrors.IsMethodNotSupported(err):
		return "", fail(ErrEphemeralUnsupported, name, missing, err)
	default:
		// Admission (Pod Security, a policy engine) or validation said no.
		return "", fail(ErrInjectFailed, name, "the API server refused it: "+err.Error(), err)
	}
	if err := r.waitRunning(ctx, pod, name); err != nil {
		var pe *PodError
		if errors.As(err, &pe) || ctx.Err() != nil {
			return "", err
		}
		return "", fail(ErrInjectFailed, name, err.Error(), err)
	}
	return name, nil
}

// podGone tells a NotFound for the pod itself (deleted meanwhile) from a NotFound for the
// subresource (a cluster without ephemeral containers).
func podGone(ctx context.Context, r *Runner, pod *corev1.Pod) bool {
	_, err := r.Client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
	return apierrors.IsNotFound(err)
}

// waitRunning waits, as kubectl wait does, until the probe container runs; it gives up early on
// states that waiting will not fix.
func (r *Runner) waitRunning(ctx context.Context, pod *corev1.Pod, name string) error {
	wctx, cancel := context.WithTimeout(ctx, r.startTimeout())
	defer cancel()
	selector := fields.OneTermEqualSelector("metadata.name", pod.Name).String()
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = selector
			return r.Client.CoreV1().Pods(pod.Namespace).List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = selector
			return r.Client.CoreV1().Pods(pod.Namespace).Watch(ctx, o)
		},
	}
	state := "no status reported for it"
	_, err := watchtools.UntilWithSync(wctx, cache.ToListWatcherWithWatchListSemantics(lw, r.Client), &corev1.Pod{}, nil,
		func(ev watch.Event) (bool, error) {
			p, ok := ev.Object.(*corev1.Pod)
			if !ok {
				return false, nil
			}
			if ev.Type == watch.Deleted || p.UID != pod.UID {
				return false, fmt.Errorf("pod %s/%s was deleted", pod.Namespace, pod.Name)
			}
			for _, s := range p.Status.EphemeralContainerStatuses {
				if s.Name != name {
					continue
				}
				switch {
				case s.State.Running != nil:
					return true, nil
				case s.State.Terminated != nil:
					return false, fmt.Errorf("it exited: %s (exit code %d) %s", s.State.Terminated.Reason, s.State.Terminated.ExitCode, s.State.Terminated.Message)
				case s.State.Waiting != nil:
					state = "waiting: " + s.State.Waiting.Reason
					switch s.State.Waiting.Reason {
					case "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "CreateContainerConfigError", "CreateContainerError", "RunContainerError":
						return false, fmt.Errorf("%s: %s", s.State.Waiting.Reason, s.State.Waiting.Message)
					}
				}
			}
			return false, nil
		})
	if err != nil && wctx.Err() != nil && ctx.Err() == nil {
		return fmt.Errorf("not running after %s (%s)", r.startTimeout(), state)
	}
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
