package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// LoadFiles reads a snapshot from files and folders of YAML or JSON: multi-document files,
// List kinds, and workloads (Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs,
// CronJobs) whose pod templates stand for their pods. Objects without a namespace are in
// "default". Any malformed document fails the whole load, naming the file and the document.
func LoadFiles(paths []string) (*Snapshot, error) {
	objs, err := LoadObjects(paths)
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		if o.GetKind() != "Namespace" && o.GetNamespace() == "" {
			o.SetNamespace("default")
		}
	}
	return FromObjects(objs)
}

// LoadObjects reads the objects of files and folders as LoadFiles does, without building a
// snapshot (for callers that add objects of their own first). Objects without a namespace keep
// it empty: the caller knows where kubectl would put them.
func LoadObjects(paths []string) ([]*unstructured.Unstructured, error) {
	var files []string
	for _, p := range paths {
		found, err := expand(p)
		if err != nil {
			return nil, err
		}
		files = append(files, found...)
	}
	var objs []*unstructured.Unstructured
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		docs, err := DecodeDocuments(f, data)
		if err != nil {
			return nil, err
		}
		objs = append(objs, docs...)
	}
	return objs, nil
}

// expand turns a path into the YAML and JSON files it names (a folder: every such file below it).
func expand(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".json":
			if !d.IsDir() {
				files = append(files, p)
			}
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

// DecodeDocuments decodes every document of one file into objects, flattening List kinds and
// turning workloads into the pods their templates describe. name is used in errors.
func DecodeDocuments(name string, data []byte) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	err := EachDocument(name, data, func(o *unstructured.Unstructured) error {
		objs, err := expandObject(o)
		out = append(out, objs...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EachDocument calls fn with every non-empty document of a multi-document YAML or JSON text,
// in order. Errors, fn's included, name the text and the document's index.
func EachDocument(name string, data []byte, fn func(*unstructured.Unstructured) error) error {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for i := 0; ; i++ {
		var obj map[string]any
		err := dec.Decode(&obj)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err == nil && obj != nil {
			err = fn(&unstructured.Unstructured{Object: obj})
		}
		if err != nil {
			return fmt.Errorf("%s: document %d: %w", name, i, err)
		}
	}
}

// templatePaths is where each workload kind keeps its pod template.
var templatePaths = map[string][]string{
	"Deployment":  {"spec", "template"},
	"StatefulSet": {"spec", "template"},
	"DaemonSet":   {"spec", "template"},
	"ReplicaSet":  {"spec", "template"},
	"Job":         {"spec", "template"},
	"CronJob":     {"spec", "jobTemplate", "spec", "template"},
}

func expandObject(o *unstructured.Unstructured) ([]*unstructured.Unstructured, error) {
	kind := o.GetKind()
	if kind == "" {
		return nil, errors.New("no kind")
	}
	if strings.HasSuffix(kind, "List") {
		items, ok := o.Object["items"].([]any)
		if !ok && o.Object["items"] != nil {
			return nil, fmt.Errorf("%s: items is not a list", kind)
		}
		var out []*unstructured.Unstructured
		for j, item := range items {
			m, ok := item.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s item %d is not an object", kind, j)
			}
			objs, err := expandObject(&unstructured.Unstructured{Object: m})
			if err != nil {
				return nil, fmt.Errorf("%s item %d: %w", kind, j, err)
			}
			out = append(out, objs...)
		}
		return out, nil
	}
	if o.GetName() == "" {
		return nil, fmt.Errorf("%s without metadata.name", kind)
	}
	path, isWorkload := templatePaths[kind]
	if !isWorkload {
		return []*unstructured.Unstructured{o}, nil
	}
	tmpl, found, err := unstructured.NestedMap(o.Object, path...)
	if err != nil || !found {
		return nil, fmt.Errorf("%s %s/%s: no pod template at .%s", kind, o.GetNamespace(), o.GetName(), strings.Join(path, "."))
	}
	pod := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Pod"}}
	if meta, ok := tmpl["metadata"].(map[string]any); ok {
		pod.Object["metadata"] = meta
	}
	if spec, ok := tmpl["spec"].(map[string]any); ok {
		pod.Object["spec"] = spec
	}
	// The workload's pods, as one pod named after it: they share labels and ports, which is all
	// policies look at.
	pod.SetName(strings.ToLower(kind) + "/" + o.GetName())
	pod.SetNamespace(o.GetNamespace())
	return []*unstructured.Unstructured{pod}, nil
}
