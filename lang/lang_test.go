package lang

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// The environment as gettext reads it for messages: LANGUAGE's first language with texts, then
// the first locale variable set, even when it names a language without texts (then English);
// C/POSIX mean English and silence LANGUAGE.
func TestFromEnv(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want Lang
	}{
		{nil, En},
		{map[string]string{"LANG": "ja_JP.UTF-8"}, Ja},
		{map[string]string{"LANG": "ko_KR.UTF-8"}, Ko},
		{map[string]string{"LANG": "ko_KR.eucKR"}, Ko},
		{map[string]string{"LANG": "ja"}, Ja},
		{map[string]string{"LANG": "ja_JP"}, Ja},
		{map[string]string{"LANG": "ja_JP.UTF-8@cjknarrow"}, Ja},
		{map[string]string{"LANG": "ja-JP"}, Ja},
		{map[string]string{"LANG": "C"}, En},
		{map[string]string{"LANG": "POSIX"}, En},
		{map[string]string{"LANG": "C.UTF-8"}, En},
		{map[string]string{"LANG": "de_DE.UTF-8"}, En},
		{map[string]string{"LANG": "jam_JM"}, En}, // Jamaican Creole is not Japanese
		// LC_ALL wins over everything, LC_MESSAGES over LANG.
		{map[string]string{"LC_ALL": "ko_KR.UTF-8", "LC_MESSAGES": "ja_JP.UTF-8", "LANG": "en_US.UTF-8"}, Ko},
		{map[string]string{"LC_MESSAGES": "ja_JP.UTF-8", "LANG": "ko_KR.UTF-8"}, Ja},
		{map[string]string{"LC_ALL": "C", "LANG": "ja_JP.UTF-8"}, En},
		{map[string]string{"LC_MESSAGES": "en_US.UTF-8", "LANG": "ja_JP.UTF-8"}, En},
		// Empty means unset, as in gettext.
		{map[string]string{"LC_ALL": "", "LC_MESSAGES": "", "LANG": "ko_KR.UTF-8"}, Ko},
		// Other variables do not count.
		{map[string]string{"LC_CTYPE": "ja_JP.UTF-8"}, En},
		// LANGUAGE, a list, comes first: its first language with texts wins.
		{map[string]string{"LANGUAGE": "ja:en"}, Ja},
		{map[string]string{"LANGUAGE": "ja:en", "LANG": "ko_KR.UTF-8"}, Ja},
		{map[string]string{"LANGUAGE": "fr:de:ko_KR:ja", "LANG": "en_US.UTF-8"}, Ko},
		{map[string]string{"LANGUAGE": "en:ja", "LANG": "ja_JP.UTF-8"}, En},
		{map[string]string{"LANGUAGE": "en_GB:ko", "LC_ALL": "ja_JP.UTF-8"}, En},
		{map[string]string{"LANGUAGE": "::ko", "LC_ALL": "ja_JP.UTF-8"}, Ko},
		// Nothing in it with texts: the locale decides.
		{map[string]string{"LANGUAGE": "fr:de", "LANG": "ja_JP.UTF-8"}, Ja},
		{map[string]string{"LANGUAGE": "", "LANG": "ko_KR.UTF-8"}, Ko},
		// A C locale silences LANGUAGE, as in gettext; an unset one does not.
		{map[string]string{"LANGUAGE": "ja", "LC_ALL": "C"}, En},
		{map[string]string{"LANGUAGE": "ja", "LANG": "POSIX"}, En},
		{map[string]string{"LANGUAGE": "ja", "LANG": "C.UTF-8"}, Ja}, // gettext compares the name with "C" only
		{map[string]string{"LANGUAGE": "ko"}, Ko},
	}
	for _, c := range cases {
		if got := FromEnv(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("%v: %s, want %s", c.env, got, c.want)
		}
	}
}

func TestParse(t *testing.T) {
	for _, s := range []string{"en", "ko", "ja"} {
		if l, err := Parse(s); err != nil || string(l) != s {
			t.Errorf("Parse(%q) = %q, %v", s, l, err)
		}
	}
	for _, s := range []string{"", "jp", "kr", "ja_JP.UTF-8", "de", "EN"} {
		if _, err := Parse(s); err == nil || !strings.Contains(err.Error(), "en|ja|ko") {
			t.Errorf("Parse(%q): error %v, want one that lists en|ja|ko", s, err)
		}
	}
}

func TestPlaceholders(t *testing.T) {
	cases := map[string][]string{
		"no verbs, 100%%":                      nil,
		"%s -> %s %d/%s":                       {"1:s", "2:s", "3:d", "4:s"},
		"%[2]s は %[1]s に %[3]d 件":              {"1:s", "2:s", "3:d"},
		"%[1]s and again %[1]s, then %s":       {"1:s", "2:s"},
		"%-8s|%5.1f|%+d|%*d":                   {"1:s", "2:f", "3:d", "5:d"},
		"(%.1fs)":                              {"1:f"},
		"%d of %d live probes could not run":   {"1:d", "2:d"},
		"%[3]v first, %[1]v then %v and %[5]q": {"1:v", "2:v", "3:v", "5:q"},
	}
	for format, want := range cases {
		if got := Placeholders(format); !slices.Equal(got, want) {
			t.Errorf("Placeholders(%q) = %v, want %v", format, got, want)
		}
	}
}

// Check finds every kind of broken catalog entry, and nothing in a good one.
func TestCatalogCheck(t *testing.T) {
	good := Catalog{
		En: {"up": "Lab %s is up (%.1fs).", "plain": "Task"},
		Ko: {scriptsKey: "Hangul", "up": "%[1]s 실습 환경이 준비되었습니다 (%.1[2]f초).", "plain": "과제"},
		Ja: {scriptsKey: "Hiragana, Katakana, Han", "up": "ラボ %[1]s の準備ができました（%.1[2]f秒）。", "plain": "課題"},
	}
	if p := good.Check(); len(p) > 0 {
		t.Errorf("a good catalog has problems: %v", p)
	}
	if got := good.T(Ja, "up", "dns-egress", 1.25); got != "ラボ dns-egress の準備ができました（1.2秒）。" {
		t.Errorf("T: %q", got)
	}
	if got := good.T("", "plain"); got != "Task" {
		t.Errorf("no language: %q, want English", got)
	}
	if got := good.T(Ko, "absent"); got != "!absent" {
		t.Errorf("a missing key prints as %q", got)
	}
	bad := Catalog{
		En: {"missing": "Task", "untranslat": "Steps", "args": "%s to %s", "verb": "%d pods", "broken": "(%.1fs)"},
		Ko: {scriptsKey: "Hangul", "missing": "과제", "untranslat": "Steps", "args": "%[1]s에서 %[1]s로", "verb": "파드 %s개", "broken": "(%.1f초)", "extra": "남은 것"},
		Ja: {scriptsKey: "Klingon", "untranslat": "手順", "args": "%sから%sへ", "verb": "Pod %d 個", "broken": "（%[1].1f秒）"},
	}
	p := strings.Join(bad.Check(), "\n")
	for _, want := range []string{"missing: no ja text", "untranslat: the ko text \"Steps\" is not written in ko", "args: the ko text uses [1:s], the English [1:s 2:s]",
		"verb: the ko text uses [1:s], the English [1:d]", "broken: the ja text \"（%[1].1f秒）\" does not format", "extra: only in ko", "lang.scripts: ja names no Unicode script"} {
		if !strings.Contains(p, want) {
			t.Errorf("Check misses %q:\n%s", want, p)
		}
	}
}

// The real catalogs: every language holds every English message with the same placeholders,
// in its own script, and nothing English does not have.
func TestCatalogs(t *testing.T) {
	if !slices.Equal(All[:1], []Lang{En}) || len(All) < 3 {
		t.Fatalf("All = %v, want English first and the catalog files' languages", All)
	}
	for _, p := range Messages().Check() {
		t.Error(p)
	}
}

// A Msg renders in any language, its Msg arguments in the same one, and stays the same value.
func TestMsg(t *testing.T) {
	c := Messages()
	m := M("show.stuck", M("allowed"))
	if got := m.In(Ko); got != fmt.Sprintf(c[Ko]["show.stuck"], c[Ko]["allowed"]) {
		t.Errorf("Ko: %q", got)
	}
	if got := m.String(); got != "Stuck? allowed" {
		t.Errorf("En after Ko: %q", got)
	}
	j := Join("join.and", M("allowed"), M("blocked"), Verbatim("x: y"))
	if got, want := j.In(Ja), c[Ja]["allowed"]+c[Ja]["join.and"]+c[Ja]["blocked"]+c[Ja]["join.and"]+"x: y"; got != want {
		t.Errorf("Join: %q, want %q", got, want)
	}
	if !(Msg{}).IsZero() || M("allowed").IsZero() || Verbatim("a").IsZero() {
		t.Error("IsZero")
	}
}

// Untranslated finds English prose and passes over names, code, YAML, IDs and kept terms.
func TestUntranslated(t *testing.T) {
	names := map[string]bool{"frontend": true, "shop": true}
	cases := []struct {
		text string
		want []string
	}{
		{"frontend의 egress가 격리되어 있습니다", nil},
		{"allow-dns 정책의 podSelector {app: web}가 Pod shop/frontend와 일치하지 않습니다", nil},
		{"규칙을 추가하세요:\n  egress:\n  - to:\n    - {port: 53, protocol: UDP}", nil},
		{"다음을 실행하세요: kubectl label namespace shop team=db 그리고 확인하세요", nil},
		{"`spec.egress[0].to` 필드를 보세요 (NP3002, no-dns-rule, FILE)", nil},
		{"frontend is isolated 그리고 nearly admits", []string{"is isolated", "nearly admits"}},
		{"네임스페이스 shop has no label", []string{"has no label"}},
		{"Pod の egress は、DNS を許可していません; so every lookup fails", []string{"so every lookup fails"}},
	}
	for _, c := range cases {
		if got := Untranslated(c.text, names); !slices.Equal(got, c.want) {
			t.Errorf("Untranslated(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}
