package plugin

import (
	"bytes"
	"io"
	"os"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/klog/v2"
)

// After Main, what client-go logs through klog (errors included) never reaches stderr.
func TestKlogSilenced(t *testing.T) {
	Main(genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: io.Discard, ErrOut: io.Discard}, []string{"version", "--client"})
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	klog.ErrorS(nil, "Copying stdout failed")
	klog.Flush()
	os.Stderr = stderr
	w.Close()
	got, _ := io.ReadAll(r)
	if len(got) > 0 {
		t.Errorf("klog wrote to stderr: %s", got)
	}
}
