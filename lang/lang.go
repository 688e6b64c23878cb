// Package lang picks the language of the texts meant for people (the labs, lab check's hints
// and verdict lines) and holds the small catalogs of such texts that Go code builds. The
// language comes from --lang, else from the environment as GNU gettext reads it for messages
// (LANGUAGE, a list; then LC_ALL, LC_MESSAGES, LANG), else English. Machine output keeps English keys whatever the
// language; only the texts it carries change.
package lang

import (
	"fmt"
	"strings"
)

// Lang is a language the texts are written in.
type Lang string

// The languages code names: English, the source every catalog and lab text is held to, and
// the two the labs were first written for. Others exist by their catalog file alone.
const (
	En Lang = "en"
	Ko Lang = "ko"
	Ja Lang = "ja"
)

// All lists the languages there are message catalogs for (catalog/LANG.yaml), English (the
// source) first; every lab has texts in each.
var All = languages()

// Names lists the values --lang takes, for help and completion.
func Names() []string {
	names := make([]string, len(All))
	for i, l := range All {
		names[i] = string(l)
	}
	return names
}

// Parse reads a --lang value: one of All.
func Parse(s string) (Lang, error) {
	for _, l := range All {
		if s == string(l) {
			return l, nil
		}
	}
	return "", fmt.Errorf("unknown language %q; use one of %s", s, strings.Join(Names(), "|"))
}

// Known reports whether l is one of All.
func (l Lang) Known() bool {
	_, err := Parse(string(l))
	return err == nil
}

// Or returns l, or English when l is empty.
func (l Lang) Or() Lang {
	if l == "" {
		return En
	}
	return l
}

// LocaleVariables are the environment variables FromEnv reads: LANGUAGE, then the locale
// variables for messages, the first set one deciding, as gettext reads them.
var LocaleVariables = []string{"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"}

// FromEnv picks the language from the environment as GNU gettext does for messages:
//   - LANGUAGE, a colon-separated list of languages (ja:en, ko_KR:ko), the first one this tool
//     has texts for wins (an entry without texts is passed over, as gettext passes over a
//     catalog it lacks); gettext ignores LANGUAGE when the locale is "C" or "POSIX" (not
//     C.UTF-8), and so does this (a locale that is not set at all does not silence it);
//   - else the first of LC_ALL, LC_MESSAGES and LANG that is set and not empty (LC_ALL=C wins
//     over LANG=ja_JP.UTF-8); a locale this tool has no texts for, "C" and "POSIX" included,
//     means English, and so does no locale at all.
func FromEnv(getenv func(string) string) Lang {
	locale := ""
	for _, v := range LocaleVariables[1:] {
		if locale = getenv(v); locale != "" {
			break
		}
	}
	if list := getenv("LANGUAGE"); list != "" && !cLocale(locale) {
		for _, item := range strings.Split(list, ":") {
			if l := FromLocale(item); item != "" && (l != En || language(item) == "en") {
				return l
			}
		}
	}
	return FromLocale(locale)
}

// cLocale says whether a locale is the C (POSIX) one, in which gettext ignores LANGUAGE: the
// name exactly, as gettext compares it (C.UTF-8 is another locale, and LANGUAGE counts there).
func cLocale(locale string) bool { return locale == "C" || locale == "POSIX" }

// language is the language part of a locale name or a BCP 47 tag, lower case.
func language(locale string) string {
	if i := strings.IndexAny(locale, ".@"); i >= 0 {
		locale = locale[:i]
	}
	if i := strings.IndexAny(locale, "_-"); i >= 0 {
		locale = locale[:i]
	}
	return strings.ToLower(locale)
}

// FromLocale maps a POSIX locale name, language[_territory][.codeset][@modifier], to a
// language: ja_JP.UTF-8 and ja are Japanese, ko_KR.UTF-8 and ko Korean, anything else
// (C, POSIX, C.UTF-8, en_US.UTF-8, de_DE) English. A BCP 47 tag such as ja-JP is read too.
func FromLocale(locale string) Lang {
	if l := Lang(language(locale)); l.Known() {
		return l
	}
	return En
}
