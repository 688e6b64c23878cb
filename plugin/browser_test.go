package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netpol/kubectl-netpol/source/sourcetest"
)

// The -o html pages are looked at in a real browser: Debian's headless Chromium loads each
// from a file URL, in a network namespace of its own with nothing but loopback (so the page
// cannot reach anything, and neither can the browser), and the test reads the document after
// its script ran, the browser's console, and a screenshot.

// pageView is a page as the browser showed it.
type pageView struct {
	dom     string   // the document after its script ran, entities decoded, for searching
	raw     string   // the same, as dumped
	console []string // what the page wrote to the console: script errors, blocked loads
	layout  map[string][4]int
	shot    image.Image
}

// browserPath finds Chromium. make test requires it (hack/ci-deps.sh installs it); a plain go
// test without it skips.
func browserPath(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("the browser tier is not short")
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("NETPOL_BROWSER_TESTS") == "required" {
		t.Fatal("no Chromium on this machine; 'make test-deps' (hack/ci-deps.sh, which make test runs first) installs Debian's chromium package")
	}
	t.Skip("no Chromium on this machine; 'make test-deps' (hack/ci-deps.sh, which make test runs first) installs Debian's chromium package")
	return ""
}

var consoleLine = regexp.MustCompile(`:CONSOLE[^\]]*\] (.*)`)

// openPage loads page (with a #fragment, if any) and returns what the browser made of it,
// with a screenshot when shot is set.
func openPage(t *testing.T, page []byte, fragment string, shot bool) pageView {
	t.Helper()
	browser := browserPath(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "page.html")
	if err := os.WriteFile(file, page, 0o644); err != nil {
		t.Fatal(err)
	}
	launch := func(extra ...string) (stdout, stderr []byte) {
		args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
			"--disable-dev-shm-usage", "--user-data-dir=" + filepath.Join(dir, "profile"), "--force-device-scale-factor=1",
			"--hide-scrollbars", "--window-size=1400,1000", "--virtual-time-budget=5000",
			// Belt and braces, were the namespace below not there: no proxy, no name resolves.
			"--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
			"--enable-logging=stderr", "--v=0"}, extra...)
		args = append(args, "file://"+file+fragment)
		name := browser
		if unshare, err := exec.LookPath("unshare"); err == nil && os.Geteuid() == 0 {
			// A network namespace with only loopback: the browser sends nothing anywhere.
			name, args = unshare, append([]string{"--net", browser}, args...)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium: %v\n%s", err, errOut.String())
		}
		return out.Bytes(), errOut.Bytes()
	}
	dom, log := launch("--dump-dom")
	v := pageView{raw: string(dom), dom: html.UnescapeString(string(dom))}
	for _, m := range consoleLine.FindAllStringSubmatch(string(log), -1) {
		v.console = append(v.console, m[1])
	}
	if m := regexp.MustCompile(`data-layout="([^"]*)"`).FindStringSubmatch(v.raw); m != nil {
		if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &v.layout); err != nil {
			t.Fatalf("data-layout: %v", err)
		}
	}
	if shot {
		png := filepath.Join(dir, "shot.png")
		launch("--screenshot=" + png)
		v.shot = readPNG(t, png)
	}
	return v
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// ran checks that the page's script ran to its end, with nothing on the console (no error, no
// load that the page's Content-Security-Policy refused).
func (v pageView) ran(t *testing.T) {
	t.Helper()
	if !strings.Contains(v.raw, `data-netpol="ready"`) {
		t.Errorf("the page's script did not finish (no data-netpol=\"ready\")")
	}
	if m := regexp.MustCompile(`data-errors="([^"]*)"`).FindStringSubmatch(v.raw); m != nil {
		t.Errorf("script errors: %s", html.UnescapeString(m[1]))
	}
	if len(v.console) > 0 {
		t.Errorf("the console says:\n%s", strings.Join(v.console, "\n"))
	}
}

// count counts the elements whose opening tag matches the pattern.
func (v pageView) count(pattern string) int {
	return len(regexp.MustCompile(pattern).FindAllStringIndex(v.raw, -1))
}

// pixels counts, in the screenshot's region (x, y, w, h in CSS pixels), the pixels within a
// small distance of the colour (antialiasing blends the edges of lines and boxes).
func (v pageView) pixels(region [4]int, r, g, b uint8) int {
	n := 0
	bounds := v.shot.Bounds()
	for y := max(region[1], bounds.Min.Y); y < min(region[1]+region[3], bounds.Max.Y); y++ {
		for x := max(region[0], bounds.Min.X); x < min(region[0]+region[2], bounds.Max.X); x++ {
			pr, pg, pb, _ := v.shot.At(x, y).RGBA()
			if near(pr>>8, r) && near(pg>>8, g) && near(pb>>8, b) {
				n++
			}
		}
	}
	return n
}

func near(got uint32, want uint8) bool {
	d := int(got) - int(want)
	return d > -24 && d < 24
}

// graded is what `lab check -o json` says of a file: the independent account the page is
// checked against.
func graded(t *testing.T, args ...string) checkReport {
	t.Helper()
	r := run(t, append(args, "-o", "json")...)
	var rep checkReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("lab check -o json: %v\n%s", err, r.stderr)
	}
	return rep
}

func TestHTMLLabCheckInBrowser(t *testing.T) {
	browserPath(t)
	attempt := filepath.Join("testdata", "three-tier-attempt.yaml")
	rep := graded(t, "lab", "check", "three-tier", "-f", attempt)
	r := run(t, "lab", "check", "three-tier", "-f", attempt, "-o", "html")
	if r.code != 1 {
		t.Fatalf("a failing attempt exits 1 with -o html too, got %d: %s", r.code, r.stderr)
	}
	v := openPage(t, []byte(r.stdout), "", true)
	v.ran(t)

	// The tiers, the pods the goal names, the wrong rows with their hints.
	for _, ns := range []string{"web", "was", "db", "kube-system"} {
		if !strings.Contains(v.dom, `<g class="box"><rect`) || !regexp.MustCompile(`dy="20">`+ns+`</text>`).MatchString(v.raw) {
			t.Errorf("no box for namespace %s", ns)
		}
	}
	var wrong, missing, unwanted int
	for _, g := range rep.Static {
		for _, end := range []string{g.From, g.To} {
			if strings.Contains(end, "/") && !strings.Contains(v.dom, "<title>"+end+"</title>") {
				t.Errorf("no node for %s", end)
			}
		}
		if g.Correct {
			continue
		}
		wrong++
		if g.Allowed {
			missing++
		} else {
			unwanted++
		}
		if len(g.Causes) == 0 || !strings.Contains(v.dom, g.Causes[0].Message) {
			t.Errorf("the hint of the wrong row %s -> %s is not on the page", g.From, g.To)
		}
	}
	if wrong == 0 || missing == 0 || unwanted == 0 {
		t.Fatalf("the attempt should get rows wrong both ways; got %d wrong (%d missing, %d unwanted)", wrong, missing, unwanted)
	}
	if got := v.count(`<tr class="row wrong"`); got != wrong {
		t.Errorf("%d rows marked wrong, lab check -o json has %d", got, wrong)
	}
	if got := v.count(`<g class="edge missing"`); got != missing {
		t.Errorf("%d missing arrows, want one per row the goal wants allowed and the policies block (%d)", got, missing)
	}
	if got := v.count(`<g class="edge unwanted"`); got != unwanted {
		t.Errorf("%d unwanted arrows, want %d", got, unwanted)
	}

	// The screenshot: the graph shows its nodes and the wrong rows' arrows, the goal table its
	// wrong rows.
	graph, rows := v.layout["graph"], v.layout["rows"]
	if graph[2] < 300 || graph[3] < 100 || rows[2] < 300 {
		t.Fatalf("graph at %v and goal table at %v: not laid out", graph, rows)
	}
	for _, c := range []struct {
		what    string
		region  [4]int
		r, g, b uint8
		least   int
	}{
		{"node fill", graph, 0xdd, 0xf4, 0xff, 2000},
		{"missing arrows (orange)", graph, 0xbc, 0x4c, 0x00, 20},
		{"unwanted arrows (red)", graph, 0xcf, 0x22, 0x2e, 20},
		{"allowed arrows (green)", graph, 0x1a, 0x7f, 0x37, 20},
		{"wrong rows (pink)", rows, 0xff, 0xeb, 0xe9, 5000},
	} {
		if got := v.pixels(c.region, c.r, c.g, c.b); got < c.least {
			t.Errorf("%s: %d pixels in the screenshot, want at least %d", c.what, got, c.least)
		}
	}
	if path := os.Getenv("NETPOL_SCREENSHOT"); path != "" {
		// docs/lab-check-three-tier.png is made this way: NETPOL_SCREENSHOT=$PWD/docs/… go test -run TestHTMLLabCheckInBrowser ./plugin/
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, v.shot); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}

	// A link to one wrong row, on its port, with the blocked arrows shown.
	first := regexp.MustCompile(`<tr class="row wrong" data-port="([^"]*)" data-detail="(\d+)">`).FindStringSubmatch(v.raw)
	if first == nil {
		t.Fatal("no wrong row with details")
	}
	var firstWrong *checkRow
	for _, g := range rep.Static {
		if !g.Correct {
			firstWrong = &checkRow{from: g.From, to: g.To, port: first[1]}
			break
		}
	}
	linked := openPage(t, []byte(r.stdout), "#port="+first[1]+"&blocked&detail="+first[2], false)
	linked.ran(t)
	body := linked.dom[strings.Index(linked.dom, `id="detail-body"`):]
	if want := firstWrong.from + " → " + firstWrong.to + " on " + firstWrong.port; !strings.Contains(body, want) {
		t.Errorf("#detail=%s: the details panel does not show %q", first[2], want)
	}
	if !strings.Contains(linked.raw, `<body class="show-blocked">`) {
		t.Errorf("#blocked: the blocked arrows are not shown")
	}
	edges := regexp.MustCompile(`<g class="edge ([a-z]+)( off)?" data-ports="([^"]*)"`).FindAllStringSubmatch(linked.raw, -1)
	for _, e := range edges {
		carries := strings.Contains(" "+e[3]+" ", " "+first[1]+" ")
		if carries == (e[2] != "") {
			t.Errorf("#port=%s: an arrow for %q has off=%v", first[1], e[3], e[2] != "")
		}
	}
}

type checkRow struct{ from, to, port string }

func TestHTMLLabCheckPassInBrowser(t *testing.T) {
	browserPath(t)
	solution := filepath.Join(t.TempDir(), "solution.yaml")
	s := run(t, "lab", "show", "three-tier", "--solution")
	if err := os.WriteFile(solution, []byte(s.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, "lab", "check", "three-tier", "-f", solution, "-o", "html", "--lang", "ko")
	if r.code != 0 {
		t.Fatalf("the solution passes: exit %d: %s", r.code, r.stderr)
	}
	v := openPage(t, []byte(r.stdout), "", false)
	v.ran(t)
	if !strings.Contains(v.raw, `<html lang="ko"`) || !strings.Contains(v.raw, "verdict-PASS") {
		t.Errorf("a Korean PASS page, got:\n%.400s", v.raw)
	}
	// The page's own words are Korean too: headings, controls, legend, footer.
	for _, want := range []string{"<h2>그래프</h2>", "<h2>진리표</h2>", "<h2>자세히</h2>", "모든 포트", "차단된 연결도 보기", "kubectl-netpol이 만든 페이지입니다"} {
		if !strings.Contains(v.raw, want) {
			t.Errorf("the Korean page lacks %q", want)
		}
	}
	for _, english := range []string{"Truth table", "show blocked connections", "Goal rows right", "This page loads nothing"} {
		if strings.Contains(v.raw, english) {
			t.Errorf("the Korean page still says %q", english)
		}
	}
	if n := v.count(`<tr class="row wrong"`) + v.count(`class="edge (missing|unwanted)"`); n != 0 {
		t.Errorf("a passing attempt has %d wrong marks", n)
	}
	rep := graded(t, "lab", "check", "three-tier", "-f", solution, "--lang", "ko")
	if !strings.Contains(v.dom, "<td>"+rep.Static[0].From+"</td>") || !strings.Contains(v.dom, "<td>"+verdictIn(rep.Lang, true)+"</td>") {
		t.Errorf("the goal rows are not on the page in Korean")
	}
}

func TestHTMLExplainInBrowser(t *testing.T) {
	browserPath(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.yaml"), []byte(diffDocs(diffBase()...)), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, "explain", "-f", dir, "-A", "-o", "html")
	if r.code != 0 {
		t.Fatalf("explain -o html: %d %s", r.code, r.stderr)
	}
	v := openPage(t, []byte(r.stdout), "", true)
	v.ran(t)
	// Against the table explain prints: every '.' is an allowed arrow's port, every X a blocked one's.
	table := run(t, "explain", "-f", dir, "-A")
	for _, port := range []string{"80/TCP", "5432/TCP"} {
		tt := truthTable(t, table.stdout, port)
		allowed, blocked := 0, 0
		for from, row := range tt {
			for to, cell := range row {
				if from == to && !strings.Contains(from, "pods)") {
					continue // a pod to itself: loopback, no arrow
				}
				if cell == "." {
					allowed++
				} else {
					blocked++
				}
			}
		}
		if got := countEdges(v.raw, "allowed", port); got != allowed {
			t.Errorf("%s: %d allowed arrows, the table has %d allowed cells", port, got, allowed)
		}
		if got := countEdges(v.raw, "blocked", port); got != blocked {
			t.Errorf("%s: %d blocked arrows, the table has %d blocked cells", port, got, blocked)
		}
		if got := v.count(`<table class="matrix" data-port="` + port + `"`); got != 1 {
			t.Errorf("%s: %d truth tables", port, got)
		}
	}
	if v.pixels(v.layout["matrix"], 0xda, 0xfb, 0xe1) < 100 || v.pixels(v.layout["graph"], 0xdd, 0xf4, 0xff) < 2000 {
		t.Errorf("the screenshot shows no truth table or no graph (layout %v)", v.layout)
	}
}

// countEdges counts the arrows of a kind that carry a port.
func countEdges(page, kind, port string) int {
	n := 0
	for _, m := range regexp.MustCompile(`<g class="edge `+kind+`" data-ports="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if strings.Contains(" "+m[1]+" ", " "+port+" ") {
			n++
		}
	}
	return n
}

// A cluster of 200 pods: the page stays usable (a graph of at most 40 nodes, or of the
// namespaces) and names what it left out.
func TestHTMLExplainAtScaleInBrowser(t *testing.T) {
	browserPath(t)
	dir := sourcetest.WriteCluster(t, 10)
	r := run(t, "explain", "-f", dir, "-A", "--port", "8080/TCP", "-o", "html")
	if r.code != 0 {
		t.Fatalf("explain -o html: %d %s", r.code, r.stderr)
	}
	if len(r.stdout) > 4<<20 {
		t.Errorf("the page is %d bytes", len(r.stdout))
	}
	v := openPage(t, []byte(r.stdout), "", false)
	v.ran(t)
	nodes := v.count(`<g class="node"`)
	var grouped struct {
		Groups []struct{ Name, Namespace string }
	}
	g := run(t, "explain", "-f", dir, "-A", "--port", "8080/TCP", "-o", "json", "--by", "class")
	if err := json.Unmarshal([]byte(g.stdout), &grouped); err != nil {
		t.Fatal(err)
	}
	namespaces := map[string]bool{}
	for _, g := range grouped.Groups {
		namespaces[g.Namespace] = true
	}
	switch {
	case len(grouped.Groups) <= 40 && nodes != len(grouped.Groups):
		t.Errorf("%d nodes for %d groups", nodes, len(grouped.Groups))
	case len(grouped.Groups) > 40 && (nodes != len(namespaces) || !strings.Contains(v.dom, fmt.Sprintf("not the %d groups of pods", len(grouped.Groups)))):
		t.Errorf("%d groups: want a graph of the %d namespaces that says what it left out; %d nodes", len(grouped.Groups), len(namespaces), nodes)
	}
}

func TestHTMLDiffInBrowser(t *testing.T) {
	browserPath(t)
	base := diffBase()
	after := append([]string{}, base[:5]...) // the database's policy removed
	before, afterDir := diffFolders(t, diffDocs(base...), diffDocs(after...))
	var rep diffReport
	j := run(t, "diff", "--before", before, "--after", afterDir, "-o", "json")
	if err := json.Unmarshal([]byte(j.stdout), &rep); err != nil {
		t.Fatalf("%v: %s", err, j.stderr)
	}
	r := run(t, "diff", "--before", before, "--after", afterDir, "-o", "html")
	if r.code != 1 {
		t.Fatalf("a diff with changes exits 1 with -o html too; got %d %s", r.code, r.stderr)
	}
	v := openPage(t, []byte(r.stdout), "", false)
	v.ran(t)
	opened, closed := 0, 0
	for _, c := range rep.Changes {
		if c.Change == "opened" {
			opened++
		} else {
			closed++
		}
	}
	if opened+closed == 0 {
		t.Fatal("the change should open or close something")
	}
	if v.count(`<tr class="row opened"`) != opened || v.count(`<tr class="row closed"`) != closed {
		t.Errorf("rows: %d opened, %d closed; the JSON has %d and %d", v.count(`<tr class="row opened"`), v.count(`<tr class="row closed"`), opened, closed)
	}
	if opened > 0 && v.count(`<g class="edge opened"`) == 0 || closed > 0 && v.count(`<g class="edge closed"`) == 0 {
		t.Errorf("no arrows for the changes")
	}
	if !strings.Contains(v.dom, "NetworkPolicy db/db-from-web") {
		t.Errorf("the removed policy is not listed")
	}
}
