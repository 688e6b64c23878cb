package plugin

import (
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
	"github.com/kubectl-netpol/kubectl-netpol/plugin/render"
)

// The commands' words for people come from the message catalogs (lang/catalog/LANG.yaml), by
// ID: lab show's headings, the lab up summary, lab check's verdict lines and labels. Lab texts
// themselves live with each lab (labs/catalog/LAB/texts/LANG.yaml); column headers, PASS/FAIL,
// ok/WRONG and REFUSED stay as they are in every language (scripts read them, as they read
// kubectl's).

// verdictIn is "allowed" or "blocked" in l.
func verdictIn(l lang.Lang, allowed bool) string {
	if allowed {
		return lang.T(l, "allowed")
	}
	return lang.T(l, "blocked")
}

// levelIn is a lab's level as people read it in l; JSON and YAML keep the English value.
func levelIn(l lang.Lang, level string) string {
	if _, ok := lang.Messages()[lang.En]["level."+level]; !ok {
		return level
	}
	return lang.T(l, "level."+level)
}

// lineLabels pads lab check's line labels (why, hint, also, fix) to one width in l, so that what
// follows them starts in one column; English gives "why:  ", "hint: ", "also: ", "fix:  ".
func lineLabels(l lang.Lang) map[string]string {
	keys := []string{"why", "hint", "also", "fix"}
	w := 0
	for _, k := range keys {
		w = max(w, render.DisplayWidth(lang.T(l, "label."+k)))
	}
	out := map[string]string{}
	for _, k := range keys {
		out[k] = render.PadRight(lang.T(l, "label."+k), w+1)
	}
	return out
}

// getenv reads the locale variables; tests run the plugin in-process and set them with
// t.Setenv.
var getenv = os.Getenv

// langFlag is --lang, on the lab commands that print texts for people.
type langFlag struct{ value string }

func (f *langFlag) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.value, "lang", "", "Language of the texts for people (labs, hints, reasons, fixes, findings): "+strings.Join(lang.Names(), ", ")+" (default: from LANGUAGE, LC_ALL, LC_MESSAGES or LANG, as gettext reads them, else en)")
	_ = cmd.RegisterFlagCompletionFunc("lang", cobra.FixedCompletions(lang.Names(), cobra.ShellCompDirectiveNoFileComp))
}

// langOf is the language a command speaks, as its --lang (if it has one) and the environment
// say; nil cmd or no flag: the environment's.
func langOf(cmd *cobra.Command) (lang.Lang, error) {
	var f langFlag
	if cmd != nil {
		if flag := cmd.Flags().Lookup("lang"); flag != nil {
			f.value = flag.Value.String()
		}
	}
	return f.resolve()
}

// resolve picks the language: --lang, else the locale environment, else English. An unknown
// --lang is bad usage.
func (f *langFlag) resolve() (lang.Lang, error) {
	if f.value == "" {
		return lang.FromEnv(getenv), nil
	}
	l, err := lang.Parse(f.value)
	if err != nil {
		return "", usageErrorf("--lang: %v", err)
	}
	return l, nil
}

// again is what a command suggested to run next must add to speak the same language: --lang
// when it was given, nothing when the environment decided.
func (f *langFlag) again() string {
	if f.value == "" {
		return ""
	}
	return " --lang " + f.value
}
