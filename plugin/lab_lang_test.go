package plugin

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/hack/localcluster"
	"github.com/kubectl-netpol/kubectl-netpol/labs"
	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/plugin/render"
)

// `lab show three-tier --lang ko` reads as a Korean study guide: the lab's texts, the
// headings and the goal's verdicts in Korean; names, commands and YAML fields as kubectl
// prints them.
func TestLabShowKorean(t *testing.T) {
	r := run(t, "lab", "show", "three-tier", "--lang", "ko", "--hints")
	if r.code != ExitOK || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	lab, err := labs.Get("three-tier")
	if err != nil {
		t.Fatal(err)
	}
	ko := lab.Text(lang.Ko)
	for _, want := range []string{
		"three-tier: " + ko.Title + "\n",
		"난이도: 중급   주제: default deny, DNS egress, namespaceSelector, egress rules   네임스페이스: web, was, db\n",
		"시험 영역: Services & Networking",
		"\n과제\n  웹 서버(네임스페이스 web, 포트 80)",
		"\n단계\n  1. 먼저 둘러보세요: kubectl get pods,svc -n web -o wide",
		"  5. 정책을 적용하고 'kubectl netpol lab check three-tier'로 채점하세요.\n",
		"\n힌트\n  - 기본 거부 정책이 egress 대상으로",
		"kubernetes.io/metadata.name: was.",
		"\n목표\n  FROM ",
		"허용", "차단",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("lab show --lang ko lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, english := range []string{"Task", "Steps", "Hints", "Level:", "allowed", "blocked", ko.Title + "x", lab.Title} {
		if strings.Contains(r.stdout, english) {
			t.Errorf("lab show --lang ko prints %q in English:\n%s", english, r.stdout)
		}
	}
	checkColumnsAligned(t, goalTable(t, r.stdout, "\n목표\n"), []string{"FROM", "TO", "PORT", "EXPECTED"})

	// Without --hints, the command it suggests keeps the language.
	r = run(t, "lab", "show", "three-tier", "--lang", "ko")
	if !strings.Contains(r.stdout, "\n막혔다면: kubectl netpol lab show three-tier --hints --lang ko\n") {
		t.Errorf("the suggestion should keep --lang ko:\n%s", r.stdout)
	}
}

// `LANG=ja_JP.UTF-8 lab list` prints the Japanese titles' summaries and levels in a table
// whose columns start at the same terminal column on every line.
func TestLabListJapaneseFromLANG(t *testing.T) {
	t.Setenv("LANG", "ja_JP.UTF-8")
	r := run(t, "lab", "list")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	all, err := labs.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != len(all)+1 {
		t.Fatalf("%d lines for %d labs:\n%s", len(lines), len(all), r.stdout)
	}
	cells := [][]string{{"NAME", "LEVEL", "TOPICS", "GOAL"}}
	for _, l := range all {
		summary := l.Text(lang.Ja).Summary
		if !lang.WrittenIn(lang.Ja, summary) || summary == l.Summary {
			t.Fatalf("%s has no Japanese summary: %q", l.Name, summary)
		}
		cells = append(cells, []string{l.Name, map[string]string{"beginner": "初級", "intermediate": "中級", "advanced": "上級"}[l.Level], strings.Join(l.Topics, ", "), summary})
	}
	checkColumns(t, lines, cells)
	// The columns are padded by display width: the Japanese level column is narrower in runes
	// than the header's LEVEL plus padding, and wider cells before a column push it right.
	if !strings.Contains(lines[1], "   初級    namespaceSelector") { // 初級 (4 columns) padded to LEVEL (5) + 3
		t.Errorf("level cell not padded to the column's width: %q", lines[1])
	}
}

// --lang beats the environment, and among the environment LANGUAGE beats LC_ALL beats
// LC_MESSAGES beats LANG, as gettext has it; C means English (and silences LANGUAGE).
func TestLangFlagBeatsEnvironment(t *testing.T) {
	koTitle, jaTitle := "dns-egress: egress 기본 거부가 DNS를 막는다\n", "dns-egress: egress のデフォルト拒否で DNS が壊れる\n"
	enTitle := "dns-egress: Default-deny egress breaks DNS\n"
	cases := []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"LANG": "ja_JP.UTF-8"}, nil, jaTitle},
		{map[string]string{"LANG": "ja_JP.UTF-8"}, []string{"--lang", "ko"}, koTitle},
		{map[string]string{"LANG": "ja_JP.UTF-8"}, []string{"--lang=en"}, enTitle},
		{map[string]string{"LC_ALL": "ko_KR.UTF-8", "LANG": "ja_JP.UTF-8"}, nil, koTitle},
		{map[string]string{"LC_MESSAGES": "ja_JP.UTF-8", "LANG": "ko_KR.UTF-8"}, nil, jaTitle},
		{map[string]string{"LC_ALL": "C", "LANG": "ja_JP.UTF-8"}, nil, enTitle},
		{map[string]string{"LC_ALL": "C", "LANG": "ja_JP.UTF-8"}, []string{"--lang", "ja"}, jaTitle},
		{map[string]string{"LANG": "fr_FR.UTF-8"}, nil, enTitle},
		// GNU's LANGUAGE list comes before the locale: its first language with texts wins.
		{map[string]string{"LANGUAGE": "ja:en"}, nil, jaTitle},
		{map[string]string{"LANGUAGE": "fr:ko", "LANG": "ja_JP.UTF-8"}, nil, koTitle},
		{map[string]string{"LANGUAGE": "ja", "LC_ALL": "C"}, nil, enTitle},
		{map[string]string{"LANGUAGE": "ja:en"}, []string{"--lang", "ko"}, koTitle},
	}
	for _, c := range cases {
		for k, v := range c.env {
			t.Setenv(k, v)
		}
		r := run(t, append([]string{"lab", "show", "dns-egress"}, c.args...)...)
		if !strings.HasPrefix(r.stdout, c.want) {
			t.Errorf("%v %v: got %q, want %q", c.env, c.args, firstLine(r.stdout), c.want)
		}
		for k := range c.env {
			os.Unsetenv(k)
		}
	}
}

// An unknown --lang is bad usage, refused before anything else happens (lab up and lab check
// would otherwise try the cluster: there is none here, which would exit 3).
func TestUnknownLangIsUsage(t *testing.T) {
	for _, args := range [][]string{
		{"lab", "list", "--lang", "de"},
		{"lab", "show", "three-tier", "--lang", "jp"},
		{"lab", "up", "three-tier", "--lang", "kr"},
		{"lab", "check", "three-tier", "--lang", "ja_JP.UTF-8"},
		{"lab", "status", "--lang", "kr"},
		{"lab", "down", "three-tier", "--lang", "jp"},
		{"lab", "next", "--lang", "de"},
		{"exam", "start", "--lang", "de"},
		{"explain", "--lang", "de"},
		{"probe", "--lang", "de"},
	} {
		r := run(t, args...)
		if r.code != ExitUsage {
			t.Errorf("%v: exit %d, want %d; stderr %q", args, r.code, ExitUsage, r.stderr)
			continue
		}
		if line := oneErrorLine(t, r); !strings.Contains(line, "--lang") || !strings.Contains(line, "en|ja|ko") {
			t.Errorf("%v: %q should name --lang and the languages", args, line)
		}
	}
	// The flag is on the commands that print texts for people only.
	if r := run(t, "version", "--lang", "ko"); r.code != ExitUsage || !strings.Contains(r.stderr, "unknown flag") {
		t.Errorf("version --lang: exit %d", r.code)
	}
}

// -o json and -o yaml keep their English keys (and English level values); the texts they
// carry are in the chosen language.
func TestLabStructuredOutputInLanguage(t *testing.T) {
	r := run(t, "lab", "list", "-o", "json", "--lang", "ja")
	var list []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || r.code != ExitOK {
		t.Fatalf("lab list -o json: %v\n%s", err, r.stdout)
	}
	for _, item := range list {
		for _, key := range []string{"name", "title", "level", "topics", "goal"} {
			if _, ok := item[key]; !ok {
				t.Errorf("lab list item lacks key %q: %v", key, item)
			}
		}
		if lvl := item["level"].(string); lvl != "beginner" && lvl != "intermediate" && lvl != "advanced" {
			t.Errorf("level %q is not the English value", lvl)
		}
		if !lang.WrittenIn(lang.Ja, item["title"].(string)) || !lang.WrittenIn(lang.Ja, item["goal"].(string)) {
			t.Errorf("title and goal not in Japanese: %v", item)
		}
	}

	t.Setenv("LANG", "ko_KR.UTF-8")
	r = run(t, "lab", "show", "three-tier", "-o", "yaml", "--hints")
	for _, want := range []string{"\nlang: ko\n", "\ntask: |\n  웹 서버(네임스페이스 web, 포트 80)", "\nhints:\n- 기본 거부 정책이", "\nlevel: intermediate\n", "\ngoalTable:\n- allowed: true\n"} {
		if !strings.Contains("\n"+r.stdout, want) {
			t.Errorf("lab show -o yaml lacks %q:\n%s", want, r.stdout)
		}
	}
}

// lab check in Japanese, on files (no cluster): the verdict lines, labels and hint summaries
// in Japanese, the engine's cause beneath in English, the JSON with English keys.
func TestLabCheckInJapanese(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.yaml")
	// OR instead of AND: the mistake the lab teaches.
	if err := os.WriteFile(broken, []byte(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-backup, namespace: vault}
spec:
  podSelector: {matchLabels: {app: store}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ops}}
    - podSelector: {matchLabels: {app: backup}}
    ports: [{port: 5432}]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, "lab", "check", "and-vs-or", "-f", broken, "--lang", "ja")
	if r.code != ExitError {
		t.Fatalf("exit %d, want %d\n%s%s", r.code, ExitError, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"静的チェック: ラボのセットアップに重ねたファイルを評価器で確認\n",
		"vault/backup-agent -> vault/store 5432/TCP: 目標は遮断、あなたのポリシーでは許可\n",
		"  理由:   ",
		// The headline, then where: the policy and rule, in Japanese too.
		"  ヒント: 両方のセレクターを 1 つの peer に入れて AND にするつもりが、2 つの peer に分かれて OR になっています\n          ポリシー vault/allow-backup の ingress 方向のルール 0 が",
		"  修正:   ",
		"\nFAIL: 目標の接続 ",
		" が正解\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("lab check --lang ja lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, english := range []string{"Static check", "want blocked", "hint:", "fix:", "goal connections right", "rule 0", "admits", "selects"} {
		if strings.Contains(r.stdout, english) {
			t.Errorf("lab check --lang ja prints %q:\n%s", english, r.stdout)
		}
	}
	// FAIL is said once, on stdout's last line: no error line repeats it on stderr.
	if strings.Contains(r.stderr, "FAIL") || strings.Count(r.stdout, "FAIL") != 1 {
		t.Errorf("FAIL said %d times on stdout, stderr %q", strings.Count(r.stdout, "FAIL"), r.stderr)
	}
	// The static table: Japanese verdicts, columns aligned.
	table := strings.Split(strings.SplitN(r.stdout, "\n\n", 2)[0], "\n")[1:]
	checkColumnsAligned(t, table, []string{"FROM", "TO", "PORT", "GOAL", "YOURS"})
	// The continuation of a label's text starts under its first line.
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(line, "  ヒント: ") && render.DisplayWidth("  ヒント: ") != 10 {
			t.Errorf("label width %d", render.DisplayWidth("  ヒント: "))
		}
	}

	r = run(t, "lab", "check", "and-vs-or", "-f", broken, "--lang", "ja", "-o", "json")
	var rep map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if rep["lang"] != "ja" || rep["verdict"] != "FAIL" {
		t.Errorf("lang %v, verdict %v", rep["lang"], rep["verdict"])
	}
	found := false
	for _, row := range rep["static"].([]any) {
		row := row.(map[string]any)
		if s, ok := row["hintSummary"].(string); ok {
			found = true
			if !lang.WrittenIn(lang.Ja, s) || !strings.Contains(row["hint"].(string), "allow-backup") {
				t.Errorf("row %v: hintSummary in Japanese, hint the engine's", row)
			}
		}
	}
	if !found {
		t.Error("no row carries a hintSummary")
	}
}

// The live half of lab check speaks the language too: the notes, the summary of the probes
// and the verdict line.
func TestCheckVerdictInKorean(t *testing.T) {
	execErr := "exec into pod web/web: no exec found for container"
	live := []observation{
		{From: "web/web", To: "was/was", Port: 8080, Protocol: "TCP", Error: execErr},
		{From: "web/web", To: "db/db", Port: 3306, Protocol: "TCP", Error: execErr},
		{From: "192.0.2.1", To: "web/web", Port: 80, Protocol: "TCP", Ignored: lang.T(lang.Ko, "ignored.outside")},
	}
	judgeAll(live)
	sum := summarize(live)
	rep := checkReport{Lab: "three-tier", Lang: lang.Ko, Verdict: "PASS", Score: "3/3",
		Static: []labs.Graded{{Correct: true}, {Correct: true}, {Correct: true}}, Live: live, Summary: &sum, LiveError: failureReason(live)}
	var out bytes.Buffer
	printCheck(&out, rep, false)
	for _, want := range []string{
		"정적 검사: 실습 네임스페이스에 있는 정책을 평가기로 확인\n",
		"실제 확인: 출발지 파드 안에서 보낸 프로브\n",
		"제외: 출발지가 클러스터 밖에 있음",
		"프로브 안 됨",
		"프로브를 하나도 실행하지 못했습니다: " + execErr,
		"프로브: 일치 0, 불일치 0, 실행 실패 2, 제외 1 (전체 3)\n",
		"\nPASS (정적 검사만): 목표 연결 3/3 정답. 실제 확인은 실행하지 못해(위 참고) 관찰된 것이 없습니다\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("lacks %q:\n%s", want, out.String())
		}
	}
	// The live table: the mark column (after OBSERVED, empty for probes that did not run)
	// starts at one display column, with Korean marks in it.
	_, liveTable, _ := strings.Cut(out.String(), "실제 확인: 출발지 파드 안에서 보낸 프로브\n")
	lines := strings.Split(liveTable, "\n")[:4]
	checkColumns(t, lines, [][]string{
		{"FROM", "TO", "PORT", "GOAL"},
		{"web/web", "was/was", "8080/TCP", "차단"},
		{"web/web", "db/db", "3306/TCP", "차단"},
		{"192.0.2.1", "web/web", "80/TCP", "차단"},
	})
	markAt := func(line, mark string) int { return render.DisplayWidth(line[:strings.Index(line, mark)]) }
	if a, b := markAt(lines[1], "프로브 안 됨"), markAt(lines[3], "제외:"); a != b || a <= markAt(lines[0], "OBSERVED") {
		t.Errorf("marks start at %d and %d:\n%s", a, b, strings.Join(lines, "\n"))
	}
}

// Levels and line labels, looked up by computed IDs, exist in every language; English labels
// are what they were before the translations.
func TestLevelsAndLabelsInEveryLanguage(t *testing.T) {
	for _, level := range labs.Levels {
		for _, l := range lang.All {
			if got := levelIn(l, level); got == "" || !lang.WrittenIn(l, got) {
				t.Errorf("level %s in %s: %q", level, l, got)
			}
		}
	}
	// English output is what it was before the translations: the labels as they were.
	if got := lineLabels(lang.En); got["why"] != "why:  " || got["hint"] != "hint: " || got["also"] != "also: " || got["fix"] != "fix:  " {
		t.Errorf("English labels %q", got)
	}
	for _, l := range lang.All {
		w := -1
		for _, s := range lineLabels(l) {
			if w >= 0 && render.DisplayWidth(s) != w {
				t.Errorf("%s labels of different widths: %q", l, lineLabels(l))
			}
			w = render.DisplayWidth(s)
		}
	}
}

// lab up's summary in the chosen language, over the local control plane.
func TestLabUpSummaryInLanguage(t *testing.T) {
	c := localcluster.ForTest(t)
	kc := "--kubeconfig=" + c.Kubeconfig
	t.Setenv("LANG", "ja_JP.UTF-8")
	r := run(t, "lab", "up", "dns-egress", kc)
	defer run(t, "lab", "down", "dns-egress", kc)
	if r.code != ExitOK {
		t.Fatalf("lab up: exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{
		"namespace/shop created\n", // kubectl's own words stay
		"\nラボ dns-egress の準備ができました（",
		"dns-egress: egress のデフォルト拒否で DNS が壊れる\n",
		"\n課題\n", "\n手順\n", "\n目標\n",
		"\n行き詰まったら: kubectl netpol lab show dns-egress --hints\n",
		"\n次は、ポリシーを書いてから「kubectl netpol lab check dns-egress」で採点します。ラボを削除するには「kubectl netpol lab down dns-egress」を実行します。\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("lab up (LANG=ja_JP.UTF-8) lacks %q:\n%s", want, r.stdout)
		}
	}
}

// goalTable returns the lines of the goal table that follows heading.
func goalTable(t *testing.T, out, heading string) []string {
	t.Helper()
	_, after, ok := strings.Cut(out, heading)
	if !ok {
		t.Fatalf("no %q in:\n%s", heading, out)
	}
	table, _, _ := strings.Cut(after, "\n\n")
	return strings.Split(strings.TrimSuffix(table, "\n"), "\n")
}

// checkColumnsAligned checks that each of a table's header columns starts at the same display
// column on every line: the cells are the fields between runs of two or more spaces.
func checkColumnsAligned(t *testing.T, lines []string, header []string) {
	t.Helper()
	var cells [][]string
	for _, line := range lines {
		var row []string
		for _, f := range strings.Split(strings.TrimSpace(line), "   ") {
			if f = strings.TrimSpace(f); f != "" {
				row = append(row, f)
			}
		}
		cells = append(cells, row)
	}
	if len(cells) == 0 || len(cells[0]) < len(header) {
		t.Fatalf("not a table with columns %v:\n%s", header, strings.Join(lines, "\n"))
	}
	for i := range cells {
		cells[i] = cells[i][:min(len(cells[i]), len(header))]
	}
	checkColumns(t, lines, cells)
}

// checkColumns checks that cell c of every line starts at the same display column.
func checkColumns(t *testing.T, lines []string, cells [][]string) {
	t.Helper()
	for c := range cells[0] {
		want := -1
		for i, line := range lines {
			if c >= len(cells[i]) {
				continue
			}
			// Find the cell after the previous ones.
			from := 0
			for p := 0; p < c; p++ {
				from += strings.Index(line[from:], cells[i][p]) + len(cells[i][p])
			}
			at := strings.Index(line[from:], cells[i][c])
			if at < 0 {
				t.Fatalf("line %q lacks cell %q", line, cells[i][c])
			}
			col := render.DisplayWidth(line[:from+at])
			if want < 0 {
				want = col
			} else if col != want {
				t.Errorf("column %d (%q) starts at display column %d on line %d, %d on the first:\n%s", c, cells[i][c], col, i, want, strings.Join(lines, "\n"))
			}
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// The usage errors learners meet most, an unknown lab and a port that cannot be read, speak
// the command's --lang, else the environment's language; the exit code stays 2.
func TestLearnerErrorsInLanguage(t *testing.T) {
	cases := []struct {
		env  map[string]string
		args []string
		want []string
	}{
		{nil, []string{"lab", "show", "tree-tier"}, []string{`no lab named "tree-tier"; did you mean three-tier?`, "lab list"}},
		{nil, []string{"lab", "show", "tree-tier", "--lang", "ko"}, []string{`"tree-tier"라는 실습은 없습니다`, "혹시 three-tier인가요?"}},
		{map[string]string{"LANG": "ja_JP.UTF-8"}, []string{"lab", "up", "tree-tier"}, []string{`"tree-tier" という名前のラボはありません`, "もしかして three-tier ですか？"}},
		{map[string]string{"LANGUAGE": "ko"}, []string{"explain", "--port", "http"}, []string{`--port: 포트 "http": 1부터 65535까지`}},
		{map[string]string{"LANG": "ja_JP.UTF-8"}, []string{"probe", "--port", "53/ICMP"}, []string{`--port: ポート "53/ICMP": プロトコルは`}},
		{nil, []string{"explain", "--port", "0"}, []string{`--port: port "0": want a number from 1 to 65535`}},
	}
	for _, c := range cases {
		for k, v := range c.env {
			t.Setenv(k, v)
		}
		r := run(t, c.args...)
		line := oneErrorLine(t, r)
		if r.code != ExitUsage {
			t.Errorf("%v %v: exit %d, want %d", c.env, c.args, r.code, ExitUsage)
		}
		for _, w := range c.want {
			if !strings.Contains(line, w) {
				t.Errorf("%v %v: %q lacks %q", c.env, c.args, line, w)
			}
		}
		for k := range c.env {
			os.Unsetenv(k)
		}
	}
}
