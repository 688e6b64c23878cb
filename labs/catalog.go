package labs

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
)

//go:embed catalog
var catalogFS embed.FS

var (
	loadOnce   sync.Once
	loadedLabs []*Lab
	loadErr    error
)

// Catalog returns every lab, easiest first, then by name.
func Catalog() ([]*Lab, error) {
	loadOnce.Do(func() { loadedLabs, loadErr = loadCatalog(catalogFS, "catalog") })
	return loadedLabs, loadErr
}

// Get returns the lab called name; for an unknown name the error suggests the closest ones.
func Get(name string) (*Lab, error) {
	all, err := Catalog()
	if err != nil {
		return nil, err
	}
	for _, l := range all {
		if l.Name == name {
			return l, nil
		}
	}
	return nil, &UnknownLabError{Name: name, Closest: closest(name, all)}
}

// UnknownLabError names a lab that is not in the catalog and the names closest to it.
type UnknownLabError struct {
	Name    string
	Closest []string
}

func (e *UnknownLabError) Error() string {
	msg := fmt.Sprintf("no lab named %q", e.Name)
	if len(e.Closest) > 0 {
		msg += "; did you mean " + strings.Join(e.Closest, " or ") + "?"
	}
	return msg + " ('kubectl netpol lab list' shows them all)"
}

func loadCatalog(fsys fs.FS, root string) ([]*Lab, error) {
	entries, err := fs.ReadDir(fsys, root)
	if err != nil {
		return nil, err
	}
	var labs []*Lab
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		l, err := loadLab(fsys, path.Join(root, e.Name()))
		if err != nil {
			return nil, err
		}
		if l.Name != e.Name() {
			return nil, fmt.Errorf("%s/lab.yaml: name %q differs from its folder", e.Name(), l.Name)
		}
		labs = append(labs, l)
	}
	rank := map[string]int{}
	for i, lvl := range Levels {
		rank[lvl] = i
	}
	sort.SliceStable(labs, func(i, j int) bool {
		if rank[labs[i].Level] != rank[labs[j].Level] {
			return rank[labs[i].Level] < rank[labs[j].Level]
		}
		return labs[i].Name < labs[j].Name
	})
	return labs, nil
}

func loadLab(fsys fs.FS, dir string) (*Lab, error) {
	data, err := fs.ReadFile(fsys, path.Join(dir, "lab.yaml"))
	if err != nil {
		return nil, err
	}
	var file labFile
	if err := yaml.UnmarshalStrict(data, &file); err != nil {
		return nil, fmt.Errorf("%s/lab.yaml: %w (the texts go in texts/LANG.yaml)", dir, err)
	}
	l := Lab{Name: file.Name, Level: file.Level, Topics: file.Topics, Namespaces: file.Namespaces, Goal: file.Goal, Vary: file.Variant}
	if l.texts, err = loadTexts(fsys, dir); err != nil {
		return nil, err
	}
	l.Texts = l.texts[lang.En]
	for i := range l.Goal {
		if l.Goal[i].Protocol == "" { // written out for lab show and JSON; the default is Proto's
			l.Goal[i].Protocol = string(l.Goal[i].Proto())
		}
	}
	if l.setup, err = readManifests(fsys, path.Join(dir, "setup")); err != nil {
		return nil, err
	}
	if l.solution, err = readManifests(fsys, path.Join(dir, "solution")); err != nil {
		return nil, err
	}
	return &l, l.validate()
}

func readManifests(fsys fs.FS, dir string) ([]manifestFile, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var files []manifestFile
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		p := path.Join(dir, e.Name())
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, err
		}
		files = append(files, manifestFile{path: strings.TrimPrefix(p, "catalog/"), text: string(data)})
	}
	return files, nil
}

// closest returns up to three lab names within a small edit distance of name, or that contain it.
func closest(name string, labs []*Lab) []string {
	type scored struct {
		name string
		dist int
	}
	var candidates []scored
	for _, l := range labs {
		d := editDistance(name, l.Name)
		if strings.Contains(l.Name, name) || strings.Contains(name, l.Name) {
			d = min(d, 1)
		}
		if d <= max(2, len(name)/3) {
			candidates = append(candidates, scored{l.Name, d})
		}
	}
	sort.SliceStable(candidates, func(i, j int) bool { return candidates[i].dist < candidates[j].dist })
	var names []string
	for i := 0; i < len(candidates) && i < 3; i++ {
		names = append(names, candidates[i].name)
	}
	return names
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
