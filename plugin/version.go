package plugin

import (
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/kubectl/pkg/util/templates"
	"sigs.k8s.io/yaml"
)

// Set at build time by the Makefile through -ldflags "-X …".
var (
	buildVersion = "dev"
	buildCommit  = "unknown"
)

// ClientVersion describes this binary.
type ClientVersion struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// VersionInfo is what `version -o json|yaml` prints.
type VersionInfo struct {
	Client ClientVersion `json:"clientVersion"`
	Server *version.Info `json:"serverVersion,omitempty"`
}

// VersionOptions holds the flags of `kubectl netpol version`.
type VersionOptions struct {
	genericiooptions.IOStreams
	cluster    *clusterAccess
	ClientOnly bool
	Output     string
}

var versionExample = templates.Examples(`
	# Print the plugin's version and the cluster's
	kubectl netpol version

	# Only the plugin, without contacting a cluster, as JSON
	kubectl netpol version --client -o json`)

func newVersionCmd(streams genericiooptions.IOStreams, cluster *clusterAccess) *cobra.Command {
	o := &VersionOptions{IOStreams: streams, cluster: cluster}
	cmd := &cobra.Command{
		Use:     "version",
		Short:   "Print the plugin's version and the Kubernetes server's",
		Example: versionExample,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run()
		},
	}
	cmd.Flags().BoolVar(&o.ClientOnly, "client", false, "Print only the plugin's version; do not contact the cluster")
	tableJSONYAML.add(cmd, &o.Output)
	return cmd
}

// Complete has nothing to derive: version reads its flags as they are.
func (o *VersionOptions) Complete() error { return nil }

// Validate checks the output format.
func (o *VersionOptions) Validate() error {
	return tableJSONYAML.validate(o.Output)
}

// Run prints the versions. When the server cannot be reached the client version is still
// printed and the connection error returned, as `kubectl version` does.
func (o *VersionOptions) Run() error {
	info := VersionInfo{Client: ClientVersion{
		Version:   buildVersion,
		Commit:    buildCommit,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}}
	var connectErr error
	if !o.ClientOnly {
		cluster, err := o.cluster.Connect()
		if err != nil {
			connectErr = err
		} else {
			info.Server = cluster.ServerVersion
		}
	}
	if err := o.print(info); err != nil {
		return err
	}
	return connectErr
}

func (o *VersionOptions) print(info VersionInfo) error {
	switch o.Output {
	case outputJSON:
		data, err := json.MarshalIndent(info, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(o.Out, "%s\n", data)
		return err
	case outputYAML:
		data, err := yaml.Marshal(info)
		if err != nil {
			return err
		}
		_, err = o.Out.Write(data)
		return err
	}
	c := info.Client
	fmt.Fprintf(o.Out, "Client Version: %s (commit %s, %s, %s)\n", c.Version, c.Commit, c.GoVersion, c.Platform)
	if info.Server != nil {
		fmt.Fprintf(o.Out, "Server Version: %s\n", info.Server.GitVersion)
	}
	return nil
}
