package policy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"
)

// The cases are the files under testdata/invalid and testdata/valid, one NetworkPolicy each.
// An invalid one lists every error the API server gives for it, in the server's order, as
// "# want: <error>" lines; a valid one has none. policy/validatelive sends the same files to a
// real API server (v1.36, server-side dry run) and holds it to the same lines.
func TestValidateCases(t *testing.T) {
	for _, dir := range []string{"invalid", "valid"} {
		files, err := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no cases in testdata/%s: %v", dir, err)
		}
		for _, file := range files {
			t.Run(dir+"/"+strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
				np, want := readValidationCase(t, file)
				if (dir == "invalid") != (len(want) > 0) {
					t.Fatalf("a case in testdata/%s needs %s '# want:' lines", dir, map[bool]string{true: "no", false: "its"}[dir == "valid"])
				}
				var got []string
				for _, e := range Validate(np) {
					got = append(got, e.Error())
				}
				if !slices.Equal(got, want) {
					t.Errorf("Validate:\n got  %s\n want %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
				}
			})
		}
	}
}

// readValidationCase decodes a case file strictly (a misspelt field would make a valid case of
// an invalid one) and returns its "# want:" lines.
func readValidationCase(t *testing.T, file string) (*networkingv1.NetworkPolicy, []string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var np networkingv1.NetworkPolicy
	if err := yaml.UnmarshalStrict(data, &np); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var want []string
	for _, line := range strings.Split(string(data), "\n") {
		if w, ok := strings.CutPrefix(line, "# want: "); ok {
			want = append(want, w)
		}
	}
	return &np, want
}

// Rules the files cannot show: the policy is not changed, a namespace left out is not an
// error, and a value that only the Go struct can hold is still refused.
func TestValidateInPlace(t *testing.T) {
	np, _ := readValidationCase(t, filepath.Join("testdata", "valid", "generate-name.yaml"))
	if errs := Validate(np); len(errs) != 0 || np.Name != "" {
		t.Fatalf("generateName only: errors %v, name %q after Validate (want none, empty)", errs, np.Name)
	}
	np.Namespace = "team-a"
	if errs := Validate(np); len(errs) != 0 {
		t.Fatalf("with a namespace: %v", errs)
	}
	// Annotations are limited to 256 KiB in all.
	np.Annotations = map[string]string{"big": strings.Repeat("x", 256*1024)}
	errs := Validate(np)
	if len(errs) != 1 || errs[0].Error() != "metadata.annotations: Too long: may not be more than 262144 bytes" {
		t.Fatalf("huge annotations: %v", errs)
	}
}
