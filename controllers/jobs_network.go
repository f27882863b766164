package controllers

import (
	"context"
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// +kubebuilder:rbac:groups=discovery.k8s.io,resources=endpointslices,verbs=get,resourceNames=kubernetes

// APIServerEgress returns egress rules that reach the Kubernetes API server: the addresses and port of the
// `kubernetes` Service's EndpointSlice in `default`, which the API server itself keeps. NetworkPolicies see a
// connection after the Service's address is translated, so a rule must name the endpoints, not the Service.
func APIServerEgress(ctx context.Context, r client.Reader) ([]networkingv1.NetworkPolicyEgressRule, error) {
	slice := &discoveryv1.EndpointSlice{}
	if err := r.Get(ctx, client.ObjectKey{Namespace: "default", Name: "kubernetes"}, slice); err != nil {
		return nil, fmt.Errorf("reading the API server's addresses (EndpointSlice default/kubernetes): %w", err)
	}
	return apiServerEgressFrom(slice)
}

func apiServerEgressFrom(slice *discoveryv1.EndpointSlice) ([]networkingv1.NetworkPolicyEgressRule, error) {
	var rule networkingv1.NetworkPolicyEgressRule
	for _, ep := range slice.Endpoints {
		for _, a := range ep.Addresses {
			addr, err := netip.ParseAddr(a)
			if err != nil {
				return nil, fmt.Errorf("EndpointSlice default/kubernetes: address %q: %w", a, err)
			}
			rule.To = append(rule.To, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{
				CIDR: netip.PrefixFrom(addr, addr.BitLen()).String(),
			}})
		}
	}
	for _, p := range slice.Ports {
		if p.Port == nil {
			continue
		}
		port := intstr.FromInt32(*p.Port)
		rule.Ports = append(rule.Ports, networkingv1.NetworkPolicyPort{Protocol: ptr.To(corev1.ProtocolTCP), Port: &port})
	}
	if len(rule.To) == 0 || len(rule.Ports) == 0 {
		return nil, fmt.Errorf("EndpointSlice default/kubernetes lists no address or port")
	}
	return []networkingv1.NetworkPolicyEgressRule{rule}, nil
}
