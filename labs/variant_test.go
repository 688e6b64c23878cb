package labs

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
)

const variantSeeds = 200

// Every variant of every lab teaches the same lesson under new names: through the evaluator,
// its setup fails the goal and its solution passes it, for 200 seeds per lab; and no name or
// port the variant renames is left in any text of any language, manifest or goal row.
func TestVariantsKeepTheLesson(t *testing.T) {
	catalog, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, lab := range catalog {
		t.Run(lab.Name, func(t *testing.T) {
			t.Parallel()
			if len(lab.Vary.Names) == 0 {
				t.Fatalf("lab %s declares no names a variant renames", lab.Name)
			}
			seen := map[string]int{}
			for seed := 1; seed <= variantSeeds; seed++ {
				r, err := lab.Render(Options{Variant: seed})
				if err != nil {
					t.Fatalf("variant %d: %v", seed, err)
				}
				if key := fmt.Sprint(r.Renamed()); seen[key] == 0 {
					seen[key] = seed
				}
				setup, err := r.EvaluateGoal(false)
				if err != nil {
					t.Fatalf("variant %d: %v", seed, err)
				}
				if !slices.ContainsFunc(setup, func(g GoalResult) bool { return g.Got != g.Allowed }) {
					t.Errorf("variant %d: the setup alone already meets the goal", seed)
				}
				solved, err := r.EvaluateGoal(true)
				if err != nil {
					t.Fatalf("variant %d: %v", seed, err)
				}
				for _, g := range solved {
					if g.Got != g.Allowed {
						t.Errorf("variant %d: with the solution %s -> %s %d/%s is %v, the goal %v", seed, g.From, g.To, g.Port, g.Protocol, g.Got, g.Allowed)
					}
				}
				for _, ns := range r.Namespaces {
					if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
						t.Errorf("variant %d: namespace %q: %v", seed, ns, errs)
					}
				}
				if seed <= 20 {
					for _, lg := range lang.All {
						rl, err := lab.Render(Options{Variant: seed, Lang: lg})
						if err != nil {
							t.Fatal(err)
						}
						for _, left := range leftovers(lab, rl) {
							t.Errorf("variant %d (%s): %s", seed, lg, left)
						}
					}
				}
			}
			// Seeds give different labs, not one relabelled a few times.
			if len(seen) < variantSeeds/4 {
				t.Errorf("%d seeds gave only %d different renamings", variantSeeds, len(seen))
			}
		})
	}
}

// leftovers are the renamed names and ports still found, as whole words, in what a variant
// rendered.
func leftovers(lab *Lab, r *Rendered) []string {
	texts := append([]string{r.Title, r.Summary, r.Task, r.SolutionYAML}, r.Steps...)
	texts = append(texts, r.Hints...)
	texts = append(texts, r.Namespaces...)
	for _, u := range append(slices.Clone(r.Setup), r.Solution...) {
		data, _ := u.MarshalJSON()
		texts = append(texts, string(data))
	}
	for _, g := range r.Goal {
		texts = append(texts, g.From+" "+g.To+" "+strconv.Itoa(g.Port))
	}
	renamed := r.Renamed()
	var out []string
	for _, text := range texts {
		for _, from := range slices.Sorted(maps.Keys(renamed)) {
			if strings.Contains(text, from) && r.variant.apply(text) != text {
				out = append(out, fmt.Sprintf("%q is left in %q", from, abbreviate(text)))
			}
		}
	}
	return out
}

func abbreviate(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// A variant renames whole words only: a name inside a longer word, a number inside an address
// or a version, stays.
func TestVariantRenamesWholeWords(t *testing.T) {
	v := &variant{names: map[string]string{"web": "cedar", "ns-a": "onyx"}, ports: map[int]int{80: 9200}}
	for in, want := range map[string]string{
		"web/web 80/TCP":                          "cedar/cedar 9200/TCP",
		"web-allow-was, tcp-80, web.svc":          "cedar-allow-was, tcp-9200, cedar.svc",
		"webhook, cobweb, 8080, 192.0.2.80, 1.80": "webhook, cobweb, 8080, 192.0.2.80, 1.80",
		"ns-a/client, ns-ab, xns-a":               "onyx/client, ns-ab, xns-a",
		"port: 80}":                               "port: 9200}",
		"namespace {{ns}} 웹 web에서 80번":            "namespace {{ns}} 웹 cedar에서 9200번",
	} {
		if got := v.apply(in); got != want {
			t.Errorf("apply(%q) = %q, want %q", in, got, want)
		}
	}
	if got := (*variant)(nil).apply("web 80"); got != "web 80" {
		t.Errorf("no variant changed %q", got)
	}
}
