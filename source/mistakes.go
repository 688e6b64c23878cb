package source

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

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
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				child := v[k]
				if m, ok := child.(map[string]any); ok && (stringMaps[k] || k == "selector") {
					mkeys := make([]string, 0, len(m))
					for mk := range m {
						mkeys = append(mkeys, mk)
					}
					sort.Strings(mkeys)
					for _, mk := range mkeys {
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
