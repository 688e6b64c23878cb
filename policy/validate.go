package policy

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"
)

// Validate checks a NetworkPolicy read from a file as the API server checks one it is asked to
// create (Kubernetes' ValidateNetworkPolicy, v1.36), so that a policy `kubectl apply` would refuse
// is refused here too, with the server's own field paths and messages, in the server's order.
//
// Two things differ from the server on purpose: a policy without a namespace is not an error
// (kubectl takes the namespace from the context), and a policy with only generateName is
// checked with a stand-in for the name the server would generate.
func Validate(np *networkingv1.NetworkPolicy) field.ErrorList {
	errs := validateMeta(&np.ObjectMeta, field.NewPath("metadata"))
	return append(errs, validateSpec(&np.Spec, field.NewPath("spec"))...)
}

// standardFinalizers are the finalizer names Kubernetes allows without a "domain/" prefix.
var standardFinalizers = map[string]bool{
	string(corev1.FinalizerKubernetes): true,
	metav1.FinalizerOrphanDependents:   true,
	metav1.FinalizerDeleteDependents:   true,
}

// validateMeta holds the ObjectMeta rules: the name is a DNS subdomain, the namespace a DNS
// label, and labels, annotations, owner references, finalizers and managed fields are well
// formed (apimachinery's ValidateObjectMeta, which the server runs, plus the server's own
// finalizer rule).
func validateMeta(m *metav1.ObjectMeta, path *field.Path) field.ErrorList {
	if m.Name == "" && m.GenerateName != "" {
		// The server names the object before it validates it: generateName cut to 58
		// characters plus 5 random ones (consonants and digits, always valid). A fixed
		// suffix gives the same verdict; only the value quoted in an error differs.
		named := *m
		named.Name = m.GenerateName[:min(len(m.GenerateName), 58)] + "xxxxx"
		m = &named
	}
	// Asking for a namespace only when one is set: an empty one is filled in by kubectl, while
	// requiresNamespace=false would forbid any namespace at all.
	errs := apimachineryvalidation.ValidateObjectMeta(m, m.Namespace != "", apimachineryvalidation.NameIsDNSSubdomain, path)
	for i, f := range m.Finalizers {
		if !strings.Contains(f, "/") && !standardFinalizers[f] {
			errs = append(errs, field.Invalid(path.Child("finalizers").Index(i), f, "name is neither a standard finalizer name nor is it fully qualified"))
		}
	}
	return errs
}

// selectorOptions are the label selector rules for a new policy: label values in
// matchExpressions must be valid too (the server relaxes that only on updates of a policy
// whose podSelector was already invalid).
var selectorOptions = metav1validation.LabelSelectorValidationOptions{}

func validateSpec(spec *networkingv1.NetworkPolicySpec, path *field.Path) field.ErrorList {
	errs := metav1validation.ValidateLabelSelector(&spec.PodSelector, selectorOptions, path.Child("podSelector"))
	// In each rule the server checks the ports before the peers.
	for i, rule := range spec.Ingress {
		rulePath := path.Child("ingress").Index(i)
		for j := range rule.Ports {
			errs = append(errs, validatePort(&rule.Ports[j], rulePath.Child("ports").Index(j))...)
		}
		for j := range rule.From {
			errs = append(errs, validatePeer(&rule.From[j], rulePath.Child("from").Index(j))...)
		}
	}
	for i, rule := range spec.Egress {
		rulePath := path.Child("egress").Index(i)
		for j := range rule.Ports {
			errs = append(errs, validatePort(&rule.Ports[j], rulePath.Child("ports").Index(j))...)
		}
		for j := range rule.To {
			errs = append(errs, validatePeer(&rule.To[j], rulePath.Child("to").Index(j))...)
		}
	}
	return append(errs, validatePolicyTypes(spec.PolicyTypes, path.Child("policyTypes"))...)
}

// validatePolicyTypes: at most two entries, each Ingress or Egress. A repeated entry
// (Ingress, Ingress) is accepted by the server, so it is here.
func validatePolicyTypes(types []networkingv1.PolicyType, path *field.Path) field.ErrorList {
	if len(types) > 2 {
		// The server reports the whole list and checks nothing else about it.
		return field.ErrorList{field.Invalid(path, &types, "may not specify more than two policyTypes")}
	}
	var errs field.ErrorList
	for i, t := range types {
		if t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress {
			errs = append(errs, field.NotSupported(path.Index(i), t, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}))
		}
	}
	return errs
}

// validatePort: the protocol (when set; it defaults to TCP) is TCP, UDP or SCTP; a numeric port
// is 1-65535 and a named one an IANA_SVC_NAME; endPort needs a numeric port, is itself 1-65535
// and is not below port.
func validatePort(port *networkingv1.NetworkPolicyPort, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if p := port.Protocol; p != nil && *p != corev1.ProtocolTCP && *p != corev1.ProtocolUDP && *p != corev1.ProtocolSCTP {
		errs = append(errs, field.NotSupported(path.Child("protocol"), *p, []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}))
	}
	portPath, endPath := path.Child("port"), path.Child("endPort")
	switch {
	case port.Port == nil:
		if port.EndPort != nil {
			errs = append(errs, field.Invalid(endPath, *port.EndPort, "may not be specified when `port` is not specified"))
		}
	case port.Port.Type == intstr.Int:
		for _, msg := range utilvalidation.IsValidPortNum(int(port.Port.IntVal)) {
			errs = append(errs, field.Invalid(portPath, port.Port.IntVal, msg))
		}
		if port.EndPort != nil {
			if *port.EndPort < port.Port.IntVal {
				// The v1.36 server quotes the port's value here, not endPort's (newer
				// releases quote endPort); the message is the server's, so is the value.
				errs = append(errs, field.Invalid(endPath, port.Port.IntVal, "must be greater than or equal to `port`"))
			}
			for _, msg := range utilvalidation.IsValidPortNum(int(*port.EndPort)) {
				errs = append(errs, field.Invalid(endPath, *port.EndPort, msg))
			}
		}
	default: // a named port: a range cannot end at a name
		if port.EndPort != nil {
			errs = append(errs, field.Invalid(endPath, *port.EndPort, "may not be specified when `port` is non-numeric"))
		}
		for _, msg := range utilvalidation.IsValidPortName(port.Port.StrVal) {
			errs = append(errs, field.Invalid(portPath, port.Port.StrVal, msg))
		}
	}
	return errs
}

// validatePeer: a peer names something, and an ipBlock stands alone. podSelector and
// namespaceSelector together are one peer (pods in those namespaces), not two.
func validatePeer(peer *networkingv1.NetworkPolicyPeer, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	kinds := 0
	if peer.PodSelector != nil {
		kinds++
		errs = append(errs, metav1validation.ValidateLabelSelector(peer.PodSelector, selectorOptions, path.Child("podSelector"))...)
	}
	if peer.NamespaceSelector != nil {
		kinds++
		errs = append(errs, metav1validation.ValidateLabelSelector(peer.NamespaceSelector, selectorOptions, path.Child("namespaceSelector"))...)
	}
	if peer.IPBlock != nil {
		kinds++
		errs = append(errs, validateIPBlock(peer.IPBlock, path.Child("ipBlock"))...)
	}
	if kinds == 0 {
		errs = append(errs, field.Required(path, "must specify a peer"))
	} else if kinds > 1 && peer.IPBlock != nil {
		errs = append(errs, field.Forbidden(path, "may not specify both ipBlock and another peer"))
	}
	return errs
}

// validateIPBlock: cidr is required and a CIDR; each except is a CIDR strictly inside cidr
// (a longer prefix within it, so of the same IP family). Since v1.36 the server parses CIDRs
// strictly (the StrictIPCIDRValidation gate is on by default): no leading zeros, no
// IPv4-mapped IPv6 addresses, no bits set past the prefix length ("10.0.0.1/24"). Older
// servers accepted those. A malformed cidr stops the check of the excepts; a malformed
// except skips only its subset test, as on the server.
func validateIPBlock(block *networkingv1.IPBlock, path *field.Path) field.ErrorList {
	cidrPath := path.Child("cidr")
	if block.CIDR == "" {
		return field.ErrorList{field.Required(cidrPath, "")}
	}
	errs := utilvalidation.IsValidCIDRForLegacyField(cidrPath, block.CIDR, true, nil)
	// Sloppy parsing, as the server's subset test uses: a value refused above only for its
	// form (leading zeros, host bits) is still compared with the excepts.
	_, outer, err := netutils.ParseCIDRSloppy(block.CIDR)
	if err != nil {
		return errs
	}
	outerBits, _ := outer.Mask.Size()
	for i, except := range block.Except {
		exceptPath := path.Child("except").Index(i)
		errs = append(errs, utilvalidation.IsValidCIDRForLegacyField(exceptPath, except, true, nil)...)
		_, inner, err := netutils.ParseCIDRSloppy(except)
		if err != nil {
			continue
		}
		innerBits, _ := inner.Mask.Size()
		if !outer.Contains(inner.IP) || innerBits <= outerBits {
			errs = append(errs, field.Invalid(exceptPath, except, "must be a strict subset of `cidr`"))
		}
	}
	return errs
}
