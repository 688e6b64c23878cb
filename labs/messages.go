package labs

import (
	"github.com/kubectl-netpol/kubectl-netpol/lang"
)

// CauseSummary says in one line, in l, what the mistake a cause code names is: the hint's
// headline, from the message cause.CODE; "" for a code it does not know.
func CauseSummary(l lang.Lang, code string) string {
	if _, ok := lang.Messages()[lang.En]["cause."+code]; !ok {
		return ""
	}
	return lang.T(l, "cause."+code)
}
