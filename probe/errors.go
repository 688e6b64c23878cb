package probe

import (
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// The kinds of failure that stop probes from a pod before any packet is sent. Each has one way
// out for the user, so callers map them to messages and exit codes with errors.Is; the
// *PodError carrying them says which pod, and its Error text already names the way out.
var (
	// ErrPodNotRunning: the source pod (or the container asked for) is not running, so there
	// is nothing to exec into.
	ErrPodNotRunning = errors.New("pod not running")
	// ErrExecForbidden: RBAC refused the exec. Exec over WebSocket (GET) needs `get` and the
	// SPDY fallback (POST) `create`, both on pods/exec.
	ErrExecForbidden = errors.New("exec forbidden")
	// ErrEphemeralForbidden: the pod has no client and RBAC refused adding a probe container
	// (`patch` on pods/ephemeralcontainers).
	ErrEphemeralForbidden = errors.New("ephemeral containers forbidden")
	// ErrEphemeralUnsupported: the API server has no pods/ephemeralcontainers subresource
	// (Kubernetes before 1.23, or the feature turned off).
	ErrEphemeralUnsupported = errors.New("ephemeral containers unsupported")
	// ErrInjectFailed: the probe container was added but did not start (image pull, admission,
	// or it did not run within Runner.StartTimeout).
	ErrInjectFailed = errors.New("probe container did not start")
	// ErrNoClient: no container of the pod (nor the probe container, if one was added) has the
	// client the probe needs: nc or wget for TCP, nc for UDP, nslookup for DNS.
	ErrNoClient = errors.New("no probe client in the pod")
)

// PodError is a failure to prepare probes from one source pod: every probe from that pod
// (or, for ErrNoClient, every probe needing the missing client) carries it in Result.Err.
// errors.Is matches its Kind (one of the Err* values above) and the underlying API error.
type PodError struct {
	Kind      error // one of the Err* sentinels
	Namespace string
	Pod       string
	Container string // when one container is concerned
	Image     string // the probe container's image, for ErrInjectFailed and ErrNoClient after injecting
	Detail    string // what was seen (phase, reason, missing client, image)
	Err       error  // the error behind it, if any
}

// Error says what happened and what to do about it, in words a kubectl user acts on.
func (e *PodError) Error() string {
	pod := e.Namespace + "/" + e.Pod
	switch e.Kind {
	case ErrPodNotRunning:
		return fmt.Sprintf("pod %s is not running (%s): probes exec into the source pod; wait for it (kubectl wait --for=condition=Ready pod/%s -n %s) or fix what keeps it from starting (kubectl describe pod %s -n %s)",
			pod, e.Detail, e.Pod, e.Namespace, e.Pod, e.Namespace)
	case ErrExecForbidden:
		return fmt.Sprintf("RBAC forbids exec into pod %s: probes need get and create on pods/exec in namespace %s; ask a cluster admin for them (kubectl auth can-i create pods/exec -n %s), or use a context that has them (--context)",
			pod, e.Namespace, e.Namespace)
	case ErrEphemeralForbidden:
		return fmt.Sprintf("pod %s has no %s, and RBAC forbids adding a probe container to it: that needs patch on pods/ephemeralcontainers in namespace %s (kubectl auth can-i patch pods/ephemeralcontainers -n %s); ask a cluster admin, or give the pod an image with a client",
			pod, e.Detail, e.Namespace, e.Namespace)
	case ErrEphemeralUnsupported:
		return fmt.Sprintf("pod %s has no %s, and this cluster cannot add a probe container to it: ephemeral containers need Kubernetes 1.23 or newer; give the pod an image with a client",
			pod, e.Detail)
	case ErrInjectFailed:
		return fmt.Sprintf("the probe container %s (image %s) in pod %s did not start: %s; check that the image can be pulled there (kubectl describe pod %s -n %s), or choose another probe image",
			e.Container, e.Image, pod, e.Detail, e.Pod, e.Namespace)
	case ErrNoClient:
		if e.Image != "" {
			return fmt.Sprintf("pod %s has no %s, and neither has the probe image %s; choose a probe image that has it (busybox has nc, wget and nslookup)", pod, e.Detail, e.Image)
		}
		return fmt.Sprintf("pod %s has no %s, and no probe container was added to it: rerun with --inject to add one (an ephemeral container sharing its network; ephemeral containers can never be removed from a pod), or give the pod an image with a client", pod, e.Detail)
	}
	if e.Err != nil {
		return fmt.Sprintf("pod %s: %v", pod, e.Err)
	}
	return fmt.Sprintf("pod %s: %s", pod, e.Detail)
}

// Unwrap exposes both the kind and the error behind it, so that errors.Is(err, ErrExecForbidden)
// holds, and so does apierrors.IsForbidden(err) when the API server's Status came through (the
// SPDY executor reports a refusal as text only).
func (e *PodError) Unwrap() []error {
	out := []error{e.Kind}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// isRBACForbidden tells an authorization refusal from other 403s: admission (PodSecurity, a
// namespace being deleted) answers Forbidden too, and RBAC has nothing to do with those.
// The authorizer's message is fixed upstream: `User "u" cannot patch resource ...`.
func isRBACForbidden(err error) bool {
	return apierrors.IsForbidden(err) && strings.Contains(err.Error(), " cannot ")
}
