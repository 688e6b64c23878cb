package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

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
