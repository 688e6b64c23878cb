// Package lang picks the language of the texts meant for people (the labs, lab check's hints
// and verdict lines) and holds the small catalogs of such texts that Go code builds. The
// language comes from --lang, else from the locale environment as gettext reads it (LC_ALL,
// then LC_MESSAGES, then LANG), else English. Machine output keeps English keys whatever the
// language; only the texts it carries change.
package lang

import (
	"fmt"
	"strings"
)

// Lang is a language the texts are written in.
type Lang string

// The languages every lab text and every catalog message exists in.
const (
	En Lang = "en"
	Ko Lang = "ko"
	Ja Lang = "ja"
)

// All lists the languages, English (the source) first.
var All = []Lang{En, Ko, Ja}

// Names lists the values --lang takes, for help and completion.
func Names() []string {
	names := make([]string, len(All))
	for i, l := range All {
		names[i] = string(l)
	}
	return names
}

// Parse reads a --lang value: en, ko or ja.
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

// LocaleVariables are the environment variables FromEnv reads, the first set one deciding, as
// gettext reads them for messages.
var LocaleVariables = []string{"LC_ALL", "LC_MESSAGES", "LANG"}

// FromEnv picks the language from the locale environment as gettext does for messages: the
// first of LC_ALL, LC_MESSAGES and LANG that is set and not empty decides (LC_ALL=C wins over
// LANG=ja_JP.UTF-8); a locale this tool has no texts for, "C" and "POSIX" included, means
// English, and so does no locale at all.
func FromEnv(getenv func(string) string) Lang {
	for _, v := range LocaleVariables {
		if s := getenv(v); s != "" {
			return FromLocale(s)
		}
	}
	return En
}

// FromLocale maps a POSIX locale name, language[_territory][.codeset][@modifier], to a
// language: ja_JP.UTF-8 and ja are Japanese, ko_KR.UTF-8 and ko Korean, anything else
// (C, POSIX, C.UTF-8, en_US.UTF-8, de_DE) English. A BCP 47 tag such as ja-JP is read too.
func FromLocale(locale string) Lang {
	if i := strings.IndexAny(locale, ".@"); i >= 0 {
		locale = locale[:i]
	}
	if i := strings.IndexAny(locale, "_-"); i >= 0 {
		locale = locale[:i]
	}
	switch strings.ToLower(locale) {
	case "ko":
		return Ko
	case "ja":
		return Ja
	}
	return En
}
