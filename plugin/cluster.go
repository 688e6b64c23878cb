package plugin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
)

// clusterAccess turns the kubeconfig flags into clients. Every command that needs the API gets its
// clients from Connect, which first asks the server for its version: a cheap request that proves
// the server answers and our credentials work, so a dead cluster fails with one clear line
// (server, context, kubeconfig) within --request-timeout rather than deep inside a command.
type clusterAccess struct {
	factory cmdutil.Factory
	flags   *genericclioptions.ConfigFlags
}

// Cluster is a verified connection to the API server.
type Cluster struct {
	Client        kubernetes.Interface
	RESTConfig    *rest.Config
	ServerVersion *version.Info
	Where         string // "https://host:port (context "c", kubeconfig path)", for messages
}

// Connect builds the clients and checks that the server answers.
func (a *clusterAccess) Connect() (*Cluster, error) {
	where := a.describeTarget()
	// Without any kubeconfig, client-go falls back to http://localhost:8080, and the user would
	// read about a refused connection to a server they never named.
	if raw, err := a.flags.ToRawKubeConfigLoader().RawConfig(); err == nil && len(raw.Clusters) == 0 && ptrValue(a.flags.APIServer) == "" {
		return nil, a.noConfigError()
	}
	cfg, err := a.factory.ToRESTConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, a.noConfigError()
		}
		return nil, &clusterError{msg: fmt.Sprintf("cannot load the kubeconfig %s: %v", where, err)}
	}
	where = cfg.Host + " " + where
	// client-go's default of 5 requests a second would make a lab take seconds of throttling;
	// kubectl itself raises it too.
	cfg.QPS, cfg.Burst = 50, 100
	client, err := newClientset(cfg)
	if err != nil {
		return nil, fmt.Errorf("cannot build a client for %s: %w", where, err)
	}
	// Discovery takes no context: --request-timeout (in cfg) bounds it.
	info, err := client.Discovery().ServerVersion()
	if err != nil {
		return nil, describeConnectError(err, where)
	}
	return &Cluster{Client: client, RESTConfig: cfg, ServerVersion: info, Where: where}, nil
}

// Protobuf is what the typed clientset asks the API server for: every built-in kind has it, and
// 10,000 pods, most of what a command waits for, come in 40% fewer bytes and in half the time
// of JSON (encoded by the server, decoded here). JSON stays acceptable, for a server or a proxy
// that answers in it.
const (
	contentTypeProtobuf = "application/vnd.kubernetes.protobuf"
	acceptProtobufJSON  = contentTypeProtobuf + ",application/json"
)

// typedConfig is cfg for the typed clientset: protobuf, as kube-controller-manager and the
// scheduler ask for it. Cluster.RESTConfig keeps JSON, for the dynamic and metadata clients,
// whose unstructured objects have no protobuf form.
func typedConfig(cfg *rest.Config) *rest.Config {
	typed := rest.CopyConfig(cfg)
	typed.ContentType = contentTypeProtobuf
	typed.AcceptContentTypes = acceptProtobufJSON
	return typed
}

// newClientset is the typed clientset of cfg in protobuf (typedConfig), with its discovery client
// in JSON: discovery documents are read raw and decoded as JSON (the cluster-scoped policies'
// group, in source), and the API server answers them in protobuf when protobuf comes first in
// Accept. Both share one HTTP client, so one connection.
func newClientset(cfg *rest.Config) (*kubernetes.Clientset, error) {
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfigAndClient(typedConfig(cfg), httpClient)
	if err != nil {
		return nil, err
	}
	if client.DiscoveryClient, err = discovery.NewDiscoveryClientForConfigAndClient(cfg, httpClient); err != nil {
		return nil, err
	}
	return client, nil
}

func (a *clusterAccess) noConfigError() error {
	return &clusterError{msg: fmt.Sprintf("no cluster configured: no kubeconfig found at %s; pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config", strings.Join(a.kubeconfigFiles(), ":"))}
}

// kubeconfigFiles are the kubeconfig files the flags and environment point at.
func (a *clusterAccess) kubeconfigFiles() []string {
	access := a.flags.ToRawKubeConfigLoader().ConfigAccess()
	if explicit := access.GetExplicitFile(); explicit != "" {
		return []string{explicit}
	}
	return access.GetLoadingPrecedence()
}

// describeTarget names the context and kubeconfig the flags point at, for error messages.
func (a *clusterAccess) describeTarget() string {
	loader := a.flags.ToRawKubeConfigLoader()
	files := a.kubeconfigFiles()
	context := ""
	if a.flags.Context != nil && *a.flags.Context != "" {
		context = *a.flags.Context
	} else if raw, err := loader.RawConfig(); err == nil {
		context = raw.CurrentContext
	}
	if context == "" {
		context = "(none)"
	}
	return fmt.Sprintf("(context %q, kubeconfig %s)", context, strings.Join(files, ":"))
}

// describeConnectError turns a failed first request into one line that says what to do.
func describeConnectError(err error, where string) error {
	var status apierrors.APIStatus
	switch {
	case apierrors.IsUnauthorized(err):
		return &clusterError{msg: fmt.Sprintf("the API server at %s rejected our credentials (401 Unauthorized); refresh them, e.g. log in again, or pick another --context", where)}
	case apierrors.IsForbidden(err):
		return &clusterError{msg: fmt.Sprintf("the API server at %s forbids reading /version: %v", where, err)}
	case errors.As(err, &status):
		return fmt.Errorf("the API server at %s answered: %w", where, err)
	case isTimeout(err):
		return &clusterError{msg: fmt.Sprintf("cannot reach the Kubernetes API server at %s: no answer within --request-timeout; check that the cluster is running and reachable, or raise --request-timeout", where)}
	default:
		return &clusterError{msg: fmt.Sprintf("cannot reach the Kubernetes API server at %s: %s; check that the cluster is running, or choose another with --context or --kubeconfig", where, rootCause(err))}
	}
}

func isTimeout(err error) bool {
	var netErr net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout())
}

// rootCause drops the "Get https://…/version" wrapping that url.Error adds: the server is
// already named in the message.
func rootCause(err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Err
	}
	return err
}

func ptrValue(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
