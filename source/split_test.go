package source

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/resource"

	"github.com/kubectl-netpol/kubectl-netpol/source/sourcetest"
)

// smallSplits makes files of a few kilobytes split, into parts of a few kilobytes, for the
// length of a test.
func smallSplits(t *testing.T) {
	t.Helper()
	oldMin, oldPart := splitMin, partMin
	splitMin, partMin = 4<<10, 2<<10
	t.Cleanup(func() { splitMin, partMin = oldMin, oldPart })
}

// readBoth reads fo with one Builder (as kubectl does) and with workers, and fails unless they
// give the same objects, warnings and error. It returns the one Builder's.
func readBoth(t *testing.T, fo *resource.FilenameOptions, workers int) (*Objects, string, error) {
	t.Helper()
	var seqWarn, warn bytes.Buffer
	seq, seqErr := readFiles(fo, "default", &seqWarn, 1)
	got, err := readFiles(fo, "default", &warn, workers)
	switch {
	case (err == nil) != (seqErr == nil) || err != nil && err.Error() != seqErr.Error():
		t.Errorf("%d workers: error\n%v\nwant (one Builder's)\n%v", workers, err, seqErr)
	case err == nil && !reflect.DeepEqual(got, seq):
		t.Errorf("%d workers: objects differ from one Builder's:\n%s", workers, diffObjects(got, seq))
	}
	if warn.String() != seqWarn.String() {
		t.Errorf("%d workers: warnings\n%s\nwant (one Builder's)\n%s", workers, warn.String(), seqWarn.String())
	}
	return seq, seqWarn.String(), seqErr
}

// units is how many parts ReadFiles reads fo in.
func units(fo *resource.FilenameOptions, workers int) int {
	return len(readUnits(localFiles(fo), workers))
}

// One huge file, a single List of the whole cluster as `kubectl get -A -o yaml` (or -o json)
// writes it, is read in parts on every core, and gives exactly what the folder of the same
// objects gives, and what one Builder reading the file gives.
func TestReadHugeFileSameAsFolder(t *testing.T) {
	smallSplits(t)
	dir := sourcetest.WriteCluster(t, 25) // 500 pods, 125 policies, 26 namespaces
	folder, folderWarn := read(t, "default", false, dir)
	for _, format := range []string{"yaml", "json"} {
		t.Run(format, func(t *testing.T) {
			fo := &resource.FilenameOptions{Filenames: []string{sourcetest.WriteClusterList(t, 25, format)}}
			for _, workers := range []int{2, 3, 8} {
				if n := units(fo, workers); n < 2*workers {
					t.Fatalf("%d workers: the file is read in %d parts, want %d or more", workers, n, 2*workers)
				}
				got, warn, err := readBoth(t, fo, workers)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, folder) {
					t.Errorf("%d workers: the file's objects differ from the folder's:\n%s", workers, diffObjects(got, folder))
				}
				if warn != folderWarn {
					t.Errorf("warnings %q, the folder's %q", warn, folderWarn)
				}
			}
		})
	}
}

// The shapes of a large file that are cut, or not, and read the same either way: documents and
// Lists side by side, items indented under items:, typed Lists whose items carry no kind, kinds
// skipped and fields unknown (warnings), another engine's policies, comments and blank lines
// between items, a document without a final newline, items one object each in flow style.
func TestReadLargeFileShapes(t *testing.T) {
	smallSplits(t)
	pod := func(i int, ns string) string {
		return fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p%d\n  namespace: %s\n  labels: {app: a%d}\nspec:\n  containers:\n  - name: c\n    image: x\n    ports:\n    - {containerPort: %d}\n", i, ns, i%7, 8000+i%50)
	}
	indent := func(s, by string) string {
		lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
		for i := range lines {
			lines[i] = by + lines[i]
		}
		return strings.Join(lines, "\n") + "\n"
	}
	item := func(s, dash string) string { // "- apiVersion: …" with its lines under it
		in := indent(s, strings.Repeat(" ", len(dash)))
		return dash + strings.TrimLeft(in, " ")
	}
	var docs, kubectlList, indented, typed, flow strings.Builder
	for i := range 60 {
		if i > 0 {
			docs.WriteString("---\n")
		}
		docs.WriteString(pod(i, "docs"))
		if i%10 == 3 {
			docs.WriteString("---\napiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: docs}\n---\n# only a comment\n")
		}
		if i%20 == 5 {
			docs.WriteString("---\napiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: c, namespace: docs}\nspec: {}\n")
		}
	}
	kubectlList.WriteString("apiVersion: v1\nitems:\n")
	indented.WriteString("# a dump\nkind: List\napiVersion: v1\nitems:\n\n")
	typed.WriteString("apiVersion: v1\nkind: PodList\nmetadata: {resourceVersion: \"1\"}\nitems:\n")
	flow.WriteString("apiVersion: v1\nkind: List\nitems:\n")
	for i := range 80 {
		kubectlList.WriteString(item(pod(i, "kl"), "- "))
		indented.WriteString(item(pod(i, "ind"), "  - "))
		if i%9 == 4 {
			indented.WriteString("\n  # a comment between items\n")
			kubectlList.WriteString("- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: cm, namespace: kl}\n  data: {a: b}\n")
		}
		if i%25 == 7 {
			kubectlList.WriteString("- apiVersion: v1\n  kind: Pod\n  metadata: {name: odd, namespace: kl, labelz: {a: b}}\n")
		}
		typed.WriteString(item(strings.TrimPrefix(strings.TrimPrefix(pod(i, "typed"), "apiVersion: v1\n"), "kind: Pod\n"), "- "))
		fmt.Fprintf(&flow, "- {apiVersion: v1, kind: Namespace, metadata: {name: flow-%d, labels: {n: \"%d\"}}}\n", i, i)
	}
	kubectlList.WriteString("kind: List\nmetadata:\n  resourceVersion: \"\"\n")
	dir := t.TempDir()
	files := map[string]string{
		"docs.yaml":     docs.String(),
		"kubectl.yaml":  kubectlList.String(),
		"indented.yaml": strings.TrimSuffix(indented.String(), "\n"),
		"typed.yaml":    typed.String(),
		"flow.yaml":     flow.String(),
		"mixed.yaml":    docs.String() + "---\n" + kubectlList.String() + "---\n" + typed.String(),
	}
	for name, text := range files {
		if len(text) < int(splitMin) {
			t.Fatalf("%s: %d bytes, too small to be split", name, len(text))
		}
		path := writeFile(t, dir, name, text)
		t.Run(name, func(t *testing.T) {
			fo := &resource.FilenameOptions{Filenames: []string{path}}
			if n := units(fo, 2); n < 3 {
				t.Fatalf("read in %d parts, want it cut", n)
			}
			o, _, err := readBoth(t, fo, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(o.Pods)+len(o.Namespaces) < 60 {
				t.Errorf("%d pods and %d namespaces read", len(o.Pods), len(o.Namespaces))
			}
		})
	}
	// All of them, as a folder: the folder's files in parts, side by side.
	readBoth(t, &resource.FilenameOptions{Filenames: []string{dir}}, 3)
}

// A part that does not read, or reads otherwise than the whole would, makes the file read whole:
// errors name the line of the file, or the List's item, as one Builder names them; what cannot
// be cut (a byte order mark, a JSON document among YAML ones) is read whole from the start.
func TestReadLargeFileErrorsAsWhole(t *testing.T) {
	smallSplits(t)
	var list strings.Builder
	list.WriteString("apiVersion: v1\nkind: List\nitems:\n")
	for i := range 100 {
		labels := fmt.Sprintf("{app: a%d}", i)
		if i == 71 {
			labels = "{canary: true}" // a boolean label: an error that names items[71]
		}
		fmt.Fprintf(&list, "- apiVersion: v1\n  kind: Pod\n  metadata: {name: p%d, namespace: x, labels: %s}\n  spec: {containers: [{name: c, image: busybox}]}\n", i, labels)
	}
	var syntax strings.Builder
	for i := range 100 {
		fmt.Fprintf(&syntax, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p%d, namespace: x}\nspec: {containers: [{name: c, image: busybox}]}\n", i)
		if i == 64 {
			syntax.WriteString("---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\n\tnamespace: x\n") // a tab: a line of the file
		}
	}
	var anchors strings.Builder // an alias to an earlier item: a part without its anchor fails
	anchors.WriteString("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: first, namespace: x, labels: &labels {app: shared}}\n")
	for i := range 100 {
		fmt.Fprintf(&anchors, "- apiVersion: v1\n  kind: Pod\n  metadata: {name: p%d, namespace: x, labels: *labels}\n  spec: {containers: [{name: c, image: busybox}]}\n", i)
	}
	var jsonList strings.Builder
	jsonList.WriteString(`{"apiVersion": "v1", "kind": "List", "items": [`)
	for i := range 100 {
		if i > 0 {
			jsonList.WriteString(",\n")
		}
		port := fmt.Sprint(8000 + i)
		if i == 88 {
			port = `"abc"`
		}
		fmt.Fprintf(&jsonList, `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p%d", "namespace": "x"}, "spec": {"containers": [{"name": "c", "ports": [{"containerPort": %s}]}]}}`, i, port)
	}
	jsonList.WriteString("]}\n")
	var quoted strings.Builder // a quoted string over lines, one of them "- " at column 0
	quoted.WriteString("apiVersion: v1\nkind: List\nitems:\n")
	for i := range 100 {
		fmt.Fprintf(&quoted, "- apiVersion: v1\n  kind: Pod\n  metadata: {name: p%d, namespace: x, annotations: {note: \"one\n- two\"}}\n", i)
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name, text string
		wantErr    string // in the error: a line, an item
		cut        bool   // whether it is cut into parts
	}{
		{"list-error.yaml", list.String(), "List items[71]", true},
		{"syntax.yaml", syntax.String(), "line ", true},
		{"anchors.yaml", anchors.String(), "", true},
		{"list-error.json", jsonList.String(), "items[88]", true},
		{"quoted.yaml", quoted.String(), "", true},
		{"bom.yaml", "\xEF\xBB\xBF" + syntax.String(), "line ", false},
		{"items-twice.yaml", list.String() + "kind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: last}}\n", "", false},
		{"items-twice-at-once.yaml", list.String() + "items:\n- {apiVersion: v1, kind: Namespace, metadata: {name: last}}\n", "", false},
		{"json-doc-among-yaml.yaml", `{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "j"}}` + "\n" + strings.Replace(syntax.String(), "\tnamespace", "  namespace", 1), "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fo := &resource.FilenameOptions{Filenames: []string{writeFile(t, dir, tc.name, tc.text)}}
			if n := units(fo, 2); (n > 1) != tc.cut {
				t.Fatalf("read in %d parts; cut: %t, want %t", n, n > 1, tc.cut)
			}
			o, _, err := readBoth(t, fo, 2)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatal(err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one with %q", err, tc.wantErr)
			case err == nil && strings.HasPrefix(tc.name, "items-twice"):
				// YAML's last key wins: the second items, one namespace, no pod.
				if len(o.Pods) != 0 || len(o.Namespaces) != 1 {
					t.Errorf("%d pods and %d namespaces read, want the second items only", len(o.Pods), len(o.Namespaces))
				}
			case err == nil && len(o.Pods) < 100:
				t.Errorf("%d pods read", len(o.Pods))
			}
		})
	}
}

// splitStream gives parts that are each whole documents, in order: put together they are the
// documents of the file.
func TestSplitStreamParts(t *testing.T) {
	path := sourcetest.WriteClusterList(t, 5, "yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	parts := splitStream(data, 4)
	if len(parts) != 4 {
		t.Fatalf("%d parts, want 4", len(parts))
	}
	for i, p := range parts {
		text := string(bytes.Join(p, nil))
		if !strings.HasPrefix(text, "apiVersion: v1\nitems:\n- ") || !strings.HasSuffix(text, "kind: List\nmetadata:\n  resourceVersion: \"\"\n") {
			t.Errorf("part %d is not a List of its own:\n%.200s\n…\n%s", i, text, text[max(0, len(text)-200):])
		}
	}
	if splitStream([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n"), 4) != nil {
		t.Error("one small document was cut")
	}
	if splitStream(data, 1) != nil {
		t.Error("cut into one part")
	}
}
