package lang

import (
	"encoding/json"
	"strings"
)

// Msg is a message for people, kept as its catalog ID and arguments until it is shown, so one
// value renders in any language. An argument that is itself a Msg is rendered in the same
// language (a word such as "egress", a clause, a list of clauses); any other argument (a name,
// a number, YAML) is printed as it is.
type Msg struct {
	ID   string
	Args []any
	// join, when set, makes the message its arguments (each a Msg) one after the other, with
	// the message join between them.
	join string
	// text is a message that is not translated: what another program said (an API server's
	// error), shown as it is in every language.
	text string
}

// M is message id with its arguments.
func M(id string, args ...any) Msg { return Msg{ID: id, Args: args} }

// Join is the messages one after the other, with message sep (e.g. "join.and") between them.
func Join(sep string, items ...Msg) Msg {
	args := make([]any, len(items))
	for i, m := range items {
		args[i] = m
	}
	return Msg{Args: args, join: sep}
}

// Verbatim is text shown as it is in every language: what another program said.
func Verbatim(text string) Msg { return Msg{text: text} }

// In renders the message in l.
func (m Msg) In(l Lang) string {
	switch {
	case m.text != "":
		return m.text
	case m.join != "":
		parts := make([]string, len(m.Args))
		for i, a := range m.Args {
			parts[i] = a.(Msg).In(l)
		}
		return strings.Join(parts, T(l, m.join))
	case m.ID == "":
		return ""
	}
	// T renders Msg arguments in place: copy them so that m stays the same for another language.
	return T(l, m.ID, append([]any(nil), m.Args...)...)
}

// String is the message in English.
func (m Msg) String() string { return m.In(En) }

// InOr is m in l, or s when m says nothing: a text kept both as a message and as its English
// (a JSON field), rendered in l where it has a message.
func (m Msg) InOr(l Lang, s string) string {
	if m.IsZero() {
		return s
	}
	return m.In(l)
}

// IsZero reports whether m says nothing.
func (m Msg) IsZero() bool { return m.ID == "" && m.join == "" && m.text == "" }

// MarshalJSON writes the message as its English text, for the few places a Msg travels in
// machine output unrendered.
func (m Msg) MarshalJSON() ([]byte, error) { return json.Marshal(m.String()) }
