// Package source reads what the evaluator and the checks look at, from files or from a cluster,
// the way kubectl reads them: files, folders (-R), URLs and stdin through cli-runtime's
// resource.Builder; clusters with one paged List per kind. Both give the same Objects, and the
// same Snapshot comes out of them, so a command behaves alike on a folder and on a cluster.
package source

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/cli-runtime/pkg/resource"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// Foreign is a policy object of another engine (Calico, Cilium, Antrea, GKE, …): it acts on
// traffic too, and the evaluator does not read it. The cluster-scoped policies of
// policy.networking.k8s.io that the evaluator reads (policy.IsClusterPolicyKind) are not foreign;
// other kinds of that group are.
type Foreign struct {
	Source     string `json:"source"`
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

// foreignGroups are the API groups whose policy kinds are someone else's NetworkPolicy.
var foreignGroups = []string{"projectcalico.org", "crd.projectcalico.org", "cilium.io", "crd.antrea.io", "policy.networking.k8s.io", "networking.gke.io"}

// ReadFiles reads -f arguments as kubectl does (files; folders, recursively with -R; URLs; "-"
// for stdin; -k for a kustomization) into Objects. Objects without a namespace get
// defaultNamespace, as kubectl apply would give them the current one. What is not read is said
// on warn, one line a file: documents that are not Kubernetes objects (a JSON array of results,
// a config file), and kinds that neither the evaluator nor the checks look at. A malformed
// Kubernetes object is an error naming its file and the object.
//
// Local files are read on every core (GOMAXPROCS), one Builder a file, or a part of a large file
// (its documents, a List's items: split.go), and put together in the order kubectl reads them:
// the objects, warnings and errors are those of one Builder reading them all, one after the other.
func ReadFiles(fo *resource.FilenameOptions, defaultNamespace string, warn io.Writer) (*Objects, error) {
	return readFiles(fo, defaultNamespace, warn, runtime.GOMAXPROCS(0))
}

// readFiles is ReadFiles with at most workers files read at a time; with 1, one Builder reads
// them all, as kubectl does.
func readFiles(fo *resource.FilenameOptions, defaultNamespace string, warn io.Writer, workers int) (*Objects, error) {
	// The Builder checks the arguments (paths that do not exist, patterns that match nothing, -f
	// with -k, stdin twice, bad URLs…) and says what is wrong in its words, whoever reads.
	// Lists are not flattened by the Builder but by fileRead.list, which gives kind-less items
	// their List's kind and names the item in errors.
	result := resource.NewLocalBuilder().Unstructured().
		FilenameParam(false, fo).ContinueOnError().Do()
	if err := result.Err(); err != nil {
		warnSubfolders(fo, nil, warn) // "recognized file extensions are…": maybe they are below
		return nil, err
	}
	var units []readUnit
	if workers > 1 {
		units = readUnits(localFiles(fo), workers) // split.go
	}
	if len(units) < 2 {
		r := &fileRead{}
		r.visit(result, defaultNamespace)
		return finishFolders(fo, []*fileRead{r}, warn)
	}
	reads := readConcurrently(units, workers, defaultNamespace)
	return finishFolders(fo, reads, warn)
}

// finishFolders is finish, then says which folders of fo gave nothing while their subfolders
// hold manifests.
func finishFolders(fo *resource.FilenameOptions, reads []*fileRead, warn io.Writer) (*Objects, error) {
	objs, err := finish(reads, warn)
	if err == nil {
		warnSubfolders(fo, reads, warn)
	}
	return objs, err
}

// warnSubfolders says, of each folder of fo that gave no object read here, how many of its
// subfolders hold manifests: without -R kubectl reads a folder's own files only, and a
// repository with a folder per app or namespace would give nothing without a word of why.
func warnSubfolders(fo *resource.FilenameOptions, reads []*fileRead, warn io.Writer) {
	if fo.Recursive {
		return
	}
	for _, dir := range fo.Filenames {
		entries, err := os.ReadDir(dir)
		if err != nil { // a file, a URL, stdin, a pattern
			continue
		}
		if slices.ContainsFunc(reads, func(r *fileRead) bool { return r.gave(dir) }) {
			continue
		}
		n := 0
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			// The files that -R would read there, found as the Builder finds them.
			files, err := resource.ExpandPathsToFileVisitors(nil, filepath.Join(dir, e.Name()), true, resource.FileExtensions, nil)
			if err == nil && len(files) > 0 {
				n++
			}
		}
		switch {
		case n == 1:
			fmt.Fprintf(warn, "Warning: 1 subfolder of %s not read: add -R (--recursive)\n", dir)
		case n > 1:
			fmt.Fprintf(warn, "Warning: %d subfolders of %s not read: add -R (--recursive)\n", n, dir)
		}
	}
}

// localFiles lists the files that the Builder reads for fo, in the order it reads them, when they
// are all local files; nil when one is stdin, a URL or a kustomization, which are read as they
// come, by one Builder. The folders are walked by cli-runtime itself (ExpandPathsToFileVisitors,
// as Builder.Path does): the same files, the same extensions, the same order.
func localFiles(fo *resource.FilenameOptions) []string {
	if fo.Kustomize != "" {
		return nil
	}
	var files []string
	for _, s := range fo.Filenames {
		if s == "-" || strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
			return nil
		}
		// A pattern, as the Builder expands it: a path that exists is itself, whatever its
		// characters; another one is a glob (matching nothing was the Builder's error above).
		matches := []string{s}
		if _, err := os.Stat(s); os.IsNotExist(err) {
			if matches, err = filepath.Glob(s); err != nil {
				return nil
			}
		}
		for _, m := range matches {
			visitors, err := resource.ExpandPathsToFileVisitors(resource.NewLocalBuilder().Unstructured().Mapper(), m, fo.Recursive, resource.FileExtensions, nil)
			if err != nil {
				return nil
			}
			for _, v := range visitors {
				fv, ok := v.(*resource.FileVisitor)
				if !ok {
					return nil
				}
				files = append(files, fv.Path)
			}
		}
	}
	return files
}

// fileRead is what one Builder read: the objects kept, the kinds skipped, and the errors, in the
// order they came.
type fileRead struct {
	objs    Objects
	skipped []skippedKind
	// objErrs are the objects' (malformed, no name…); readErrs are the Builder's (a document
	// it could not parse or decode, a file it could not open). A Builder that continues on
	// error returns the former before the latter, and so does a set of them put together.
	objErrs, readErrs []error
	// sources are the files that gave an object kept.
	sources map[string]bool
}

// gave reports whether a file at the top of dir gave an object kept.
func (r *fileRead) gave(dir string) bool {
	for s := range r.sources {
		if filepath.Dir(s) == filepath.Clean(dir) {
			return true
		}
	}
	return false
}

type skippedKind struct{ source, kind string }

func (r *fileRead) visit(result *resource.Result, defaultNamespace string) {
	if err := result.Err(); err != nil {
		r.readErrs = flatten(err)
		return
	}
	visitErr := result.Visit(func(info *resource.Info, err error) error {
		if err != nil {
			r.objErrs = append(r.objErrs, err)
			return nil
		}
		switch obj := info.Object.(type) {
		case *unstructured.UnstructuredList:
			r.list(obj, info.Source, defaultNamespace)
		case *unstructured.Unstructured:
			r.add(obj, info.Source, "", defaultNamespace)
		default:
			r.objErrs = append(r.objErrs, fmt.Errorf("%s: unexpected object %T", info.Source, info.Object))
		}
		return nil
	})
	r.readErrs = flatten(visitErr)
}

// list takes a List's items, and the items of Lists in it, as the Builder's Flatten would, but
// gives an item without a kind the one its typed List names (PodList: Pod) whether it has an
// apiVersion or not: apimachinery does it only to items with neither, and Flatten then fails
// on the others without naming the file.
func (r *fileRead) list(list *unstructured.UnstructuredList, source, defaultNamespace string) {
	itemKind, typed := strings.CutSuffix(list.GetKind(), "List")
	for i := range list.Items {
		item := &list.Items[i]
		where := fmt.Sprintf("%s items[%d]", list.GetKind(), i)
		if item.GetKind() == "" {
			if !typed || itemKind == "" {
				r.objErrs = append(r.objErrs, fmt.Errorf("%s: %s%s has no kind: write its kind (only a typed List, such as a PodList, gives its items one)", source, where, strings.TrimSuffix(" ("+objectName(item)+")", " ()")))
				continue
			}
			item.SetKind(itemKind)
			if item.GetAPIVersion() == "" {
				item.SetAPIVersion(list.GetAPIVersion())
			}
		}
		if item.IsList() {
			inner, err := item.ToList()
			if err != nil { // its only error, whose words name the wrong type
				r.objErrs = append(r.objErrs, fmt.Errorf("%s: %s holds an item that is not an object: write the whole object there (metadata, spec…) or remove the item", source, where))
				continue
			}
			r.list(inner, source, defaultNamespace)
			continue
		}
		r.add(item, source, where, defaultNamespace)
	}
}

// add takes one object; where names it in its List ("PodList items[3]"), "" when it is no item.
func (r *fileRead) add(u *unstructured.Unstructured, source, where, defaultNamespace string) {
	added, err := r.objs.add(u, source, defaultNamespace)
	switch {
	case err != nil && where != "":
		// The item's place, after the file: a dump holds thousands, and some have no name.
		r.objErrs = append(r.objErrs, fmt.Errorf("%s: %s: %s", source, where, strings.TrimPrefix(err.Error(), source+": ")))
	case err != nil:
		r.objErrs = append(r.objErrs, err)
	case !added:
		r.skipped = append(r.skipped, skippedKind{source, u.GetAPIVersion() + " " + u.GetKind()})
	default:
		if r.sources == nil {
			r.sources = map[string]bool{}
		}
		r.sources[source] = true
	}
}

// finish puts reads together in order, says on warn what was skipped, and returns the objects, or
// the errors.
func finish(reads []*fileRead, warn io.Writer) (*Objects, error) {
	parts := make([]*Objects, len(reads))
	for i, r := range reads {
		parts[i] = &r.objs
	}
	objs := concatObjects(parts)
	skipped := map[string][]string{} // file -> kinds
	var files []string
	var objErrs, readErrs []error
	for _, r := range reads {
		for _, s := range r.skipped {
			if _, seen := skipped[s.source]; !seen {
				files = append(files, s.source)
			}
			if !slices.Contains(skipped[s.source], s.kind) {
				skipped[s.source] = append(skipped[s.source], s.kind)
			}
		}
		objErrs = append(objErrs, r.objErrs...)
		readErrs = append(readErrs, r.readErrs...)
	}
	// The Builder reports every document it could not decode; those that are not Kubernetes
	// objects at all are skipped with a warning, anything else is the user's to fix.
	var hard []error
	for _, err := range append(objErrs, readErrs...) {
		if file, ok := notAnObject(err); ok {
			if item := listItemMistake(file); item != nil {
				hard = append(hard, item)
				continue
			}
			fmt.Fprintf(warn, "Warning: skipped %s: not a Kubernetes object (%s)\n", file, firstLine(err.Error()))
			continue
		}
		hard = append(hard, err)
	}
	if len(hard) > 0 {
		for i, err := range hard {
			hard[i] = withFieldMistake(withDocument(err))
		}
		return nil, errors.Join(hard...) // one a line: a folder may hold several
	}
	for _, f := range files {
		fmt.Fprintf(warn, "Warning: skipped in %s (not evaluated): %s\n", f, strings.Join(skipped[f], ", "))
	}
	const shown = 5 // a dump from a newer cluster may have them in every object
	for i, u := range objs.Unknown {
		if i == shown {
			fmt.Fprintf(warn, "Warning: %d more objects have fields this version does not know\n", len(objs.Unknown)-shown)
			break
		}
		fmt.Fprintf(warn, "Warning: %s\n", u)
	}
	for _, f := range objs.Foreign {
		fmt.Fprintf(warn, "Warning: not evaluated in %s: %s %s %s, another engine's policy: it acts on this traffic too, and only Kubernetes NetworkPolicy and the cluster-scoped policies of policy.networking.k8s.io are evaluated here\n",
			f.Source, f.APIVersion, f.Kind, strings.TrimPrefix(f.Namespace+"/"+f.Name, "/"))
	}
	objs.dedupe()
	return objs, nil
}

// concatObjects puts objects read apart together, in order, as one reader reading them one after
// the other would have: nothing replaced (dedupe does that, once all is read). Every list is
// allocated once, at its size.
func concatObjects(parts []*Objects) *Objects {
	if len(parts) == 1 {
		return parts[0]
	}
	o := &Objects{
		Namespaces:      concat(parts, func(p *Objects) []corev1.Namespace { return p.Namespaces }),
		Pods:            concat(parts, func(p *Objects) []corev1.Pod { return p.Pods }),
		Policies:        concat(parts, func(p *Objects) []networkingv1.NetworkPolicy { return p.Policies }),
		Services:        concat(parts, func(p *Objects) []corev1.Service { return p.Services }),
		EndpointSlices:  concat(parts, func(p *Objects) []discoveryv1.EndpointSlice { return p.EndpointSlices }),
		DaemonSets:      concat(parts, func(p *Objects) []appsv1.DaemonSet { return p.DaemonSets }),
		Deployments:     concat(parts, func(p *Objects) []appsv1.Deployment { return p.Deployments }),
		Nodes:           concat(parts, func(p *Objects) []corev1.Node { return p.Nodes }),
		ConfigMaps:      concat(parts, func(p *Objects) []corev1.ConfigMap { return p.ConfigMaps }),
		ClusterPolicies: concat(parts, func(p *Objects) []policy.ClusterPolicy { return p.ClusterPolicies }),
		Foreign:         concat(parts, func(p *Objects) []Foreign { return p.Foreign }),
		Defaulted:       concat(parts, func(p *Objects) []string { return p.Defaulted }),
		Unknown:         concat(parts, func(p *Objects) []string { return p.Unknown }),
	}
	for _, p := range parts {
		o.refuseInOrder(p)
	}
	for _, p := range parts {
		for k, v := range p.StandIns {
			if o.StandIns == nil {
				o.StandIns = map[string]bool{}
			}
			o.StandIns[k] = v
		}
		for k, v := range p.Forbidden {
			if o.Forbidden == nil {
				o.Forbidden = map[string]error{}
			}
			o.Forbidden[k] = v
		}
		o.PartialPods = o.PartialPods || p.PartialPods
	}
	return o
}

// concat is slices.Concat of one list of every part.
func concat[T any](parts []*Objects, list func(*Objects) []T) []T {
	lists := make([][]T, len(parts))
	for i, p := range parts {
		lists[i] = list(p)
	}
	return slices.Concat(lists...)
}

func flatten(err error) []error {
	if err == nil {
		return nil
	}
	var agg utilerrors.Aggregate
	if errors.As(err, &agg) {
		var out []error
		for _, e := range agg.Errors() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// notAnObject recognises the Builder's errors for a document that has no kind at all, or is not
// even a JSON object, and returns the file it names. The Builder formats them with %v, so their
// type is gone and only the words are left to go by.
func notAnObject(err error) (string, bool) {
	file, rest, ok := decodeError(err)
	if !ok {
		return "", false
	}
	// A field of the wrong type inside an object ("into Go struct field") is not this: that
	// object is a Kubernetes object, malformed, and an error.
	if strings.Contains(rest, "Object 'Kind' is missing") || strings.Contains(rest, "Object 'apiVersion' is missing") || topLevelMistake.MatchString(rest) {
		return file, true
	}
	return "", false
}

// listItemMistake finds, in a file the Builder could not decode, a List's item that is not an
// object: the Builder's words do not say where it is, and would skip the List as not a
// Kubernetes object. nil when there is none, or the file cannot be read again (stdin, a URL).
func listItemMistake(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var doc map[string]any
		if dec.Decode(&doc) != nil {
			return nil
		}
		items, _ := doc["items"].([]any)
		for i, item := range items {
			what := fmt.Sprint(item)
			switch item := item.(type) {
			case map[string]any, nil: // a null item decodes, as an object without a name
				continue
			case string:
				what = strconv.Quote(item)
			case []any:
				what = "a list"
			}
			return fmt.Errorf("%s: %v items[%d] is %s, not an object: write the whole object there (metadata, spec…) or remove the item", file, doc["kind"], i, what)
		}
	}
}

// decodeError splits the Builder's "unable to decode FILE: WHY" into the file and why.
func decodeError(err error) (file, why string, ok bool) {
	rest, ok := strings.CutPrefix(err.Error(), "unable to decode ")
	if !ok {
		return "", "", false
	}
	file, why, ok = strings.Cut(rest, ": ")
	return strings.Trim(file, `"`), why, ok
}

// withDocument rewrites a YAML syntax error to point into the file: the Builder says the file
// and a line counted from the start of the document that holds it, and a file may hold dozens.
// The documents are split as the Builder splits them (the YAML reader of apimachinery), each is
// parsed as the Builder parses it (sigs.k8s.io/yaml), and the first that fails is the one.
func withDocument(err error) error {
	rest, ok := strings.CutPrefix(err.Error(), "error parsing ")
	if !ok {
		return err
	}
	path, _, _ := strings.Cut(rest, ": ")
	data, readErr := os.ReadFile(path)
	if readErr != nil {
		return err
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	offset := 0
	for doc := 1; ; doc++ {
		chunk, readErr := reader.Read()
		if readErr != nil {
			return jsonDocument(err, data) // no YAML document fails: a stream of JSON objects
		}
		// The reader hands back the document's lines as they are in the file.
		start := offset + max(bytes.Index(data[offset:], chunk), 0)
		offset = start + len(chunk)
		_, parseErr := yaml.YAMLToJSON(chunk)
		if parseErr == nil {
			continue
		}
		m := yamlLine.FindStringSubmatch(parseErr.Error())
		if m == nil {
			return fmt.Errorf("%s: document %d: %s", path, doc, strings.TrimPrefix(parseErr.Error(), "yaml: "))
		}
		n, _ := strconv.Atoi(m[1])
		line := bytes.Count(data[:start], []byte("\n")) + n
		msg := fmt.Sprintf("%s: line %d (document %d): %s", path, line, doc, m[2])
		if lines := strings.Split(string(data), "\n"); line >= 1 && line <= len(lines) && strings.Contains(leadingSpace(lines[line-1]), "\t") {
			msg += " (the line is indented with a tab: YAML indents with spaces only)"
		}
		return errors.New(msg)
	}
}

// jsonDocument adds to the Builder's error which object of a stream of JSON objects holds it.
func jsonDocument(err error, data []byte) error {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for doc := 1; ; doc++ {
		var v map[string]any
		if derr := dec.Decode(&v); derr != nil {
			if derr == io.EOF {
				return err
			}
			return fmt.Errorf("%w (document %d)", err, doc)
		}
	}
}

// yamlLine reads the YAML parser's "yaml: line 4: what is wrong".
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// leadingSpace is the blank start of a line.
func leadingSpace(line string) string {
	return line[:len(line)-len(strings.TrimLeft(line, " \t"))]
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// workloadKinds are the kinds whose pod template stands for their pods, and where it is.
var workloadKinds = map[schema.GroupKind][]string{
	{Group: "apps", Kind: "Deployment"}:        {"spec", "template"},
	{Group: "apps", Kind: "StatefulSet"}:       {"spec", "template"},
	{Group: "apps", Kind: "DaemonSet"}:         {"spec", "template"},
	{Group: "apps", Kind: "ReplicaSet"}:        {"spec", "template"},
	{Group: "batch", Kind: "Job"}:              {"spec", "template"},
	{Group: "batch", Kind: "CronJob"}:          {"spec", "jobTemplate", "spec", "template"},
	{Group: "", Kind: "ReplicationController"}: {"spec", "template"},
}

// add takes one object read from a file: kept in its typed list (or as a pod stand-in for a
// workload, or as a foreign policy); false when it is of a kind nothing here reads.
func (o *Objects) add(u *unstructured.Unstructured, source, defaultNamespace string) (bool, error) {
	gvk := u.GroupVersionKind()
	gk := gvk.GroupKind()
	if gk.Group == "extensions" { // the old home of NetworkPolicy, Deployment, DaemonSet…
		gk.Group = map[string]string{"NetworkPolicy": "networking.k8s.io"}[gk.Kind]
		if gk.Group == "" {
			gk.Group = "apps"
		}
	}
	if isForeign(gk) {
		// Their cluster-wide kinds say so in the name; the others are namespaced, like ours.
		clusterWide := strings.Contains(gk.Kind, "Global") || strings.Contains(gk.Kind, "Cluster") || strings.Contains(gk.Kind, "Admin")
		if !clusterWide && u.GetNamespace() == "" {
			u.SetNamespace(defaultNamespace)
		}
		o.Foreign = append(o.Foreign, Foreign{Source: source, APIVersion: u.GetAPIVersion(), Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName()})
		return true, nil
	}
	if u.GetName() == "" {
		return false, fmt.Errorf("%s: %s without metadata.name", source, u.GetKind())
	}
	clusterScoped := gk == schema.GroupKind{Kind: "Namespace"} || gk == schema.GroupKind{Kind: "Node"} || policy.IsClusterPolicyKind(gk)
	if !clusterScoped && u.GetNamespace() == "" {
		u.SetNamespace(defaultNamespace)
		o.Defaulted = append(o.Defaulted, u.GetKind()+"/"+u.GetNamespace()+"/"+u.GetName())
	}
	convert := func(v any, strict bool) error {
		err := k8sruntime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, v, strict)
		if paths := unknownFields(err); paths != nil {
			return o.unknown(u, source, reflect.TypeOf(v), "", paths)
		}
		if err != nil {
			if why := objectMistakes(u.Object); why != "" {
				return fmt.Errorf("%s: %s %s: %s", source, u.GetKind(), objectName(u), why)
			}
			return fmt.Errorf("%s: %s %s: %w", source, u.GetKind(), objectName(u), err)
		}
		return nil
	}
	into := func(v any) error { return convert(v, true) }
	var err error
	switch gk {
	case schema.GroupKind{Kind: "Namespace"}:
		var v corev1.Namespace
		if err = into(&v); err == nil {
			o.Namespaces = append(o.Namespaces, v)
		}
	case schema.GroupKind{Kind: "Pod"}:
		// Pods are most of a large cluster's objects, and checking every field of each costs
		// a quarter more time and memory to read a folder; their top level and metadata (where
		// a misspelt labels hides them from every selector) are checked, at a tiny fraction.
		var v corev1.Pod
		if paths := unknownKeys(u.Object, reflect.TypeOf(v), "metadata"); paths != nil {
			err = o.unknown(u, source, reflect.TypeOf(v), "", paths)
		}
		if err == nil {
			if err = convert(&v, false); err == nil {
				o.Pods = append(o.Pods, v)
			}
		}
	case schema.GroupKind{Group: "networking.k8s.io", Kind: "NetworkPolicy"}:
		var v networkingv1.NetworkPolicy
		delete(o.Refused, u.GetNamespace()+"/"+u.GetName()) // a policy replaces the one before it
		if err = into(&v); err == nil {
			o.Policies = append(o.Policies, v)
		}
	case schema.GroupKind{Group: policy.ClusterPolicyGroup, Kind: policy.KindClusterNetworkPolicy},
		schema.GroupKind{Group: policy.ClusterPolicyGroup, Kind: policy.KindAdminNetworkPolicy},
		schema.GroupKind{Group: policy.ClusterPolicyGroup, Kind: policy.KindBaselineAdminNetworkPolicy}:
		v := policy.ClusterPolicyType(gvk)
		if v == nil {
			versions := policy.ClusterPolicyVersions[gk.Kind]
			return false, fmt.Errorf("%s: %s %s: apiVersion %s is not one read here: write apiVersion: %s/%s", source, u.GetKind(), objectName(u),
				gvk.GroupVersion(), policy.ClusterPolicyGroup, strings.Join(versions, " or "))
		}
		// A field this version does not know is said, and the policy read without it: a peer
		// left with no field fails closed, as the API asks of implementations.
		if err = into(v); err == nil {
			var cp policy.ClusterPolicy
			if cp, err = policy.ClusterPolicyFrom(v); err == nil {
				o.ClusterPolicies = append(o.ClusterPolicies, cp)
			}
		}
	case schema.GroupKind{Kind: "Service"}:
		var v corev1.Service
		if err = into(&v); err == nil {
			o.Services = append(o.Services, v)
		}
	case schema.GroupKind{Kind: "Node"}:
		var v corev1.Node
		if err = into(&v); err == nil {
			o.Nodes = append(o.Nodes, v)
		}
	case schema.GroupKind{Kind: "ConfigMap"}:
		var v corev1.ConfigMap
		if err = into(&v); err == nil {
			o.ConfigMaps = append(o.ConfigMaps, v)
		}
	case schema.GroupKind{Group: "discovery.k8s.io", Kind: "EndpointSlice"}:
		var v discoveryv1.EndpointSlice
		if err = into(&v); err == nil {
			o.EndpointSlices = append(o.EndpointSlices, v)
		}
	default:
		path, workload := workloadKinds[gk]
		if !workload {
			if why := kindMistake(gvk); why != "" {
				return false, fmt.Errorf("%s: %s %s: %s", source, u.GetKind(), objectName(u), why)
			}
			return false, nil
		}
		// Of a workload, only the pod template is read: its fields are checked there.
		return true, o.addWorkload(u, gk, path, source, func(v any) error { return convert(v, false) })
	}
	return true, err
}

// addWorkload keeps DaemonSets and Deployments (the CNI check reads them) and adds the pod its
// template describes: one pod named KIND/NAME that stands for all of its replicas. They share
// labels and ports, which is all policies look at.
func (o *Objects) addWorkload(u *unstructured.Unstructured, gk schema.GroupKind, path []string, source string, into func(any) error) error {
	switch gk.Kind {
	case "DaemonSet":
		var v appsv1.DaemonSet
		if err := into(&v); err != nil {
			return err
		}
		o.DaemonSets = append(o.DaemonSets, v)
	case "Deployment":
		var v appsv1.Deployment
		if err := into(&v); err != nil {
			return err
		}
		o.Deployments = append(o.Deployments, v)
	}
	tmpl, found, err := unstructured.NestedMap(u.Object, path...)
	if err != nil || !found {
		return fmt.Errorf("%s: %s %s: no pod template at .%s", source, u.GetKind(), objectName(u), strings.Join(path, "."))
	}
	pod := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Pod"}}
	if meta, ok := tmpl["metadata"].(map[string]any); ok {
		pod.Object["metadata"] = meta
	}
	if spec, ok := tmpl["spec"].(map[string]any); ok {
		pod.Object["spec"] = spec
	}
	pod.SetName(strings.ToLower(gk.Kind) + "/" + u.GetName())
	pod.SetNamespace(u.GetNamespace())
	var p corev1.Pod
	err = k8sruntime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(pod.Object, &p, true)
	if paths := unknownFields(err); paths != nil {
		err = o.unknown(u, source, reflect.TypeOf(p), strings.Join(path, ".")+".", paths)
	}
	if err != nil {
		return fmt.Errorf("%s: %s %s: pod template: %w", source, u.GetKind(), objectName(u), err)
	}
	o.Pods = append(o.Pods, p)
	if o.StandIns == nil {
		o.StandIns = map[string]bool{}
	}
	o.StandIns[p.Namespace+"/"+p.Name] = true
	return nil
}

func isForeign(gk schema.GroupKind) bool {
	if !strings.Contains(gk.Kind, "Policy") && !strings.Contains(gk.Kind, "Policies") || policy.IsClusterPolicyKind(gk) {
		return false
	}
	for _, g := range foreignGroups {
		if gk.Group == g || strings.HasSuffix(gk.Group, "."+g) {
			return true
		}
	}
	return false
}

func objectName(u *unstructured.Unstructured) string {
	if u.GetNamespace() == "" {
		return u.GetName()
	}
	return u.GetNamespace() + "/" + u.GetName()
}

// unknown handles the fields of an object that its type does not have, at paths below prefix
// in it. In a NetworkPolicy they are an error: the policy would not do what its author thinks
// (and kubectl apply refuses it). Elsewhere they are said on stderr and the object is read
// without them, since a dump from a newer cluster may carry fields this version does not know;
// status is not read at all, and not checked (a NetworkPolicy's is said to be ignored).
func (o *Objects) unknown(u *unstructured.Unstructured, source string, root reflect.Type, prefix string, paths []string) error {
	what := fmt.Sprintf("%s: %s %s: ", source, u.GetKind(), objectName(u))
	isStatus := func(p string) bool { return p == "status" || strings.HasPrefix(p, "status.") }
	if root == reflect.TypeOf(&networkingv1.NetworkPolicy{}) && slices.ContainsFunc(paths, isStatus) {
		// NetworkPolicy had a status from Kubernetes 1.24 to 1.27, and dumps of those clusters
		// carry it: not the author's mistake, and nothing the policy does.
		o.Unknown = append(o.Unknown, what+"ignored: status carries no rules")
	}
	paths = slices.DeleteFunc(paths, isStatus)
	if len(paths) == 0 {
		return nil
	}
	if root == reflect.TypeOf(&networkingv1.NetworkPolicy{}) {
		if o.Refused == nil {
			o.Refused = map[string]Refusal{}
		}
		o.Refused[u.GetNamespace()+"/"+u.GetName()] = Refusal{Source: source, Fields: describeUnknown(root, prefix, paths)}
		return nil
	}
	o.Unknown = append(o.Unknown, what+strings.Join(describeUnknown(root, prefix, paths), "; ")+": ignored")
	return nil
}

// dedupe keeps the last of objects with the same kind, namespace and name, in the place of the
// first: a later file replaces an earlier one, as applying them in order would.
func (o *Objects) dedupe() {
	o.Namespaces = lastWins(o.Namespaces, func(v *corev1.Namespace) [2]string { return [2]string{"", v.Name} })
	o.Pods = lastWins(o.Pods, func(v *corev1.Pod) [2]string { return [2]string{v.Namespace, v.Name} })
	o.Policies = lastWins(o.Policies, func(v *networkingv1.NetworkPolicy) [2]string { return [2]string{v.Namespace, v.Name} })
	o.Services = lastWins(o.Services, func(v *corev1.Service) [2]string { return [2]string{v.Namespace, v.Name} })
	o.ClusterPolicies = lastWins(o.ClusterPolicies, func(v *policy.ClusterPolicy) [2]string { return [2]string{v.Kind, v.Name} })
	sort.Strings(o.Defaulted)
	o.Defaulted = slices.Compact(o.Defaulted)
}

// lastWins does it in place, in list's own array: tens of thousands of pods are not copied again.
func lastWins[T any](list []T, key func(*T) [2]string) []T {
	index := make(map[[2]string]int, len(list))
	n := 0
	for j := range list {
		k := key(&list[j])
		if i, ok := index[k]; ok {
			list[i] = list[j]
			continue
		}
		index[k] = n
		if n != j {
			list[n] = list[j]
		}
		n++
	}
	clear(list[n:]) // what was replaced is not kept alive by the array
	return list[:n]
}
