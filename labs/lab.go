// Package labs holds the lab catalog (embedded in the binary) and the lab lifecycle: provision,
// wait, status and teardown. A lab is a folder under catalog/ with lab.yaml (the story: task,
// steps, hints, goal) and manifests in setup/ and solution/. Manifests and texts are templates:
// {{ns "web"}} is the lab's namespace "web" (renamed with --namespace-suffix), {{image "client"}}
// the image for a role, so that one lab runs under other names and from mirrored registries.
package labs

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-netpol/kubectl-netpol/lang"
)

// Ownership labels: everything a lab creates carries both, and `lab down` deletes by them only.
const (
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedByValue = "kubectl-netpol"
	LabLabel       = "netpol.lab/name"
)

// Levels, easiest first.
var Levels = []string{"beginner", "intermediate", "advanced"}

// Lab is one lab as written in its folder, before rendering: the structure from lab.yaml, the
// English texts (Title, Summary, Task, Steps, Hints) from texts/en.yaml, and the same texts in
// every other language from texts/LANG.yaml (Text).
type Lab struct {
	Name       string       `json:"name"`
	Level      string       `json:"level"`
	Topics     []string     `json:"topics"`
	Namespaces []string     `json:"namespaces"`
	Goal       []Connection `json:"goal"`
	Vary       Vary         `json:"variant"` // what a variant renames (variant.go)
	Texts                   // in English

	texts           map[lang.Lang]Texts
	setup, solution []manifestFile
}

// Texts are a lab's words for people, in one language: texts/LANG.yaml. Every language has
// the same items (as many steps and hints as the English), each with the same placeholders
// ({{ns "web"}}) as the English one.
type Texts struct {
	Title   string   `json:"title"`
	Summary string   `json:"summary"` // the goal in one line, for `lab list`
	Task    string   `json:"task"`
	Steps   []string `json:"steps"`
	Hints   []string `json:"hints"`
}

// Text returns the lab's texts in l; English for an empty l.
func (l *Lab) Text(lg lang.Lang) Texts {
	if t, ok := l.texts[lg.Or()]; ok {
		return t
	}
	return l.Texts
}

// Connection is one row of a lab's goal: whether From may open a connection to To on Port.
// From and To are "namespace/pod" (namespaces as the lab names them, before any suffix) or,
// for traffic leaving the cluster, an IP address.
type Connection struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol"`
	Allowed  bool   `json:"allowed"`
}

// Proto is the row's protocol: TCP when the goal names none (the catalog writes it in when it
// loads a lab; rows made elsewhere may lack it).
func (c Connection) Proto() corev1.Protocol {
	if c.Protocol == "" {
		return corev1.ProtocolTCP
	}
	return corev1.Protocol(strings.ToUpper(c.Protocol))
}

type manifestFile struct {
	path string
	text string
}

// labelSelector selects everything lab name created.
func labelSelector(name string) string {
	return ManagedByLabel + "=" + ManagedByValue + "," + LabLabel + "=" + name
}

// ownedBy reports whether labels mark an object as created by lab name.
func ownedBy(labels map[string]string, name string) bool {
	return labels[ManagedByLabel] == ManagedByValue && labels[LabLabel] == name
}

func (l *Lab) validate() error {
	var problems []string
	add := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	if l.Title == "" || l.Summary == "" || l.Task == "" {
		add("title, summary and task are required")
	}
	if !contains(Levels, l.Level) {
		add("level %q is not one of %v", l.Level, Levels)
	}
	if len(l.Topics) == 0 {
		add("no topics")
	}
	if len(l.Steps) == 0 {
		add("no steps")
	}
	if len(l.Hints) < 2 {
		add("%d hints, want at least 2", len(l.Hints))
	}
	if len(l.Namespaces) == 0 {
		add("no namespaces")
	}
	if len(l.Goal) == 0 {
		add("no goal")
	}
	for i, c := range l.Goal {
		if c.From == "" || c.To == "" || c.Port <= 0 || c.Port > 65535 {
			add("goal[%d] needs from, to and a port", i)
		}
		if c.Protocol != "TCP" && c.Protocol != "UDP" && c.Protocol != "SCTP" {
			add("goal[%d] protocol %q: want TCP, UDP or SCTP", i, c.Protocol)
		}
	}
	if len(l.setup) == 0 || len(l.solution) == 0 {
		add("setup/ and solution/ need at least one manifest each")
	}
	if len(problems) > 0 {
		return fmt.Errorf("lab %s: %s", l.Name, strings.Join(problems, "; "))
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// KubeDNS, as a goal endpoint, stands for the cluster DNS pods (k8s-app=kube-dns in kube-system),
// whatever they are called in a given cluster.
const KubeDNS = "kube-dns"
