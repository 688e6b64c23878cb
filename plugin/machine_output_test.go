package plugin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/yaml"
)

// Machine output stays machine output: stdout carries results only, and -o json|yaml always
// prints one document of the command's contract, empty when there is nothing.

// deprecatedFlagRuns are, per deprecated flag ("COMMAND PATH --flag"), a run with it and a run
// with its replacement (or without it, when it does nothing now), both needing no cluster.
var deprecatedFlagRuns = map[string]struct{ with, without []string }{
	"explain --no-group": {
		with:    []string{"explain", "-f", "testdata/doctor/healthy.yaml", "-o", "json", "--no-group"},
		without: []string{"explain", "-f", "testdata/doctor/healthy.yaml", "-o", "json", "--by", "pod"},
	},
	"doctor --no-live": {
		with:    []string{"doctor", "-f", "testdata/doctor/healthy.yaml", "-o", "json", "--no-live"},
		without: []string{"doctor", "-f", "testdata/doctor/healthy.yaml", "-o", "json"},
	},
	// No cluster: both fail the same way, and stdout must stay empty.
	"probe --no-inject": {
		with:    []string{"probe", "-o", "json", "--no-inject"},
		without: []string{"probe", "-o", "json"},
	},
	"lab check --no-inject": {
		with:    []string{"lab", "check", "three-tier", "--static-only", "-f", "testdata/three-tier-attempt.yaml", "-o", "json", "--no-inject"},
		without: []string{"lab", "check", "three-tier", "--static-only", "-f", "testdata/three-tier-attempt.yaml", "-o", "json"},
	},
}

// deprecatedFlags walks the command tree for every flag marked deprecated, by the key
// deprecatedFlagRuns uses, with the words that give it on a command line.
func deprecatedFlags(t *testing.T) map[string][]string {
	t.Helper()
	found := map[string][]string{}
	var walk func(cmd *cobra.Command)
	walk = func(cmd *cobra.Command) {
		path := strings.Fields(strings.TrimPrefix(cmd.CommandPath(), cmd.Root().CommandPath()))
		cmd.LocalFlags().VisitAll(func(f *pflag.Flag) {
			word := "--" + f.Name
			if f.NoOptDefVal == "" { // a flag that takes a value: its default
				word += "=" + f.DefValue
			}
			if f.Deprecated != "" {
				found[strings.Join(append(slices.Clone(path), "--"+f.Name), " ")] = append(slices.Clone(path), word)
			}
			if f.ShorthandDeprecated != "" {
				found[strings.Join(append(slices.Clone(path), "-"+f.Shorthand), " ")] = append(slices.Clone(path), "-"+f.Shorthand)
			}
		})
		for _, c := range cmd.Commands() {
			walk(c)
		}
	}
	walk(NewRootCmd(genericiooptions.NewTestIOStreamsDiscard()))
	if len(found) == 0 {
		t.Fatal("no deprecated flag found in the command tree: is the walk broken?")
	}
	return found
}

func TestDeprecatedFlagsLeaveStdoutAlone(t *testing.T) {
	// One kubeconfig path for both runs, so that their stderr can be compared.
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "absent"))
	found := deprecatedFlags(t)
	for key := range deprecatedFlagRuns {
		if _, ok := found[key]; !ok {
			t.Errorf("%s is in deprecatedFlagRuns but is not a deprecated flag (any more?)", key)
		}
	}
	for key, words := range found {
		t.Run(key, func(t *testing.T) {
			runs, ok := deprecatedFlagRuns[key]
			if !ok {
				t.Fatalf("deprecated flag %s has no runs in deprecatedFlagRuns: add one with it and one with its replacement", key)
			}
			with, without := run(t, runs.with...), run(t, runs.without...)
			if with.code != without.code {
				t.Errorf("exit %d with it, %d without", with.code, without.code)
			}
			if with.stdout != without.stdout {
				t.Errorf("stdout differs:\nwith:    %.300q\nwithout: %.300q", with.stdout, without.stdout)
			}
			name := key[strings.LastIndex(key, " ")+1:]
			notice := "Flag " + name + " has been deprecated"
			if strings.Count(with.stderr, notice) != 1 {
				t.Errorf("stderr should say %q once, got %q", notice, with.stderr)
			}
			var rest []string
			for _, line := range strings.SplitAfter(with.stderr, "\n") {
				if !strings.HasPrefix(line, notice) {
					rest = append(rest, line)
				}
			}
			if strings.Join(rest, "") != without.stderr {
				t.Errorf("stderr, notice aside, differs:\nwith:    %q\nwithout: %q", with.stderr, without.stderr)
			}

			// Completion reads stdout as the candidates: the notice must not become one.
			path := words[:len(words)-1]
			withC := run(t, append(append([]string{"__complete"}, words...), "")...)
			withoutC := run(t, append(append([]string{"__complete"}, path...), "")...)
			if withC.stdout != withoutC.stdout {
				t.Errorf("completion candidates differ:\nwith:    %q\nwithout: %q", withC.stdout, withoutC.stdout)
			}
		})
	}
}

func TestCobraNoticesGoToStderr(t *testing.T) {
	// cobra prints "Command ... is deprecated" to the command's Out writer, which is stdout:
	// NewRootCmd must leave no command that cobra would announce so.
	var walk func(cmd *cobra.Command)
	walk = func(cmd *cobra.Command) {
		if cmd.Deprecated != "" {
			t.Errorf("%s: cobra would print its deprecation on stdout", cmd.CommandPath())
		}
		for _, c := range cmd.Commands() {
			walk(c)
		}
	}
	walk(NewRootCmd(genericiooptions.NewTestIOStreamsDiscard()))

	// A deprecated command, as a future one would be: the notice on stderr, the result alone
	// on stdout, the command out of the listings, its help still on stdout.
	execute := func(args ...string) (stdout, stderr string) {
		var out, errOut bytes.Buffer
		root := NewRootCmd(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
		root.AddCommand(&cobra.Command{Use: "old", Deprecated: "use new", Args: cobra.NoArgs,
			RunE: func(*cobra.Command, []string) error {
				fmt.Fprintln(&out, "result")
				return nil
			}})
		noticesToStderr(root, &errOut)
		root.SetArgs(args)
		if err := root.Execute(); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return out.String(), errOut.String()
	}
	stdout, stderr := execute("old")
	if stdout != "result\n" || stderr != "Command \"old\" is deprecated, use new\n" {
		t.Errorf("old: stdout %q, stderr %q; want the result on stdout and the notice on stderr", stdout, stderr)
	}
	if stdout, _ = execute("__complete", ""); strings.Contains(stdout, "old") {
		t.Errorf("a deprecated command is offered for completion:\n%s", stdout)
	}
	if stdout, _ = execute("--help"); strings.Contains(stdout, "old") || !strings.Contains(stdout, "explain") {
		t.Errorf("root help should list the commands but not the deprecated one:\n%s", stdout)
	}
	if stdout, stderr = execute("old", "--help"); !strings.Contains(stdout, "Usage:") {
		t.Errorf("help is a result, for stdout: stdout %q, stderr %q", stdout, stderr)
	}
}

// document parses -o json or yaml output into generic JSON values, failing on anything else
// (nothing at all included).
func document(t *testing.T, format, out string) map[string]any {
	t.Helper()
	data := []byte(out)
	if format == outputYAML {
		var err error
		if data, err = yaml.YAMLToJSON(data); err != nil {
			t.Fatalf("not YAML: %v\n%s", err, out)
		}
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil || doc == nil {
		t.Fatalf("not a %s document (%v):\n%q", format, err, out)
	}
	return doc
}

func keys(doc map[string]any) []string {
	k := make([]string, 0, len(doc))
	for key := range doc {
		k = append(k, key)
	}
	slices.Sort(k)
	return k
}

// emptyList checks that doc[key] is [], not null nor missing.
func emptyList(t *testing.T, doc map[string]any, key string) {
	t.Helper()
	if list, ok := doc[key].([]any); !ok || len(list) != 0 {
		t.Errorf("%q is %#v, want []", key, doc[key])
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const policyOnlyYAML = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: db}
spec: {podSelector: {}}
`

func TestExplainEmptyDocuments(t *testing.T) {
	noPods := writeFile(t, "policy.yaml", policyOnlyYAML)
	app := appFile(t)
	// The lists that hold the pods (or their groups, namespaces) by --by.
	listOf := map[string]string{"": "pods", "pod": "pods", "class": "groups", "namespace": "namespaces"}
	for _, by := range []string{"", "pod", "class", "namespace"} {
		for _, format := range []string{outputJSON, outputYAML} {
			flags := []string{"-o", format}
			if by != "" {
				flags = append(flags, "--by", by)
			}
			// The contract's keys, from a run that finds pods.
			full := run(t, append([]string{"explain", "-f", app, "--port", "80"}, flags...)...)
			if full.code != 0 {
				t.Fatalf("--by %q -o %s on pods: exit %d, %s", by, format, full.code, full.stderr)
			}
			want := keys(document(t, format, full.stdout))

			for name, args := range map[string][]string{
				"files without pods": {"explain", "-f", noPods},
				"an empty namespace": {"explain", "-f", app, "-n", "nosuch"},
			} {
				r := run(t, append(args, flags...)...)
				if r.code != 0 || !strings.Contains(r.stderr, "No pods found") {
					t.Errorf("%s, --by %q -o %s: exit %d, stderr %q; want 0 and the message on stderr", name, by, format, r.code, r.stderr)
				}
				doc := document(t, format, r.stdout)
				if got := keys(doc); !slices.Equal(got, want) {
					t.Errorf("%s, --by %q -o %s: keys %v, want %v as with pods", name, by, format, got, want)
				}
				emptyList(t, doc, "ports")
				emptyList(t, doc, listOf[by])
				emptyList(t, doc, "results")
			}
		}
	}

	// --port names the ports even when there is nothing to evaluate them on.
	r := run(t, "explain", "-f", noPods, "-o", "json", "--port", "80", "--port", "53/UDP")
	doc := document(t, outputJSON, r.stdout)
	ports, _ := json.Marshal(doc["ports"])
	if string(ports) != `[{"port":80,"protocol":"TCP"},{"port":53,"protocol":"UDP"}]` {
		t.Errorf("ports %s, want those --port named", ports)
	}
}

func TestExplainByPodIsThePerPodContract(t *testing.T) {
	app := appFile(t)
	for _, format := range []string{outputJSON, outputYAML} {
		plain := run(t, "explain", "-f", app, "-o", format)
		byPod := run(t, "explain", "-f", app, "-o", format, "--by", "pod")
		if plain.code != 0 || byPod.code != 0 {
			t.Fatalf("-o %s: exit %d and %d: %s %s", format, plain.code, byPod.code, plain.stderr, byPod.stderr)
		}
		if plain.stdout != byPod.stdout {
			t.Errorf("-o %s --by pod differs from -o %s:\n%.400s\n---\n%.400s", format, format, byPod.stdout, plain.stdout)
		}
		doc := document(t, format, byPod.stdout)
		if got := keys(doc); !slices.Equal(got, []string{"pods", "ports", "results"}) {
			t.Errorf("-o %s --by pod: keys %v, want the per-pod contract's", format, got)
		}
		// Five pods, every pair, on the two ports they declare (80 and 5432).
		pods, _ := doc["pods"].([]any)
		results, _ := doc["results"].([]any)
		if len(pods) != 5 || len(results) != 5*5*2 {
			t.Errorf("-o %s --by pod: %d pods, %d results; want 5 and 50", format, len(pods), len(results))
		}
	}
}

func TestDoctorAndDiffEmptyDocuments(t *testing.T) {
	empty := writeFile(t, "empty.yaml", "# nothing\n")
	noPods := writeFile(t, "policy.yaml", policyOnlyYAML)
	for _, format := range []string{outputJSON, outputYAML} {
		// Every check skipped: no finding at all.
		r := run(t, "doctor", "-f", empty, "-o", format, "--skip", "cni,foreign-policies,namespace-labels,dns,selectors,coverage,cluster-tier")
		if r.code != 0 {
			t.Fatalf("doctor -o %s: exit %d, %s", format, r.code, r.stderr)
		}
		doc := document(t, format, r.stdout)
		if got := keys(doc); !slices.Equal(got, []string{"findings", "scope", "summary"}) {
			t.Errorf("doctor -o %s: keys %v", format, got)
		}
		emptyList(t, doc, "findings")

		// No pods on either side: nothing compared but the objects.
		r = run(t, "diff", "--before", noPods, "--after", empty, "-o", format)
		if r.code != 0 || !strings.Contains(r.stderr, "No pods") {
			t.Fatalf("diff -o %s: exit %d, stderr %q", format, r.code, r.stderr)
		}
		doc = document(t, format, r.stdout)
		if got := keys(doc); !slices.Equal(got, []string{"after", "before", "changes", "groups", "objects", "ports", "summary"}) {
			t.Errorf("diff -o %s: keys %v", format, got)
		}
		for _, key := range []string{"ports", "groups", "changes"} {
			emptyList(t, doc, key)
		}
		if objects, _ := doc["objects"].([]any); len(objects) != 1 {
			t.Errorf("diff -o %s: objects %v, want the removed policy", format, doc["objects"])
		}
	}
}
