package probe

import (
	"bytes"
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/streaming/pkg/httpstream"
)

// ExecRequest is one command to run in a container of a pod, as `kubectl exec` runs it.
type ExecRequest struct {
	Namespace, Pod, Container string // Container "" lets the API server pick the default one
	Command                   []string
	// Stdin is sent to the command, then closed; nil opens no stdin stream. UDP probes send
	// their datagram this way, so that no shell is needed to produce it.
	Stdin []byte
}

// Executor runs commands in pods. The Runner only ever talks to pods through it, so tests can
// stand in for the cluster. Implementations must be safe for concurrent use.
type Executor interface {
	// Exec runs the command and returns what it wrote. A command that ran but failed comes
	// back as an error: a real kubelet reports its exit code (CodeExitError), while kwok
	// reports an InternalError, so callers must not rely on the error's type.
	Exec(ctx context.Context, req ExecRequest) (stdout, stderr []byte, err error)
}

// ExecutorFunc adapts a function to an Executor.
type ExecutorFunc func(ctx context.Context, req ExecRequest) (stdout, stderr []byte, err error)

// Exec calls f.
func (f ExecutorFunc) Exec(ctx context.Context, req ExecRequest) ([]byte, []byte, error) {
	return f(ctx, req)
}

// NewExecutor returns the Executor that talks to a real cluster: the pods/exec subresource
// through the API server, the way kubectl exec does it.
func NewExecutor(config *rest.Config, client kubernetes.Interface) Executor {
	return &apiExecutor{config: config, client: client.CoreV1().RESTClient()}
}

type apiExecutor struct {
	config *rest.Config
	client rest.Interface
}

// Exec builds a new remotecommand executor for every call: they are not safe for concurrent
// use, and probes run in parallel. As kubectl does, it speaks WebSocket (GET) first and falls
// back to SPDY (POST) only when the upgrade itself fails (an old API server, an HTTPS proxy
// that the WebSocket dialer cannot go through, or RBAC granting create but not get on
// pods/exec); any other error is the answer.
//
// The fallback test must come from k8s.io/streaming/pkg/httpstream, as kubectl's does: the
// executors raise that package's UpgradeFailureError, and the deprecated copy in
// k8s.io/apimachinery/pkg/util/httpstream has a type of its own that never matches, which
// silently turns the fallback off.
func (e *apiExecutor) Exec(ctx context.Context, req ExecRequest) ([]byte, []byte, error) {
	url := e.client.Post().
		Resource("pods").Namespace(req.Namespace).Name(req.Pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{
			Container: req.Container,
			Command:   req.Command,
			Stdin:     req.Stdin != nil,
			Stdout:    true,
			Stderr:    true,
		}, scheme.ParameterCodec).
		URL()
	ws, err := remotecommand.NewWebSocketExecutor(e.config, "GET", url.String())
	if err != nil {
		return nil, nil, fmt.Errorf("exec into %s/%s: %w", req.Namespace, req.Pod, err)
	}
	spdy, err := remotecommand.NewSPDYExecutor(e.config, "POST", url)
	if err != nil {
		return nil, nil, fmt.Errorf("exec into %s/%s: %w", req.Namespace, req.Pod, err)
	}
	exec, err := remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("exec into %s/%s: %w", req.Namespace, req.Pod, err)
	}
	var stdout, stderr bytes.Buffer
	opts := remotecommand.StreamOptions{Stdout: &stdout, Stderr: &stderr}
	if req.Stdin != nil {
		opts.Stdin = bytes.NewReader(req.Stdin)
	}
	err = exec.StreamWithContext(ctx, opts)
	return stdout.Bytes(), stderr.Bytes(), err
}
