package source

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// The commonest malformed object is a label written as YAML reads it, not as Kubernetes wants it:
// `canary: true`, `version: 2`, `enabled: yes` are a boolean and numbers, and label values (like
// selectors' matchLabels, annotations, matchExpressions values) are strings. kubectl refuses such
// a file with the JSON decoder's words ("cannot unmarshal bool into Go struct field
// ObjectMeta.metadata.labels of type string"); the reader refuses it too, and says which key it
// is and how to write it.

// topLevelMistake is how the decoder says a whole document is not an object (a list, a string, a
// number): such a document is not a Kubernetes object at all. The same words with "Go struct
// field" are about a field inside an object, which is a malformed Kubernetes object.
var topLevelMistake = regexp.MustCompile(`cannot unmarshal \w+ into Go value of type`)

// fieldMistake reads the decoder's words for a field of the wrong type: what it found, the
// field's path and the type it wants.
var fieldMistake = regexp.MustCompile(`cannot unmarshal (\w+) into Go struct field \w+\.(\S+) of type (\S+)`)

// stringMaps are the fields whose values are strings by the API, wherever they sit.
var stringMaps = map[string]bool{"labels": true, "annotations": true, "matchLabels": true, "nodeSelector": true}

// unquoted lists, in a document read as JSON, the values a string belongs in that YAML read as
// something else, as "path.to.key is VALUE, a boolean": the label-like maps, a Service's
// selector (a map of strings, where a workload's is a LabelSelector of maps), and the values of
// matchExpressions.
func unquoted(doc map[string]any) []string {
	var found []string
	var walk func(v any, path string, parent string)
	walk = func(v any, path string, parent string) {
		switch v := v.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(v)) {
				child := v[k]
				if m, ok := child.(map[string]any); ok && (stringMaps[k] || k == "selector") {
					for _, mk := range slices.Sorted(maps.Keys(m)) {
						if value, what := notString(m[mk]); what != "" {
							found = append(found, fmt.Sprintf("%s.%s is %s, not a string: quote it as you wrote it (%s: %q)", join(path, k), mk, what, mk, value))
						}
					}
					if stringMaps[k] {
						continue
					}
				}
				walk(child, join(path, k), k)
			}
		case []any:
			for i, item := range v {
				p := fmt.Sprintf("%s[%d]", path, i)
				if parent == "values" {
					if value, what := notString(item); what != "" {
						found = append(found, fmt.Sprintf("%s is %s, not a string: quote it as you wrote it (%q)", p, what, value))
					}
					continue
				}
				walk(item, p, parent)
			}
		}
	}
	walk(doc, "", "")
	return found
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// notString gives a scalar that is not a string as YAML would have to quote it ("true") and
// what it is ("the boolean true"); "" for a string, a null, or a map or list (those are another
// mistake, which the decoder names).
func notString(v any) (value, what string) {
	switch v := v.(type) {
	case bool:
		value, what = strconv.FormatBool(v), "the boolean "
	case float64:
		value, what = strconv.FormatFloat(v, 'f', -1, 64), "the number "
	case int64:
		value, what = strconv.FormatInt(v, 10), "the number "
	case int:
		value, what = strconv.Itoa(v), "the number "
	default:
		return "", ""
	}
	return value, what + value
}

// quoteAdvice is said after the mistakes that unquoted finds.
const quoteAdvice = `(YAML reads unquoted true/false, yes/no, on/off as booleans and digits as numbers, and these values are strings in Kubernetes)`

// objectMistakes says what is wrong with one object whose typed decoding failed, naming the keys
// YAML read as booleans or numbers; "" when it finds none.
func objectMistakes(obj map[string]any) string {
	found := unquoted(obj)
	if len(found) == 0 {
		return ""
	}
	return strings.Join(found, "; ") + " " + quoteAdvice
}

// withFieldMistake rewrites the Builder's error for a document with a field of the wrong type
// ("unable to decode FILE: json: cannot unmarshal bool into Go struct field ...") into one that
// names the object and the keys, when the file can be read again (not stdin or a URL), and adds
// what to do in any case.
func withFieldMistake(err error) error {
	m := fieldMistake.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	found, field, want := m[1], m[2], m[3]
	if path, _, ok := decodeError(err); ok {
		if data, readErr := os.ReadFile(path); readErr == nil {
			var lines []string
			dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
			for {
				var doc map[string]any
				if derr := dec.Decode(&doc); derr != nil {
					if derr != io.EOF {
						lines = nil // not the document the Builder read; say what it said
					}
					break
				}
				lines = append(lines, documentMistakes(doc, "")...)
			}
			if len(lines) > 0 {
				return fmt.Errorf("%s: %s %s", path, strings.Join(lines, "; "), quoteAdvice)
			}
		}
	}
	if want == "string" && (found == "bool" || found == "number") {
		return fmt.Errorf("%w: %s is a YAML %s where Kubernetes wants a string: quote the value %s", err, field, found, quoteAdvice)
	}
	return err
}

// documentMistakes is unquoted for a document, one line an object: a List's items apart (their
// kind, when they carry none, is the List's less "List").
func documentMistakes(doc map[string]any, listKind string) []string {
	if items, ok := doc["items"].([]any); ok {
		kind, _ := doc["kind"].(string)
		var lines []string
		for _, item := range items {
			if m, ok := item.(map[string]any); ok {
				lines = append(lines, documentMistakes(m, strings.TrimSuffix(kind, "List"))...)
			}
		}
		return lines
	}
	found := unquoted(doc)
	if len(found) == 0 {
		return nil
	}
	return []string{describe(doc, listKind) + ": " + strings.Join(found, "; ")}
}

// describe names a document as "Kind namespace/name".
func describe(doc map[string]any, defaultKind string) string {
	kind, _ := doc["kind"].(string)
	if kind == "" {
		kind = defaultKind
	}
	meta, _ := doc["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	if ns, _ := meta["namespace"].(string); ns != "" {
		name = ns + "/" + name
	}
	return strings.TrimSpace(kind + " " + name)
}

// A misspelt or misplaced field (`ingres:`, `policyType:`, `matchLabel:`, `ports:` indented
// under spec instead of under a rule, `from:` in an egress rule) is dropped by a lenient decoder
// without a word, and the policy then means something else than its author thinks: an ingress
// rule that is not there allows nothing. kubectl apply refuses such a file (strict field
// validation); the reader names each field, and the field that was probably meant.

// unknownFields are the paths of the fields a strict conversion did not know ("spec.ingres",
// "spec.ingress[0].form"), nil when err is about something else.
func unknownFields(err error) []string {
	strict, ok := k8sruntime.AsStrictDecodingError(err)
	if !ok {
		return nil
	}
	var paths []string
	for _, e := range strict.Errors() {
		if path, ok := strings.CutPrefix(e.Error(), "unknown field "); ok {
			paths = append(paths, strings.Trim(path, `"`))
		}
	}
	return paths
}

// unknownKeys are the paths, as a strict conversion names them, of the keys of obj and of its
// fields named in children that the struct type t does not have.
func unknownKeys(obj map[string]any, t reflect.Type, children ...string) []string {
	fields := jsonFields(elem(t))
	var paths []string
	for k, v := range obj {
		ft, known := fields[k]
		switch {
		case !known:
			paths = append(paths, k)
		case slices.Contains(children, k):
			if child, ok := v.(map[string]any); ok {
				for _, p := range unknownKeys(child, ft) {
					paths = append(paths, k+"."+p)
				}
			}
		}
	}
	sort.Strings(paths)
	return paths
}

// describeUnknown says "unknown field PATH" for each path, with what was probably meant, for an
// object converted into a value of type root. prefix is where that value sits in the object
// (a workload's pod template).
func describeUnknown(root reflect.Type, prefix string, paths []string) []string {
	var parts []string
	for _, path := range paths {
		part := fmt.Sprintf("unknown field %q", prefix+path)
		if advice := fieldAdvice(root, path); advice != "" {
			part += " (" + advice + ")"
		}
		parts = append(parts, part)
	}
	return parts
}

// fieldAdvice guesses what an unknown field at path meant: a rule's other peer list, a field
// of the same object spelt alike, or a field of that name elsewhere (an indentation mistake).
func fieldAdvice(root reflect.Type, path string) string {
	keys := pathKeys(path)
	name := keys[len(keys)-1]
	parents := keys[:len(keys)-1]
	if len(parents) > 0 {
		switch parent := parents[len(parents)-1]; {
		case parent == "egress" && name == "from":
			return `egress rules name their peers under "to"`
		case parent == "ingress" && name == "to":
			return `ingress rules name their peers under "from"`
		}
	}
	if t, ok := typeAt(root, parents); ok {
		if near := nearest(name, jsonFields(t)); near != "" {
			return fmt.Sprintf("did you mean %q?", near)
		}
		// One level too shallow: matchLabels next to podSelector instead of under it.
		if places := fieldPlaces(t, name); len(places) > 0 {
			return fmt.Sprintf("%q goes deeper, in %s: check its indentation", name, strings.Join(places, " or "))
		}
	}
	if places := fieldPlaces(root, name); len(places) > 0 {
		return fmt.Sprintf("%q belongs in %s: check its indentation", name, strings.Join(places, " or "))
	}
	return ""
}

// pathKeys splits "spec.ingress[0].from" into its field names: spec, ingress, from.
func pathKeys(path string) []string {
	var keys []string
	for _, k := range strings.Split(path, ".") {
		if i := strings.IndexByte(k, '['); i >= 0 {
			k = k[:i]
		}
		keys = append(keys, k)
	}
	return keys
}

// typeAt is the struct type that the fields named by keys lead to from root, looking through
// pointers, lists and maps.
func typeAt(root reflect.Type, keys []string) (reflect.Type, bool) {
	t := elem(root)
	for _, k := range keys {
		if t.Kind() != reflect.Struct {
			return nil, false
		}
		f, ok := jsonFields(t)[k]
		if !ok {
			return nil, false
		}
		t = elem(f)
	}
	return t, t.Kind() == reflect.Struct
}

// elem looks through pointers, lists and maps to the type of what they hold.
func elem(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	return t
}

// jsonFields are a struct's fields by their JSON names, inlined structs (TypeMeta) included.
// They are worked out once a type: a Pod's are looked at for every pod read. The map returned
// is shared, not to be changed.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if fields, ok := fieldsOfType.Load(t); ok {
		return fields.(map[string]reflect.Type)
	}
	fields := structFields(t)
	fieldsOfType.Store(t, fields)
	return fields
}

var fieldsOfType sync.Map // reflect.Type -> map[string]reflect.Type

func structFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported():
		case name == "" && (f.Anonymous || strings.Contains(opts, "inline")) && elem(f.Type).Kind() == reflect.Struct:
			for k, v := range jsonFields(elem(f.Type)) {
				fields[k] = v
			}
		case name != "":
			fields[name] = f.Type
		}
	}
	return fields
}

// nearest is the field name that name is most likely a misspelling of: the same letters in
// another case, or at most two edits away (one for short names); "" when none is.
func nearest(name string, fields map[string]reflect.Type) string {
	names := slices.Sorted(maps.Keys(fields))
	for _, field := range names {
		if strings.EqualFold(field, name) {
			return field
		}
	}
	best, bestDistance := "", 3
	if len(name) <= 4 {
		bestDistance = 2
	}
	for _, field := range names {
		if d := editDistance(name, field); d < bestDistance {
			best, bestDistance = field, d
		}
	}
	return best
}

// editDistance is the number of one-letter edits (insert, delete, replace, or swap two
// neighbours: "sepc" is one from "spec") that turn a into b.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// fieldPlaces are where, below the struct type t, a field called name (in any case) is:
// "spec.ingress[]", "the top level" for t's own fields; at most three, the shallowest first.
func fieldPlaces(t reflect.Type, name string) []string {
	type node struct {
		t    reflect.Type
		path string
	}
	var places []string
	queue := []node{{elem(t), ""}}
	visited := 0
	// Kubernetes' types are trees a few levels deep; the bounds only keep a strange one cheap.
	for depth := 0; depth < 8 && len(queue) > 0 && len(places) < 3 && visited < 20000; depth++ {
		var next []node
		for _, n := range queue {
			if n.t.Kind() != reflect.Struct {
				continue
			}
			visited++
			fields := jsonFields(n.t)
			for _, k := range slices.Sorted(maps.Keys(fields)) {
				ft := fields[k]
				if strings.EqualFold(k, name) && len(places) < 3 && !slices.Contains(places, n.path) {
					places = append(places, cmp.Or(n.path, "the top level"))
				}
				suffix := ""
				if ft.Kind() == reflect.Slice {
					suffix = "[]"
				}
				next = append(next, node{elem(ft), join(n.path, k) + suffix})
			}
		}
		queue = next
	}
	return places
}

// readKinds are the kinds read here, by their lower-case names, as apiVersion and kind spell them.
var readKinds = func() map[string][2]string {
	kinds := map[string][2]string{}
	for _, gk := range []schema.GroupKind{{Kind: "Namespace"}, {Kind: "Pod"}, {Group: "networking.k8s.io", Kind: "NetworkPolicy"}, {Kind: "Service"}, {Kind: "Node"}, {Kind: "ConfigMap"}, {Group: "discovery.k8s.io", Kind: "EndpointSlice"}} {
		kinds[strings.ToLower(gk.Kind)] = [2]string{strings.TrimPrefix(gk.Group+"/v1", "/"), gk.Kind}
	}
	for gk := range workloadKinds {
		kinds[strings.ToLower(gk.Kind)] = [2]string{strings.TrimPrefix(gk.Group+"/v1", "/"), gk.Kind}
	}
	return kinds
}()

// kindMistake says what is wrong with an apiVersion and kind that nothing here reads but that
// spell one it does read wrongly (apiVersion: v1 for a NetworkPolicy, kind: Networkpolicy); ""
// for another kind, a custom resource's above all. kubectl apply refuses these too ("no matches
// for kind"), and skipping them would grade a lab without the learner's policy.
func kindMistake(gvk schema.GroupVersionKind) string {
	want, ok := readKinds[strings.ToLower(gvk.Kind)]
	if !ok {
		return ""
	}
	// A custom resource's group is a domain name; Kubernetes' own are k8s.io's or one word.
	if strings.Contains(gvk.Group, ".") && !strings.HasSuffix(gvk.Group, ".k8s.io") {
		return ""
	}
	return fmt.Sprintf("Kubernetes has no kind %s in %s: write apiVersion: %s and kind: %s (kubectl apply refuses it too)", gvk.Kind, gvk.GroupVersion(), want[0], want[1])
}
