package source

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// writePage answers a List request as the API server pages it: the request's limit and
// continue token (here the index to go on from) select items, and the answer's continue says
// where the next page starts ("" on the last).
func writePage(w http.ResponseWriter, r *http.Request, apiVersion, kind string, items []string) {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	start, _ := strconv.Atoi(r.URL.Query().Get("continue"))
	end := len(items)
	if limit > 0 && start+limit < end {
		end = start + limit
	}
	cont := ""
	if end < len(items) {
		cont = strconv.Itoa(end)
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"kind":%q,"apiVersion":%q,"metadata":{"resourceVersion":"1","continue":%q},"items":[%s]}`, kind, apiVersion, cont, strings.Join(items[start:end], ","))
}
