package lang

import (
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
		if _, err := Parse(s); err == nil || !strings.Contains(err.Error(), "en|ko|ja") {
			t.Errorf("Parse(%q): error %v, want one that lists en|ko|ja", s, err)
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
		"up":    {En: "Lab %s is up (%.1fs).", Ko: "%[1]s 실습 환경이 준비되었습니다 (%.1[2]f초).", Ja: "ラボ %[1]s の準備ができました（%.1[2]f秒）。"},
		"plain": {En: "Task", Ko: "과제", Ja: "課題"},
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
		"missing":    {En: "Task", Ko: "과제"},
		"untranslat": {En: "Steps", Ko: "Steps", Ja: "手順"},
		"args":       {En: "%s to %s", Ko: "%[1]s에서 %[1]s로", Ja: "%sから%sへ"},
		"verb":       {En: "%d pods", Ko: "파드 %s개", Ja: "Pod %d 個"},
		"broken":     {En: "(%.1fs)", Ko: "(%.1f초)", Ja: "（%[1].1f秒）"},
	}
	p := strings.Join(bad.Check(), "\n")
	for _, want := range []string{"missing: no ja text", "untranslat: the ko text \"Steps\" is not written in ko", "args: the ko text uses [1:s], the English [1:s 2:s]", "verb: the ko text uses [1:s], the English [1:d]", "broken: the ja text \"（%[1].1f秒）\" does not format"} {
		if !strings.Contains(p, want) {
			t.Errorf("Check misses %q:\n%s", want, p)
		}
	}
}
