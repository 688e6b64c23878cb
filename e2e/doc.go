// Package e2e holds the real-packet tier: the plugin's live commands (lab check, probe, doctor's
// DNS lookup and --active) run against the local node whose pods have their own network
// namespaces and whose NetworkPolicies a real implementation (kube-router, deployed as its
// DaemonSet) enforces; the network plugin tests start nodes of their own where flannel connects
// the pods, alone (nothing enforces) or beside kube-router. Its tests skip, saying why, only under
// -short or where the machine cannot run that node.
package e2e
