// Command gen regenerates the data in policy/testdata/cnp-conformance from the conformance
// suite of sigs.k8s.io/network-policy-api (see ../README.md):
//
//	cd /tmp && go mod download sigs.k8s.io/network-policy-api@v0.3.0
//	UPSTREAM=$(go env GOMODCACHE)/sigs.k8s.io/network-policy-api@v0.3.0/conformance \
//	OUT=policy/testdata/cnp-conformance go run ./policy/testdata/cnp-conformance/gen
//
// It renders the templated manifests, expands base/manifests.yaml into cluster.yaml, copies
// the policies, and interprets the small subset of Go the upstream tests use (GetPod,
// PokeServer, rule swaps and edits, Patch*, SetPodLabel/RemovePodLabel, t.Cleanup, Delete)
// to write cases.yaml. It fails on any statement it does not know.
package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"

	yaml "go.yaml.in/yaml/v3"
)

var (
	upstream  = os.Getenv("UPSTREAM") // .../network-policy-api@v0.3.0/conformance
	outDir    = os.Getenv("OUT")      // .../policy/testdata/cnp-conformance
	hostPorts = []int{34345, 34346, 34347, 34348, 34349, 34350, 34351, 34352}
)

// ---- fixed cluster layout -------------------------------------------------------------

type nodeInfo struct{ name, ip, podCIDR string }

var nodes = []nodeInfo{
	{"node-a", "192.168.0.11", "10.244.1.0/24"},
	{"node-b", "192.168.0.12", "10.244.2.0/24"},
}

// house offset for pod IPs: <ordinal> selects the node, offset the last octet.
var houseOffset = map[string]int{
	"harry-potter":   10,
	"draco-malfoy":   20,
	"cedric-diggory": 30,
	"luna-lovegood":  40,
}

type podInfo struct {
	ns, name    string
	ip, node    string
	hostNetwork bool
}

var pods = map[string]*podInfo{} // "ns/name"

// ---- yaml helpers ----------------------------------------------------------------------

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
func num(i int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(i)}
}
func boolean(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}
func mapping(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i := 0; i < len(kv); i += 2 {
		n.Content = append(n.Content, str(kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	return n
}
func seq(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items}
}

func deepCopy(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	c.HeadComment, c.LineComment, c.FootComment = "", "", ""
	c.Content = nil
	for _, k := range n.Content {
		c.Content = append(c.Content, deepCopy(k))
	}
	return &c
}

func get(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func set(m *yaml.Node, key string, v *yaml.Node) {
	if m.Kind != yaml.MappingNode {
		die("set %q on non-mapping", key)
	}
	for i := 0; i < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, str(key), v)
}

func del(m *yaml.Node, key string) bool {
	for i := 0; i < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return true
		}
	}
	return false
}

func scalar(n *yaml.Node, path ...string) string {
	for _, p := range path {
		n = get(n, p)
	}
	if n == nil {
		return ""
	}
	return n.Value
}

func die(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "cnpgen: "+f+"\n", a...)
	os.Exit(1)
}

func decodeAll(data []byte) []*yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []*yaml.Node
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if err.Error() == "EOF" {
				break
			}
			die("decode: %v", err)
		}
		if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			continue
		}
		out = append(out, doc.Content[0])
	}
	return out
}

func encodeDocs(nodes []*yaml.Node, header string) []byte {
	var buf bytes.Buffer
	buf.WriteString(header)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	for _, n := range nodes {
		if err := enc.Encode(n); err != nil {
			die("encode: %v", err)
		}
	}
	enc.Close()
	return buf.Bytes()
}

func objKey(o *yaml.Node) string {
	return scalar(o, "kind") + "/" + scalar(o, "metadata", "namespace") + "/" + scalar(o, "metadata", "name")
}

// ---- templates & files ------------------------------------------------------------------

func render(text string) string {
	tmpl, err := template.New("m").Parse(text)
	if err != nil {
		die("template: %v", err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, struct{ HostNetworkPorts []int }{hostPorts}); err != nil {
		die("template: %v", err)
	}
	return buf.String()
}

var manifestObjs = map[string][]*yaml.Node{} // "base/..." -> objects
var rendered []string

func copyPolicies() {
	files, _ := filepath.Glob(filepath.Join(upstream, "base", "*", "*.yaml"))
	sort.Strings(files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			die("%v", err)
		}
		rel, _ := filepath.Rel(filepath.Join(upstream, "base"), f)
		text := string(data)
		if strings.Contains(text, "{{") {
			text = render(text)
			rendered = append(rendered, rel)
		}
		dst := filepath.Join(outDir, "policies", rel)
		os.MkdirAll(filepath.Dir(dst), 0o755)
		if err := os.WriteFile(dst, []byte(text), 0o644); err != nil {
			die("%v", err)
		}
		manifestObjs["base/"+filepath.ToSlash(rel)] = decodeAll([]byte(text))
	}
}

// ---- cluster ----------------------------------------------------------------------------

var clusterObjs []*yaml.Node

func buildCluster() {
	data, err := os.ReadFile(filepath.Join(upstream, "base", "manifests.yaml"))
	if err != nil {
		die("%v", err)
	}
	docs := decodeAll([]byte(render(string(data))))
	for _, n := range nodes {
		clusterObjs = append(clusterObjs, mapping(
			"apiVersion", str("v1"),
			"kind", str("Node"),
			"metadata", mapping(
				"name", str(n.name),
				"labels", mapping(
					"kubernetes.io/arch", str("amd64"),
					"kubernetes.io/hostname", str(n.name),
					"kubernetes.io/os", str("linux"),
				),
			),
			"spec", mapping("podCIDR", str(n.podCIDR), "podCIDRs", seq(str(n.podCIDR))),
			"status", mapping("addresses", seq(
				mapping("type", str("InternalIP"), "address", str(n.ip)),
				mapping("type", str("Hostname"), "address", str(n.name)),
			)),
		))
	}
	var podObjs []*yaml.Node
	for _, d := range docs {
		switch scalar(d, "kind") {
		case "Namespace":
			name := scalar(d, "metadata", "name")
			labels := deepCopy(get(get(d, "metadata"), "labels"))
			// the API server adds this label to every namespace (and re-adds it on update)
			set(labels, "kubernetes.io/metadata.name", str(name))
			clusterObjs = append(clusterObjs, mapping(
				"apiVersion", str("v1"),
				"kind", str("Namespace"),
				"metadata", mapping("name", str(name), "labels", labels),
			))
		case "StatefulSet":
			name := scalar(d, "metadata", "name")
			ns := scalar(d, "metadata", "namespace")
			replicas, _ := strconv.Atoi(scalar(d, "spec", "replicas"))
			tmpl := get(get(d, "spec"), "template")
			for i := 0; i < replicas; i++ {
				podName := fmt.Sprintf("%s-%d", name, i)
				node := nodes[i%len(nodes)]
				labels := deepCopy(get(get(tmpl, "metadata"), "labels"))
				set(labels, "statefulset.kubernetes.io/pod-name", str(podName))
				spec := deepCopy(get(tmpl, "spec"))
				hostNet := scalar(spec, "hostNetwork") == "true"
				// nodeName first for readability
				spec.Content = append([]*yaml.Node{str("nodeName"), str(node.name)}, spec.Content...)
				ip := node.ip
				if !hostNet {
					off, ok := houseOffset[name]
					if !ok {
						die("no IP offset for %s", name)
					}
					ip = fmt.Sprintf("10.244.%d.%d", i%len(nodes)+1, off)
				}
				pods[ns+"/"+podName] = &podInfo{ns: ns, name: podName, ip: ip, node: node.name, hostNetwork: hostNet}
				podObjs = append(podObjs, mapping(
					"apiVersion", str("v1"),
					"kind", str("Pod"),
					"metadata", mapping("name", str(podName), "namespace", str(ns), "labels", labels),
					"spec", spec,
					"status", mapping(
						"phase", str("Running"),
						"hostIP", str(node.ip),
						"hostIPs", seq(mapping("ip", str(node.ip))),
						"podIP", str(ip),
						"podIPs", seq(mapping("ip", str(ip))),
					),
				))
			}
		default:
			die("unexpected kind %s in manifests.yaml", scalar(d, "kind"))
		}
	}
	clusterObjs = append(clusterObjs, podObjs...)
}

// ---- cases ------------------------------------------------------------------------------

type poke struct {
	from, to, toPod, protocol string
	port                      int
	allowed                   bool
	skip                      string
}

type objRef struct{ apiVersion, kind, namespace, name string }

type step struct {
	name     string
	part     int
	upstream []string
	apply    []*yaml.Node
	delete   []objRef
	pokes    []poke
}

type tcase struct {
	name, file, description string
	features                []string
	manifests               []string
	steps                   []*step
	runs                    int
}

var fset = token.NewFileSet()
var consts = map[string]string{} // package-level string consts

func src(n ast.Node) string {
	var buf bytes.Buffer
	printer.Fprint(&buf, fset, n)
	return buf.String()
}

type interp struct {
	tc    *tcase
	state map[string]*yaml.Node
	order []string // keys in insertion order, for stable output

	podVars  map[string]string     // var -> "ns/name"
	objVars  map[string]string     // var -> state key
	copyVars map[string]*yaml.Node // mutate copies
	copySrc  map[string]string     // mutate var -> state key
	nodeVars map[string]*yaml.Node // rule values, newRule slices
	strVars  map[string]string

	cur        *step
	runName    string
	part       int
	dirty      []string // keys changed since last emitted apply
	deleted    []objRef
	pendingSrc []string
	cleanups   [][]ast.Stmt
	inCleanup  bool
	quiet      bool
}

func (in *interp) markDirty(key string) {
	for _, k := range in.dirty {
		if k == key {
			return
		}
	}
	in.dirty = append(in.dirty, key)
}

func (in *interp) mutation(stmt ast.Node) {
	// a mutation after pokes of the current step starts a new part of the same t.Run;
	// everything changed since the last poke is applied before the next poke
	if in.cur != nil && len(in.cur.pokes) > 0 {
		in.tc.steps = append(in.tc.steps, in.cur)
		in.part++
		in.cur = &step{name: in.runName, part: in.part}
	}
	in.note(stmt)
}

var (
	reTrailingComma = regexp.MustCompile(`,\s*\n\s*}`)
	reOpenBrace     = regexp.MustCompile(`{\s*\n\s*`)
	reCloseBrace    = regexp.MustCompile(`\s*\n\s*}`)
	reSpace         = regexp.MustCompile(`\s+`)
)

// oneLine prints Go source on one line.
func oneLine(s string) string {
	s = reTrailingComma.ReplaceAllString(s, "}")
	s = reCloseBrace.ReplaceAllString(s, "}")
	s = reOpenBrace.ReplaceAllString(s, "{")
	return reSpace.ReplaceAllString(s, " ")
}

func (in *interp) note(stmt ast.Node) {
	if in.quiet {
		return
	}
	s := oneLine(src(stmt))
	if in.inCleanup {
		s = "t.Cleanup (previous subtest): " + s
	}
	in.pendingSrc = append(in.pendingSrc, s)
}

// flushApply attaches everything changed since the last poke to the current step.
func (in *interp) flushApply() {
	for _, k := range in.dirty {
		in.cur.apply = append(in.cur.apply, deepCopy(in.state[k]))
	}
	in.cur.delete = append(in.cur.delete, in.deleted...)
	in.cur.upstream = append(in.cur.upstream, in.pendingSrc...)
	in.dirty, in.deleted, in.pendingSrc = nil, nil, nil
}

func (in *interp) strOf(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			die("not a string: %s", src(e))
		}
		s, _ := strconv.Unquote(x.Value)
		return s
	case *ast.Ident:
		if v, ok := in.strVars[x.Name]; ok {
			return v
		}
		if v, ok := consts[x.Name]; ok {
			return v
		}
	case *ast.SelectorExpr:
		if id, ok := x.X.(*ast.Ident); ok && id.Name == "api" {
			switch x.Sel.Name {
			case "ClusterNetworkPolicyRuleActionPass":
				return "Pass"
			case "ClusterNetworkPolicyRuleActionAccept":
				return "Accept"
			case "ClusterNetworkPolicyRuleActionDeny":
				return "Deny"
			}
		}
		if x.Sel.Name == "PodIP" {
			return pods[in.podOf(x)].ip
		}
	case *ast.BinaryExpr:
		if x.Op == token.ADD {
			return in.strOf(x.X) + in.strOf(x.Y)
		}
	}
	die("cannot evaluate string %s", src(e))
	return ""
}

// podOf resolves X.Status.PodIP to the pod of variable X.
func (in *interp) podOf(e ast.Expr) string {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "PodIP" {
		die("not a PodIP: %s", src(e))
	}
	st, ok := sel.X.(*ast.SelectorExpr)
	if !ok || st.Sel.Name != "Status" {
		die("not a Status.PodIP: %s", src(e))
	}
	id := st.X.(*ast.Ident)
	p, ok := in.podVars[id.Name]
	if !ok {
		die("unknown pod var %s", id.Name)
	}
	return p
}

func (in *interp) intOf(e ast.Expr) int {
	switch x := e.(type) {
	case *ast.BasicLit:
		i, err := strconv.Atoi(x.Value)
		if err != nil {
			die("int %s", x.Value)
		}
		return i
	case *ast.CallExpr:
		if id, ok := x.Fun.(*ast.Ident); ok && id.Name == "int32" {
			return in.intOf(x.Args[0])
		}
	case *ast.IndexExpr:
		if src(x.X) == "s.HostNetworkPorts" {
			return hostPorts[in.intOf(x.Index)]
		}
	}
	die("cannot evaluate int %s", src(e))
	return 0
}

func jsonName(goName string) string {
	return strings.ToLower(goName[:1]) + goName[1:]
}

// resolve returns the yaml node an expression designates (no copy).
func (in *interp) resolve(e ast.Expr) *yaml.Node {
	switch x := e.(type) {
	case *ast.Ident:
		if n, ok := in.copyVars[x.Name]; ok {
			return n
		}
		if n, ok := in.nodeVars[x.Name]; ok {
			return n
		}
	case *ast.SelectorExpr:
		n := get(in.resolve(x.X), jsonName(x.Sel.Name))
		if n == nil {
			die("no field %s in %s", x.Sel.Name, src(x.X))
		}
		return n
	case *ast.IndexExpr:
		s := in.resolve(x.X)
		i := in.intOf(x.Index)
		if s.Kind != yaml.SequenceNode || i >= len(s.Content) {
			die("bad index %s", src(e))
		}
		return s.Content[i]
	case *ast.CallExpr:
		if sel, ok := x.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "DeepCopy" && len(x.Args) == 0 {
			return deepCopy(in.resolve(sel.X))
		}
	}
	die("cannot resolve %s", src(e))
	return nil
}

// value builds a fresh yaml node for a Go rvalue (value semantics: copies).
func (in *interp) value(e ast.Expr) *yaml.Node {
	switch x := e.(type) {
	case *ast.CompositeLit:
		if _, ok := x.Type.(*ast.ArrayType); ok || x.Type == nil && len(x.Elts) > 0 && !isKV(x.Elts[0]) {
			s := seq()
			for _, el := range x.Elts {
				s.Content = append(s.Content, in.value(el))
			}
			return s
		}
		m := mapping()
		for _, el := range x.Elts {
			kv := el.(*ast.KeyValueExpr)
			set(m, jsonName(kv.Key.(*ast.Ident).Name), in.value(kv.Value))
		}
		return m
	case *ast.CallExpr:
		if src(x.Fun) == "api.CIDR" {
			return str(in.strOf(x.Args[0]))
		}
		if id, ok := x.Fun.(*ast.Ident); ok && id.Name == "append" && x.Ellipsis.IsValid() {
			out := deepCopy(in.value(x.Args[0]))
			out.Content = append(out.Content, deepCopy(in.resolve(x.Args[1])).Content...)
			return out
		}
	case *ast.BasicLit:
		if x.Kind == token.INT {
			return num(in.intOf(x))
		}
		return str(in.strOf(x))
	}
	if s, ok := tryStr(in, e); ok {
		return str(s)
	}
	return deepCopy(in.resolve(e))
}

func isKV(e ast.Expr) bool { _, ok := e.(*ast.KeyValueExpr); return ok }

func tryStr(in *interp, e ast.Expr) (s string, ok bool) {
	switch x := e.(type) {
	case *ast.Ident:
		if _, ok := in.copyVars[x.Name]; ok {
			return "", false
		}
		if _, ok := in.nodeVars[x.Name]; ok {
			return "", false
		}
		if _, ok := in.strVars[x.Name]; ok {
			return in.strOf(e), true
		}
		if _, ok := consts[x.Name]; ok {
			return in.strOf(e), true
		}
	case *ast.SelectorExpr:
		if id, ok := x.X.(*ast.Ident); ok && id.Name == "api" {
			return in.strOf(e), true
		}
	case *ast.BinaryExpr:
		return in.strOf(e), true
	}
	return "", false
}

func (in *interp) assignPath(lhs ast.Expr, v *yaml.Node) {
	switch x := lhs.(type) {
	case *ast.IndexExpr:
		s := in.resolve(x.X)
		i := in.intOf(x.Index)
		if s.Kind != yaml.SequenceNode || i >= len(s.Content) {
			die("bad index %s", src(lhs))
		}
		s.Content[i] = v
	case *ast.SelectorExpr:
		set(in.resolve(x.X), jsonName(x.Sel.Name), v)
	default:
		die("cannot assign to %s", src(lhs))
	}
}

func callName(c *ast.CallExpr) string { return src(c.Fun) }

func (in *interp) podArg(nsE, nameE ast.Expr) string {
	key := in.strOf(nsE) + "/" + in.strOf(nameE)
	if pods[key] == nil {
		die("unknown pod %s", key)
	}
	return key
}

func (in *interp) podKey(p string) string {
	ns, name, _ := strings.Cut(p, "/")
	return "Pod/" + ns + "/" + name
}

func (in *interp) stmts(list []ast.Stmt) {
	for _, s := range list {
		in.stmt(s)
	}
}

func (in *interp) stmt(s ast.Stmt) {
	switch x := s.(type) {
	case *ast.ExprStmt:
		in.call(x, x.X.(*ast.CallExpr))
	case *ast.AssignStmt:
		in.assign(x)
	case *ast.DeclStmt:
		gd := x.Decl.(*ast.GenDecl)
		for _, sp := range gd.Specs {
			vs := sp.(*ast.ValueSpec)
			if src(vs.Type) != "string" || len(vs.Values) != 0 {
				die("unsupported decl %s", src(x))
			}
			for _, n := range vs.Names {
				in.strVars[n.Name] = ""
			}
		}
		in.note(x)
	case *ast.IfStmt:
		// only `if net.IsIPv4String(<pod>.Status.PodIP) {...} else {...}`
		c, ok := x.Cond.(*ast.CallExpr)
		if !ok || callName(c) != "net.IsIPv4String" {
			die("unsupported if %s", src(x.Cond))
		}
		in.note(x)
		in.quiet = true
		if !strings.Contains(in.strOf(c.Args[0]), ":") {
			in.stmts(x.Body.List)
		} else {
			in.stmts(x.Else.(*ast.BlockStmt).List)
		}
		in.quiet = false
	case *ast.DeferStmt:
		if src(x.Call) != "cancel()" {
			die("unsupported defer %s", src(x))
		}
	default:
		die("unsupported statement %s", src(s))
	}
}

func (in *interp) call(stmt ast.Stmt, c *ast.CallExpr) {
	switch name := callName(c); name {
	case "t.Run":
		if in.runName != "" {
			die("nested t.Run")
		}
		in.tc.runs++
		in.runName = in.strOf(c.Args[0])
		in.part = 1
		in.cur = &step{name: in.runName, part: 1}
		in.stmts(c.Args[1].(*ast.FuncLit).Body.List)
		if len(in.dirty) > 0 || len(in.deleted) > 0 {
			// changes after the last poke of this subtest (none upstream): keep them as a
			// step without pokes
			if len(in.cur.pokes) > 0 {
				in.tc.steps = append(in.tc.steps, in.cur)
				in.part++
				in.cur = &step{name: in.runName, part: in.part}
			}
			in.flushApply()
		}
		in.tc.steps = append(in.tc.steps, in.cur)
		in.cur = nil
		// t.Cleanup functions run when the subtest ends (LIFO); their changes are applied
		// before the next poke (the next subtest's first step), or dropped at the test's end
		in.inCleanup = true
		for i := len(in.cleanups) - 1; i >= 0; i-- {
			in.stmts(in.cleanups[i])
		}
		in.inCleanup = false
		in.cleanups = nil
		in.runName = ""
	case "t.Cleanup":
		in.cleanups = append(in.cleanups, c.Args[0].(*ast.FuncLit).Body.List)
	case "kubernetes.PokeServer":
		if in.cur == nil {
			die("poke outside t.Run")
		}
		in.flushApply()
		from := in.podArg(c.Args[3], c.Args[4])
		target := in.podOf(c.Args[6])
		p := poke{
			from:     from,
			to:       target,
			protocol: strings.ToUpper(in.strOf(c.Args[5])),
			port:     in.intOf(c.Args[7]),
			allowed:  src(c.Args[9]) == "true",
		}
		if src(c.Args[9]) != "true" && src(c.Args[9]) != "false" {
			die("bad expectation %s", src(c.Args[9]))
		}
		if pods[target].hostNetwork {
			// a host-network pod's IP is its node's IP: the traffic goes to a node, not a pod
			p.to = pods[target].ip
			p.toPod = target
		}
		in.cur.pokes = append(in.cur.pokes, p)
	case "kubernetes.PatchClusterNetworkPolicy", "kubernetes.PatchNamespace":
		from := c.Args[2].(*ast.Ident).Name
		to := c.Args[3].(*ast.Ident).Name
		key := in.objVars[from]
		if key == "" || in.copySrc[to] != key {
			die("patch %s: unknown objects", src(c))
		}
		obj := deepCopy(in.copyVars[to])
		if name == "kubernetes.PatchNamespace" {
			// merge patch from the old labels to the new ones; the API server then re-adds
			// kubernetes.io/metadata.name (it always sets it to the namespace name)
			set(get(obj, "metadata"), "labels", deepCopy(get(get(obj, "metadata"), "labels")))
			set(get(get(obj, "metadata"), "labels"), "kubernetes.io/metadata.name", str(scalar(obj, "metadata", "name")))
		}
		in.mutation(stmt)
		in.state[key] = obj
		in.markDirty(key)
	case "mutateNamespace.SetLabels":
		n := in.copyVars["mutateNamespace"]
		lit := c.Args[0].(*ast.CompositeLit)
		labels := mapping()
		for _, el := range lit.Elts {
			kv := el.(*ast.KeyValueExpr)
			set(labels, in.strOf(kv.Key), str(in.strOf(kv.Value)))
		}
		set(get(n, "metadata"), "labels", labels)
		in.note(stmt)
	case "kubernetes.SetPodLabel", "kubernetes.RemovePodLabel":
		p := in.podArg(c.Args[2], c.Args[3])
		key := in.podKey(p)
		obj := deepCopy(in.state[key])
		labels := get(get(obj, "metadata"), "labels")
		label := in.strOf(c.Args[4])
		if name == "kubernetes.SetPodLabel" {
			set(labels, label, str(in.strOf(c.Args[5])))
		} else if !del(labels, label) {
			return // removing an absent label is a no-op
		}
		in.mutation(stmt)
		in.state[key] = obj
		in.markDirty(key)
	case "require.NoErrorf":
	default:
		die("unsupported call %s", src(c))
	}
}

func (in *interp) assign(a *ast.AssignStmt) {
	if len(a.Lhs) == 2 && strings.HasPrefix(src(a.Rhs[0]), "context.WithTimeout(") {
		return
	}
	if len(a.Lhs) != 1 || len(a.Rhs) != 1 {
		die("unsupported assignment %s", src(a))
	}
	lhs, rhs := a.Lhs[0], a.Rhs[0]
	id, isIdent := lhs.(*ast.Ident)
	if c, ok := rhs.(*ast.CallExpr); ok && isIdent {
		switch callName(c) {
		case "kubernetes.GetPod":
			in.podVars[id.Name] = in.podArg(c.Args[2], c.Args[3])
			return
		case "kubernetes.GetClusterNetworkPolicy":
			key := "ClusterNetworkPolicy//" + in.strOf(c.Args[2])
			if in.state[key] == nil {
				die("no such object %s", key)
			}
			in.objVars[id.Name] = key
			in.note(a)
			return
		case "kubernetes.GetNamespace":
			key := "Namespace//" + in.strOf(c.Args[2])
			if in.state[key] == nil {
				die("no such object %s", key)
			}
			in.objVars[id.Name] = key
			in.note(a)
			return
		case "s.Client.Get":
			// s.Client.Get(ctx, client.ObjectKey{Namespace: .., Name: ..}, np)
			lit := c.Args[1].(*ast.CompositeLit)
			var ns, nm string
			for _, el := range lit.Elts {
				kv := el.(*ast.KeyValueExpr)
				switch kv.Key.(*ast.Ident).Name {
				case "Namespace":
					ns = in.strOf(kv.Value)
				case "Name":
					nm = in.strOf(kv.Value)
				}
			}
			v := c.Args[2].(*ast.Ident).Name
			kind := in.strVars["type:"+v]
			key := kind + "/" + ns + "/" + nm
			if in.state[key] == nil {
				die("no such object %s", key)
			}
			in.objVars[v] = key
			in.note(a)
			return
		case "s.Client.Delete":
			v := c.Args[1].(*ast.Ident).Name
			key := in.objVars[v]
			obj := in.state[key]
			if obj == nil {
				die("delete of unknown %s", v)
			}
			in.mutation(a)
			delete(in.state, key)
			in.deleted = append(in.deleted, objRef{scalar(obj, "apiVersion"), scalar(obj, "kind"), scalar(obj, "metadata", "namespace"), scalar(obj, "metadata", "name")})
			return
		}
		if sel, ok := c.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "DeepCopy" {
			if srcID, ok := sel.X.(*ast.Ident); ok {
				if key, ok := in.objVars[srcID.Name]; ok {
					in.copyVars[id.Name] = deepCopy(in.state[key])
					in.copySrc[id.Name] = key
					in.note(a)
					return
				}
			}
		}
	}
	if u, ok := rhs.(*ast.UnaryExpr); ok && isIdent && u.Op == token.AND {
		if cl, ok := u.X.(*ast.CompositeLit); ok && src(cl.Type) == "networkingv1.NetworkPolicy" {
			in.strVars["type:"+id.Name] = "NetworkPolicy"
			in.note(a)
			return
		}
	}
	if isIdent {
		if _, isStrVar := in.strVars[id.Name]; isStrVar && a.Tok == token.ASSIGN {
			in.strVars[id.Name] = in.strOf(rhs)
			in.note(a)
			return
		}
		if bl, ok := rhs.(*ast.BasicLit); ok && bl.Kind == token.STRING {
			in.strVars[id.Name] = in.strOf(bl)
			in.note(a)
			return
		}
		if a.Tok == token.DEFINE || in.nodeVars[id.Name] != nil {
			// rule value or rule slice
			in.nodeVars[id.Name] = in.value(rhs)
			in.note(a)
			return
		}
		if in.copyVars[id.Name] != nil {
			in.copyVars[id.Name] = in.value(rhs)
			in.note(a)
			return
		}
		die("unsupported assignment %s", src(a))
	}
	// assignment into a mutate copy or a rule value
	in.assignPath(lhs, in.value(rhs))
	in.note(a)
}

// ---- parse the tests --------------------------------------------------------------------

type testDef struct {
	tc   *tcase
	body *ast.BlockStmt
}

func parseTests() []*tcase {
	files, _ := filepath.Glob(filepath.Join(upstream, "tests", "*.go"))
	sort.Strings(files) // Go runs package init() functions in file name order
	parsed := map[string]*ast.File{}
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, parser.ParseComments)
		if err != nil {
			die("%v", err)
		}
		parsed[f] = af
		for _, d := range af.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, sp := range gd.Specs {
				vs := sp.(*ast.ValueSpec)
				for i, n := range vs.Names {
					s, _ := strconv.Unquote(vs.Values[i].(*ast.BasicLit).Value)
					consts[n.Name] = s
				}
			}
		}
	}
	defs := map[string]*testDef{}
	var order []string
	var vars int
	for _, f := range files {
		af := parsed[f]
		for _, d := range af.Decls {
			switch d := d.(type) {
			case *ast.GenDecl:
				if d.Tok != token.VAR {
					continue
				}
				for _, sp := range d.Specs {
					vs := sp.(*ast.ValueSpec)
					if len(vs.Values) != 1 {
						continue
					}
					cl, ok := vs.Values[0].(*ast.CompositeLit)
					if !ok || src(cl.Type) != "suite.ConformanceTest" {
						continue
					}
					vars++
					tc := &tcase{file: "conformance/tests/" + filepath.Base(f)}
					td := &testDef{tc: tc}
					for _, el := range cl.Elts {
						kv := el.(*ast.KeyValueExpr)
						switch k := kv.Key.(*ast.Ident).Name; k {
						case "ShortName":
							tc.name, _ = strconv.Unquote(kv.Value.(*ast.BasicLit).Value)
						case "Description":
							tc.description, _ = strconv.Unquote(kv.Value.(*ast.BasicLit).Value)
						case "Features":
							for _, fe := range kv.Value.(*ast.CompositeLit).Elts {
								tc.features = append(tc.features, fe.(*ast.SelectorExpr).Sel.Name)
							}
						case "Manifests":
							for _, m := range kv.Value.(*ast.CompositeLit).Elts {
								s, _ := strconv.Unquote(m.(*ast.BasicLit).Value)
								tc.manifests = append(tc.manifests, s)
							}
						case "Test":
							td.body = kv.Value.(*ast.FuncLit).Body
						default:
							die("unsupported ConformanceTest field %s", k)
						}
					}
					if vs.Names[0].Name != tc.name {
						die("var %s has ShortName %s", vs.Names[0].Name, tc.name)
					}
					defs[tc.name] = td
				}
			case *ast.FuncDecl:
				if d.Name.Name != "init" {
					continue
				}
				for _, s := range d.Body.List {
					as := s.(*ast.AssignStmt)
					call := as.Rhs[0].(*ast.CallExpr)
					for _, arg := range call.Args[1:] {
						order = append(order, arg.(*ast.Ident).Name)
					}
				}
			}
		}
	}
	if len(order) != vars || len(defs) != vars {
		die("registered %d tests, %d ConformanceTest vars", len(order), vars)
	}
	var out []*tcase
	for _, name := range order {
		td := defs[name]
		if td == nil {
			die("init registers unknown %s", name)
		}
		runTest(td)
		out = append(out, td.tc)
	}
	return out
}

func runTest(td *testDef) {
	in := &interp{
		tc:       td.tc,
		state:    map[string]*yaml.Node{},
		podVars:  map[string]string{},
		objVars:  map[string]string{},
		copyVars: map[string]*yaml.Node{},
		copySrc:  map[string]string{},
		nodeVars: map[string]*yaml.Node{},
		strVars:  map[string]string{},
	}
	for _, o := range clusterObjs {
		in.state[objKey(o)] = deepCopy(o)
	}
	for _, m := range td.tc.manifests {
		objs, ok := manifestObjs[m]
		if !ok {
			die("%s: unknown manifest %s", td.tc.name, m)
		}
		for _, o := range objs {
			in.state[objKey(o)] = deepCopy(o)
		}
	}
	in.stmts(td.body.List)
	if in.cur != nil || in.runName != "" {
		die("%s: unterminated step", td.tc.name)
	}
	if len(in.dirty) > 0 {
		fmt.Printf("  note: %s ends with unapplied changes (t.Cleanup of the last subtest): %v\n", td.tc.name, in.dirty)
	}
}

// ---- output -----------------------------------------------------------------------------

var experimental = map[string]bool{
	"SupportClusterNetworkPolicyNamedPorts":      true,
	"SupportClusterNetworkPolicyEgressNodePeers": true,
}

func caseNode(tc *tcase) *yaml.Node {
	feats := seq()
	channel := "standard"
	for _, f := range tc.features {
		feats.Content = append(feats.Content, str(f))
		if experimental[f] {
			channel = "experimental"
		}
	}
	feats.Style = yaml.FlowStyle
	mans := seq()
	for _, m := range tc.manifests {
		mans.Content = append(mans.Content, str("policies/"+strings.TrimPrefix(m, "base/")))
	}
	mans.Style = yaml.FlowStyle
	steps := seq()
	for _, s := range tc.steps {
		sn := mapping("name", str(s.name))
		if s.part > 1 || countParts(tc, s.name) > 1 {
			set(sn, "part", num(s.part))
		}
		if len(s.upstream) > 0 {
			up := seq()
			for _, u := range s.upstream {
				up.Content = append(up.Content, str(u))
			}
			set(sn, "upstream", up)
		}
		if len(s.apply) > 0 {
			set(sn, "apply", seq(s.apply...))
		}
		if len(s.delete) > 0 {
			d := seq()
			for _, r := range s.delete {
				ref := mapping("apiVersion", str(r.apiVersion), "kind", str(r.kind))
				if r.namespace != "" {
					set(ref, "namespace", str(r.namespace))
				}
				set(ref, "name", str(r.name))
				ref.Style = yaml.FlowStyle
				d.Content = append(d.Content, ref)
			}
			set(sn, "delete", d)
		}
		ps := seq()
		for _, p := range s.pokes {
			pn := mapping("from", str(p.from), "to", str(p.to))
			if p.toPod != "" {
				set(pn, "toPod", str(p.toPod))
			}
			set(pn, "protocol", str(p.protocol))
			set(pn, "port", num(p.port))
			set(pn, "allowed", boolean(p.allowed))
			if p.skip != "" {
				set(pn, "skip", str(p.skip))
			}
			pn.Style = yaml.FlowStyle
			ps.Content = append(ps.Content, pn)
		}
		set(sn, "pokes", ps)
		steps.Content = append(steps.Content, sn)
	}
	return mapping(
		"test", str(tc.name),
		"source", str(tc.file),
		"description", str(tc.description),
		"features", feats,
		"channel", str(channel),
		"manifests", mans,
		"steps", steps,
	)
}

func countParts(tc *tcase, name string) int {
	n := 0
	for _, s := range tc.steps {
		if s.name == name {
			n++
		}
	}
	return n
}

func main() {
	if upstream == "" || outDir == "" {
		die("set UPSTREAM and OUT")
	}
	copyPolicies()
	buildCluster()
	cases := parseTests()

	clusterHeader := "# Generated from sigs.k8s.io/network-policy-api@v0.3.0 conformance/base/manifests.yaml;\n" +
		"# see README.md for how StatefulSets were expanded and which IPs and nodes were assigned.\n"
	if err := os.WriteFile(filepath.Join(outDir, "cluster.yaml"), encodeDocs(clusterObjs, clusterHeader), 0o644); err != nil {
		die("%v", err)
	}

	list := seq()
	var nSteps, nPokes, nRuns, nApply, nDelete int
	for _, tc := range cases {
		list.Content = append(list.Content, caseNode(tc))
		nSteps += len(tc.steps)
		nRuns += tc.runs
		for _, s := range tc.steps {
			nPokes += len(s.pokes)
			nApply += len(s.apply)
			nDelete += len(s.delete)
		}
	}
	casesHeader := "# Ported from sigs.k8s.io/network-policy-api@v0.3.0 conformance/tests/*.go (Apache-2.0).\n" +
		"# One entry per ConformanceTest, in upstream run order. Format: see README.md.\n"
	if err := os.WriteFile(filepath.Join(outDir, "cases.yaml"), encodeDocs([]*yaml.Node{list}, casesHeader), 0o644); err != nil {
		die("%v", err)
	}
	fmt.Printf("tests=%d t.Run=%d steps=%d pokes=%d applies=%d deletes=%d rendered=%v\n", len(cases), nRuns, nSteps, nPokes, nApply, nDelete, rendered)
	for _, tc := range cases {
		np := 0
		for _, s := range tc.steps {
			np += len(s.pokes)
		}
		fmt.Printf("  %-40s runs=%d steps=%d pokes=%d\n", tc.name, tc.runs, len(tc.steps), np)
	}
	var keys []string
	for k := range pods {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := pods[k]
		fmt.Printf("  %-60s %-15s %s hostNetwork=%v\n", k, p.ip, p.node, p.hostNetwork)
	}
}
