package lang

import (
	"strings"
	"unicode"
)

// KeptTerms are the words a Korean or Japanese text keeps in Latin letters, as the Kubernetes
// docs in those languages do: API kinds and fields, protocols, tools. Anything else in
// English in a translated text is a miss.
var KeptTerms = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`
		NetworkPolicy NetworkPolicies ClusterNetworkPolicy AdminNetworkPolicy BaselineAdminNetworkPolicy
		Namespace Namespaces namespace Pod Pods Service Services DaemonSet DaemonSets Deployment ConfigMap Node Nodes
		CRD CRDs RBAC ServiceAccount ClusterRole
		namespaceSelector podSelector ipBlock cidr except policyTypes matchLabels matchExpressions
		ingress egress Ingress Egress ports port protocol endPort containerPort hostNetwork peer peers
		Accept Deny Pass Allow Admin Baseline
		kubectl netpol kube-router flannel Calico Cilium Antrea Weave CoreDNS kube-dns kube-proxy
		kube-network-policies OVN-Kubernetes Kube-OVN iptables nftables ipset eBPF
		DNS CNI IP IPs TCP UDP SCTP HTTP HTTPS API YAML JSON CIDR CKA CKAD OR AND NOT
		loopback Services & Networking nc wget curl
		default deny Web
		ok Xa Xb`) { // ok, like WRONG, PASS and FAIL, is a mark scripts read (Xa, Xb: a truth table's cell decided by a cluster tier); "default deny" is the term CKA study uses
		KeptTerms[w] = true
	}
}

// Untranslated finds the English left in text, a message rendered in a language other than
// English: each run of Latin-letter words that is not code, YAML, a name, an ID or a kept term.
// What is skipped: lines indented by two spaces or more (YAML, commands), text in backquotes,
// a kubectl command to the end of its line, words with a digit or one of ./=:[]{} in them (field
// paths, labels, addresses, ports), words in CAPITALS (IDs, verdicts, placeholders such as
// FILE), words joined by hyphens (codes), KeptTerms, and the words names holds (objects, labels).
func Untranslated(text string, names map[string]bool) []string {
	var runs []string
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "  ") || strings.HasPrefix(line, "\t") {
			continue
		}
		var run []string
		flush := func() {
			if len(run) > 0 {
				runs = append(runs, strings.Join(run, " "))
				run = nil
			}
		}
		inCode, inCommand := false, false
		for _, word := range splitWords(line) {
			if word == "`" {
				inCode = !inCode
				flush()
				continue
			}
			if !isLatin(word) {
				// A word of the language's own script ends a command, as it ends a run.
				inCommand = false
				flush()
				continue
			}
			if word == "kubectl" {
				inCommand = true
			}
			if inCode || inCommand || kept(word, names) {
				flush()
				continue
			}
			run = append(run, word)
		}
		flush()
	}
	return runs
}

// splitWords cuts a line into words of Latin letters and into everything else, each backquote
// a word of its own.
func splitWords(line string) []string {
	var out []string
	var cur strings.Builder
	latin := false
	emit := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, r := range line {
		switch {
		case r == '`':
			emit()
			out = append(out, "`")
		case r < 0x80 && !unicode.IsSpace(r) && !strings.ContainsRune(`,;()"'!?<>|`, r):
			if !latin {
				emit()
			}
			latin = true
			cur.WriteRune(r)
		default:
			if latin {
				emit()
			}
			latin = false
			if !unicode.IsSpace(r) && !unicode.IsPunct(r) {
				cur.WriteRune(r)
			} else {
				emit()
			}
		}
	}
	emit()
	return out
}

// isLatin reports whether a word is ASCII with a letter in it.
func isLatin(word string) bool {
	letter := false
	for _, r := range word {
		if r >= 0x80 {
			return false
		}
		letter = letter || unicode.IsLetter(r)
	}
	return letter
}

func kept(word string, names map[string]bool) bool {
	w := strings.TrimRight(word, ".:")
	if w == "" || KeptTerms[w] || names[w] || names[word] {
		return true
	}
	if strings.ContainsAny(w, "0123456789./=:[]{}*@#$%&+~\\^") {
		return true
	}
	if strings.Contains(w, "-") {
		return true // a code or a name with hyphens: no-dns-rule, kube-system
	}
	if strings.ToUpper(w) == w {
		return true
	}
	return false
}
