package labs

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// listenPort finds the ports a lab container's command serves: BusyBox httpd's -p and nc's -l -p.
var listenPort = regexp.MustCompile(`(?:httpd|nc)\s[^;&|]*?-p\s+(\d+)`)

// Every goal row that probes a pod probes a port that pod serves: it declares the port, and
// the command of the container that declares it listens there. A live row to a port nobody
// serves is refused whatever the policies say, so it could never show a block. So in every
// variant too (here the first 20), whose ports are renamed.
func TestEveryGoalPortIsServed(t *testing.T) {
	catalog, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, lab := range catalog {
		for variant := range 21 {
			servedIn(t, lab, variant)
		}
	}
}

func servedIn(t *testing.T, lab *Lab, variant int) {
	t.Helper()
	{
		r, err := lab.Render(Options{Variant: variant})
		if err != nil {
			t.Fatal(err)
		}
		pods := map[string]*corev1.Pod{}
		for _, u := range r.Setup {
			if u.GetKind() != "Pod" {
				continue
			}
			var p corev1.Pod
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &p); err != nil {
				t.Fatal(err)
			}
			pods[p.Namespace+"/"+p.Name] = &p
		}
		for _, g := range r.Goal {
			pod := pods[g.To]
			if pod == nil {
				continue // kube-dns or an address outside the cluster
			}
			if err := serves(pod, int32(g.Port), g.Proto()); err != nil {
				t.Errorf("%s variant %d: goal row %s -> %s %d/%s: %v", lab.Name, variant, g.From, g.To, g.Port, g.Proto(), err)
			}
		}
	}
}

func serves(pod *corev1.Pod, port int32, proto corev1.Protocol) error {
	for _, c := range pod.Spec.Containers {
		declared := slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool {
			return p.ContainerPort == port && (p.Protocol == proto || p.Protocol == "" && proto == corev1.ProtocolTCP)
		})
		if !declared {
			continue
		}
		for _, m := range listenPort.FindAllStringSubmatch(strings.Join(append(slices.Clone(c.Command), c.Args...), " "), -1) {
			if m[1] == fmt.Sprint(port) {
				return nil
			}
		}
		return fmt.Errorf("container %s declares the port but its command does not listen there", c.Name)
	}
	return fmt.Errorf("no container declares it")
}
