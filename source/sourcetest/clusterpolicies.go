package sourcetest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// WriteClusterPolicies writes count cluster-scoped policies for WriteCluster(b, namespaces)'s
// cluster into dir, as one file (cluster-policies.yaml), and returns its path. The same
// arguments always give the same file.
//
// They are what a cluster's administrators write, in a mix that exercises every part of the
// tier's evaluation: the Admin tier (about four in five) with Deny, Accept and Pass rules whose
// subjects are namespaces (by name, team, env) or pods (a namespace's app), whose peers are
// namespaces, pods, networks (outside addresses, and the pod network as a whole), on a port, a
// range, a named port or a whole protocol; and the Baseline tier's defaults per group of
// namespaces (a team, an env, one namespace): accept from the group, deny the rest. A few are
// AdminNetworkPolicies (v1alpha1) and one is the BaselineAdminNetworkPolicy "default". Every
// policy has a priority of its own in its tier, so that none overlaps another of the same
// priority.
func WriteClusterPolicies(b testing.TB, dir string, namespaces, count int) string {
	b.Helper()
	path := filepath.Join(dir, "cluster-policies.yaml")
	if err := os.WriteFile(path, []byte(ClusterPoliciesYAML(namespaces, count)), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// ClusterPoliciesYAML is WriteClusterPolicies's file.
func ClusterPoliciesYAML(namespaces, count int) string {
	if namespaces < 1 {
		namespaces = 1
	}
	var w strings.Builder
	ns := func(k int) string { return fmt.Sprintf("ns-%04d", k%namespaces) }
	team := func(k int) string { return fmt.Sprintf("team-%d", k%10) }
	env := func(k int) string { return []string{"prod", "staging", "dev"}[k%3] }
	admin, baseline := 0, 0 // priorities given so far in each tier
	used := map[string]int{}
	unique := func(name string) string { // the groups come round again past 10 teams, n namespaces
		used[name]++
		if n := used[name]; n > 1 {
			return fmt.Sprintf("%s-%d", name, n)
		}
		return name
	}
	doc := func(name, tier, spec string) {
		name = unique(name)
		prio := &admin
		if tier == "Baseline" {
			prio = &baseline
		}
		// 0 to 1000: spread out, one each.
		p := *prio * 1000 / max(count, 1)
		*prio++
		fmt.Fprintf(&w, "---\napiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata: {name: %s}\nspec:\n  tier: %s\n  priority: %d\n%s", name, tier, p, spec)
	}
	anp := func(name, spec string) {
		name = unique(name)
		p := admin * 1000 / max(count, 1)
		admin++
		fmt.Fprintf(&w, "---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: %s}\nspec:\n  priority: %d\n%s", name, p, spec)
	}
	written := 0
	add := func(f func()) {
		if written < count {
			f()
			written++
		}
	}

	// The cluster-wide ones first: the lowest priorities.
	add(func() {
		doc("deny-cloud-metadata", "Admin", `  subject: {namespaces: {}}
  egress:
  - name: metadata
    action: Deny
    to: [{networks: [169.254.169.254/32, "fd00:ec2::254/128"]}]
`)
	})
	add(func() {
		doc("allow-dns", "Admin", `  subject: {namespaces: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system]}]}}
  egress:
  - name: kube-dns
    action: Accept
    to: [{pods: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}}]
    protocols: [{udp: {destinationPort: {number: 53}}}, {tcp: {destinationPort: {number: 53}}}]
`)
	})
	add(func() {
		doc("monitoring-scrape", "Admin", `  subject: {namespaces: {}}
  ingress:
  - name: prometheus
    action: Pass
    from: [{pods: {namespaceSelector: {matchLabels: {team: team-0}}, podSelector: {matchLabels: {app: web}}}}]
    protocols: [{destinationNamedPort: metrics}]
`)
	})
	add(func() {
		doc("shield-prod-from-dev", "Admin", `  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress:
  - name: from-dev
    action: Deny
    from: [{namespaces: {matchLabels: {env: dev}}}]
  egress:
  - name: to-dev
    action: Deny
    to: [{namespaces: {matchLabels: {env: dev}}}]
`)
	})
	add(func() {
		doc("deny-ssh-out", "Admin", `  subject: {namespaces: {}}
  egress:
  - name: ssh
    action: Deny
    to: [{networks: [0.0.0.0/0]}]
    protocols: [{tcp: {destinationPort: {number: 22}}}, {tcp: {destinationPort: {range: {start: 2222, end: 2229}}}}]
`)
	})

	// Then, round the namespaces, teams and envs, per group of namespaces; the last is the
	// BaselineAdminNetworkPolicy.
	for k := 0; written < count-1; k++ {
		switch k % 12 {
		case 0: // a namespace's database: its api only, nobody else
			add(func() {
				doc(fmt.Sprintf("%s-db-lockdown", ns(k)), "Admin", fmt.Sprintf(`  subject: {pods: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %[1]s}}, podSelector: {matchLabels: {app: db}}}}
  ingress:
  - name: from-api
    action: Accept
    from: [{pods: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %[1]s}}, podSelector: {matchLabels: {app: api}}}}]
    protocols: [{tcp: {destinationPort: {number: 8080}}}]
  - name: from-anyone-else
    action: Deny
    from: [{namespaces: {}}]
    protocols: [{tcp: {destinationPort: {range: {start: 1, end: 32767}}}}]
`, ns(k)))
			})
		case 1: // a team's namespaces: other teams' dev namespaces denied on the app ports
			add(func() {
				doc(fmt.Sprintf("%s-from-dev", team(k)), "Admin", fmt.Sprintf(`  subject: {namespaces: {matchLabels: {team: %s}}}
  ingress:
  - name: other-teams-dev
    action: Deny
    from: [{namespaces: {matchExpressions: [{key: team, operator: NotIn, values: [%[1]s]}, {key: env, operator: In, values: [dev]}]}}]
    protocols: [{tcp: {destinationPort: {range: {start: 8000, end: 9999}}}}]
`, team(k)))
			})
		case 2: // a namespace's egress: partners accepted, a range denied, the rest passed
			add(func() {
				doc(fmt.Sprintf("%s-egress", ns(k)), "Admin", fmt.Sprintf(`  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: %s}}}
  egress:
  - name: partners
    action: Accept
    to: [{networks: [192.0.2.0/25, 198.51.100.0/24]}]
    protocols: [{tcp: {destinationPort: {number: 443}}}]
  - name: blocked-range
    action: Deny
    to: [{networks: [203.0.113.0/24]}]
  - name: the-rest
    action: Pass
    to: [{networks: [0.0.0.0/0]}]
`, ns(k)))
			})
		case 3: // web of an env: the next namespace's api passed on to its NetworkPolicies
			add(func() {
				doc(fmt.Sprintf("%s-web-to-%s", ns(k), ns(k+1)), "Admin", fmt.Sprintf(`  subject: {pods: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %s}}, podSelector: {matchLabels: {app: web}}}}
  egress:
  - name: next-api
    action: Pass
    to: [{pods: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %s}}, podSelector: {matchLabels: {app: api}}}}]
    protocols: [{destinationNamedPort: http}]
  - name: other-envs
    action: Deny
    to: [{namespaces: {matchExpressions: [{key: env, operator: NotIn, values: [%s]}]}}]
    protocols: [{tcp: {destinationPort: {number: 9090}}}]
`, ns(k), ns(k+1), env(k)))
			})
		case 4: // a team's cache: its own team only, on any TCP port
			add(func() {
				anp(fmt.Sprintf("%s-cache", team(k)), fmt.Sprintf(`  subject: {pods: {namespaceSelector: {matchLabels: {team: %[1]s}}, podSelector: {matchLabels: {app: cache}}}}
  ingress:
  - name: same-team
    action: Pass
    from: [{namespaces: {matchLabels: {team: %[1]s}}}]
  - name: other-teams
    action: Deny
    from: [{namespaces: {}}]
    ports: [{portRange: {start: 1, end: 65535, protocol: TCP}}]
`, team(k)))
			})
		case 5: // a namespace under audit: everything from outside it denied, but monitoring
			add(func() {
				doc(fmt.Sprintf("%s-audit", ns(k)), "Admin", fmt.Sprintf(`  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: %[1]s}}}
  ingress:
  - name: monitoring
    action: Accept
    from: [{namespaces: {matchLabels: {team: team-0}}}]
    protocols: [{tcp: {destinationPort: {number: 9090}}}]
  - name: outsiders
    action: Deny
    from: [{namespaces: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [%[1]s]}]}}]
    protocols: [{tcp: {}}, {udp: {}}]
`, ns(k)))
			})
		case 6: // a namespace's api and web to the pod network as a whole: passed
			add(func() {
				doc(fmt.Sprintf("%s-to-pod-network", ns(k)), "Admin", fmt.Sprintf(`  subject: {pods: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %s}}, podSelector: {matchExpressions: [{key: app, operator: In, values: [api, web]}]}}}
  egress:
  - name: pod-network
    action: Pass
    to: [{networks: [10.0.0.0/8]}]
    protocols: [{tcp: {destinationPort: {number: 8080}}}, {destinationNamedPort: metrics}]
`, ns(k)))
			})
		case 7: // Baseline: a team's namespaces accept their team, deny the rest
			add(func() {
				doc(fmt.Sprintf("%s-baseline", team(k)), "Baseline", fmt.Sprintf(`  subject: {namespaces: {matchLabels: {team: %[1]s}}}
  ingress:
  - name: same-team
    action: Accept
    from: [{namespaces: {matchLabels: {team: %[1]s}}}]
  - name: others
    action: Deny
    from: [{namespaces: {}}]
`, team(k)))
			})
		case 8: // Baseline: an env's egress to the other envs denied, on the app port
			add(func() {
				doc(fmt.Sprintf("%s-baseline-egress-%d", env(k), k), "Baseline", fmt.Sprintf(`  subject: {namespaces: {matchLabels: {env: %[1]s}}}
  egress:
  - name: same-env
    action: Accept
    to: [{namespaces: {matchLabels: {env: %[1]s}}}]
  - name: other-envs
    action: Deny
    to: [{namespaces: {}}]
    protocols: [{tcp: {destinationPort: {number: 8080}}}]
`, env(k)))
			})
		case 9: // Baseline: a namespace's db from its api only
			add(func() {
				doc(fmt.Sprintf("%s-db-baseline", ns(k)), "Baseline", fmt.Sprintf(`  subject: {pods: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %[1]s}}, podSelector: {matchLabels: {app: db}}}}
  ingress:
  - name: api
    action: Accept
    from: [{pods: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %[1]s}}, podSelector: {matchLabels: {app: api}}}}]
  - name: the-rest
    action: Deny
    from: [{namespaces: {}}, {pods: {namespaceSelector: {}, podSelector: {}}}]
`, ns(k)))
			})
		case 10: // a namespace's egress to the internet: HTTPS accepted, the rest denied
			add(func() {
				doc(fmt.Sprintf("%s-internet", ns(k)), "Admin", fmt.Sprintf(`  subject: {pods: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %s}}, podSelector: {matchLabels: {app: web}}}}
  egress:
  - name: https
    action: Accept
    to: [{networks: [0.0.0.0/0]}]
    protocols: [{tcp: {destinationPort: {number: 443}}}]
  - name: no-other-internet
    action: Deny
    to: [{networks: [0.0.0.0/1, 128.0.0.0/1]}]
    protocols: [{udp: {}}, {tcp: {destinationPort: {range: {start: 1, end: 442}}}}]
`, ns(k)))
			})
		case 11: // Baseline: one namespace accepts from itself, denies the others
			add(func() {
				doc(fmt.Sprintf("%s-baseline", ns(k)), "Baseline", fmt.Sprintf(`  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: %[1]s}}}
  ingress:
  - name: same-namespace
    action: Accept
    from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: %[1]s}}}]
  - name: others
    action: Deny
    from: [{namespaces: {}}]
`, ns(k)))
			})
		}
	}
	if written < count {
		w.WriteString(`---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system]}]}}
  ingress:
  - name: deny-all
    action: Deny
    from: [{namespaces: {}}]
`)
	}
	return w.String()
}
