package lang

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var quoted = regexp.MustCompile(`"([a-z][a-z.-]*)"`)

// computedPrefixes are the message IDs code builds from a value (a level, a cause code, a
// finding ID) rather than writes out: they count as used.
var computedPrefixes = []string{"level.", "label.", "cause.", "blame.", "why.side.", "why.not-isolated.", "why.selects.no-rules.", "why.rule.egress", "why.rule.ingress", "why.no-networkpolicy.", "page.kind."}

// Every message ID the module's code names exists in English (so in every language, by
// TestCatalogs), and every English message is named somewhere: a message no code uses is a
// translation nobody reads.
func TestEveryMessageIsKnownAndUsed(t *testing.T) {
	root := ".."
	literals := map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".html") {
			// A page template names its words by ID too: {{$.T "page.port"}}.
			src, err := os.ReadFile(path)
			for _, m := range quoted.FindAllStringSubmatch(string(src), -1) {
				literals[m[1]] = true
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, _ := strconv.Unquote(lit.Value)
				literals[s] = true
			}
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			name := ""
			if fun, ok := call.Fun.(*ast.SelectorExpr); ok {
				if pkg, ok := fun.X.(*ast.Ident); ok && pkg.Name == "lang" {
					name = fun.Sel.Name
				}
			}
			arg := -1 // which argument is the message ID
			switch name {
			case "T":
				arg = 1
			case "M", "Join":
				arg = 0
			}
			if arg < 0 || arg >= len(call.Args) {
				return true
			}
			if lit, ok := call.Args[arg].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				id, _ := strconv.Unquote(lit.Value)
				if _, ok := Messages()[En][id]; !ok {
					t.Errorf("%s: %s(%q): no such message in catalog/en.yaml", fset.Position(lit.Pos()), name, id)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for id := range Messages()[En] {
		computed := false
		for _, p := range computedPrefixes {
			computed = computed || strings.HasPrefix(id, p)
		}
		if !literals[id] && !computed && id != scriptsKey {
			t.Errorf("message %q is never used", id)
		}
	}
}
