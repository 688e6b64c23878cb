package labs

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/template"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/policy"
)

// DefaultImages are the images of each role in the labs: small, multi-arch and pinned. busybox
// has httpd for the servers and wget, nc and nslookup for the clients.
var DefaultImages = map[string]string{
	"server": "docker.io/library/busybox:1.36.1",
	"client": "docker.io/library/busybox:1.36.1",
}

// Options change how a lab is rendered.
type Options struct {
	// NamespaceSuffix is appended to every namespace of the lab ("web" becomes "web-2"), to run
	// it beside namespaces of the same name that are not ours.
	NamespaceSuffix string
	// ImageRegistry replaces the registry of every default image (a mirror, an air-gapped registry).
	ImageRegistry string
	// Images overrides the image of a role ("client" -> "my.registry/tools:1.0") entirely.
	Images map[string]string
	// Lang picks the language of the texts (title, summary, task, steps, hints) and of the
	// messages grading writes for people; empty means English.
	Lang lang.Lang
	// Variant renames the lab's names and ports from this seed (variant.go); 0 is the lab as
	// written.
	Variant int
}

// Rendered is a lab with its names, images and texts resolved: what `lab up` applies and
// `lab show` prints.
type Rendered struct {
	*Lab
	Options    Options
	Namespaces []string
	// The texts in Options.Lang.
	Title    string
	Summary  string
	Task     string
	Steps    []string
	Hints    []string
	Goal     []Connection
	Setup    []*unstructured.Unstructured
	Solution []*unstructured.Unstructured
	// SolutionYAML is the solution as written (rendered), comments included, for `lab show --solution`.
	SolutionYAML string

	variant *variant // nil for the lab as written
}

// Render resolves the lab's templates for opts.
func (l *Lab) Render(opts Options) (*Rendered, error) {
	if opts.NamespaceSuffix != "" && !validSuffix(opts.NamespaceSuffix) {
		return nil, fmt.Errorf("namespace suffix %q: use lowercase letters, digits and '-', starting with '-' or a letter or digit", opts.NamespaceSuffix)
	}
	for role := range opts.Images {
		if _, ok := DefaultImages[role]; !ok {
			return nil, fmt.Errorf("no image role %q; the roles are %s", role, strings.Join(imageRoles(), ", "))
		}
	}
	if opts.Lang != "" && !opts.Lang.Known() {
		return nil, fmt.Errorf("no texts in language %q; the languages are %s", opts.Lang, strings.Join(lang.Names(), ", "))
	}
	r := &Rendered{Lab: l, Options: opts}
	var err error
	if r.variant, err = l.variantOf(opts.Variant); err != nil {
		return nil, err
	}
	texts := l.Text(opts.Lang)
	funcs := template.FuncMap{
		"ns": func(name string) (string, error) {
			if !contains(l.Namespaces, name) {
				return "", fmt.Errorf("namespace %q is not one of the lab's %v", name, l.Namespaces)
			}
			return r.namespace(name), nil
		},
		// cluster names a cluster-scoped object of the lab (a ClusterNetworkPolicy): renamed
		// and suffixed as the namespaces are, so that two copies of a lab never share one.
		"cluster": func(name string) string { return r.namespace(name) },
		"image":   func(role string) (string, error) { return opts.image(role) },
	}
	text := func(what, s string) (string, error) {
		t, err := template.New(l.Name + " " + what).Funcs(funcs).Option("missingkey=error").Parse(s)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, nil); err != nil {
			return "", err
		}
		return r.variant.apply(buf.String()), nil
	}
	for _, ns := range l.Namespaces {
		r.Namespaces = append(r.Namespaces, r.namespace(ns))
	}
	if r.Title, err = text("title", texts.Title); err != nil {
		return nil, err
	}
	if r.Summary, err = text("summary", texts.Summary); err != nil {
		return nil, err
	}
	if r.Task, err = text("task", texts.Task); err != nil {
		return nil, err
	}
	for i, s := range texts.Steps {
		step, err := text(fmt.Sprintf("step %d", i+1), s)
		if err != nil {
			return nil, err
		}
		r.Steps = append(r.Steps, step)
	}
	for i, s := range texts.Hints {
		hint, err := text(fmt.Sprintf("hint %d", i+1), s)
		if err != nil {
			return nil, err
		}
		r.Hints = append(r.Hints, hint)
	}
	for _, c := range l.Goal {
		c.From, c.To = r.endpoint(c.From), r.endpoint(c.To)
		if to, ok := r.variant.port(c.Port); ok {
			c.Port = to
		}
		r.Goal = append(r.Goal, c)
	}
	for _, set := range []struct {
		files []manifestFile
		into  *[]*unstructured.Unstructured
		yaml  *string
	}{{l.setup, &r.Setup, nil}, {l.solution, &r.Solution, &r.SolutionYAML}} {
		var docs []string
		for _, f := range set.files {
			out, err := text(f.path, f.text)
			if err != nil {
				return nil, err
			}
			objs, err := decodeObjects(f.path, out)
			if err != nil {
				return nil, err
			}
			for _, o := range objs {
				labels := o.GetLabels()
				if labels == nil {
					labels = map[string]string{}
				}
				labels[ManagedByLabel] = ManagedByValue
				labels[LabLabel] = l.Name
				if opts.Variant != 0 {
					labels[LabelVariant] = strconv.Itoa(opts.Variant)
				}
				o.SetLabels(labels)
			}
			*set.into = append(*set.into, objs...)
			docs = append(docs, strings.TrimSpace(out))
		}
		if set.yaml != nil {
			*set.yaml = strings.Join(docs, "\n---\n") + "\n"
		}
	}
	return r, nil
}

// namespace is the lab's namespace name as rendered: the variant's name, with the suffix.
func (r *Rendered) namespace(name string) string {
	return r.variant.apply(name) + r.Options.NamespaceSuffix
}

// endpoint renames a "namespace/pod" goal endpoint; IPs stay as they are.
func (r *Rendered) endpoint(e string) string {
	ns, pod, ok := strings.Cut(e, "/")
	if !ok || !contains(r.Lab.Namespaces, ns) {
		return e
	}
	return r.namespace(ns) + "/" + r.variant.apply(pod)
}

func (o Options) image(role string) (string, error) {
	if img, ok := o.Images[role]; ok {
		return img, nil
	}
	img, ok := DefaultImages[role]
	if !ok {
		return "", fmt.Errorf("no image role %q", role)
	}
	if o.ImageRegistry != "" {
		_, rest, _ := strings.Cut(img, "/") // default images are always registry/path:tag
		img = strings.TrimSuffix(o.ImageRegistry, "/") + "/" + rest
	}
	return img, nil
}

func imageRoles() []string {
	var roles []string
	for role := range DefaultImages {
		roles = append(roles, role)
	}
	return roles
}

func validSuffix(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return len(s) <= 20
}

// decodeObjects reads every object of a multi-document YAML text.
func decodeObjects(name, text string) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	err := policy.EachDocument(name, []byte(text), func(u *unstructured.Unstructured) error {
		if u.GetKind() == "" || u.GetName() == "" {
			return errors.New("kind and metadata.name are required")
		}
		objs = append(objs, u)
		return nil
	})
	return objs, err
}
