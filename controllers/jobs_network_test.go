package controllers

import (
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/config"
	"github.com/alitok/workspace-operator/internal/contract"
)

func TestJobEgressPoliciesSelectTasksAndCarryTheConfiguredRules(t *testing.T) {
	cfg := config.Default()
	port := intstr.FromInt32(5432)
	cfg.JobEgress.Database = []networkingv1.NetworkPolicyEgressRule{{
		To:    []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "192.0.2.20/32"}}},
		Ports: []networkingv1.NetworkPolicyPort{{Port: &port}}, // no protocol: the API server defaults TCP
	}}
	policies, err := desiredJobEgressPolicies(cfg, &workspacesv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "acme"}}, "tenant-acme")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]networkingv1.NetworkPolicy{}
	for _, p := range policies {
		raw, _ := json.Marshal(p)
		var np networkingv1.NetworkPolicy
		if err := json.Unmarshal(raw, &np); err != nil {
			t.Fatal(err)
		}
		got[np.Name] = np
	}
	db := got[networkPolicyJobDatabase]
	if sel := db.Spec.PodSelector.MatchExpressions; len(sel) != 1 || sel[0].Key != TaskLabel ||
		strings.Join(sel[0].Values, ",") != "erase,export,purge,rectify,retention,sync" {
		t.Errorf("database policy selects %+v, want every task touching tenant data", sel)
	}
	for _, np := range got {
		if np.Spec.PodSelector.MatchLabels[workspacesv1alpha1.ManagedByLabel] != workspacesv1alpha1.ManagedByValue {
			t.Errorf("%s selects Pods the operator does not manage too: %+v", np.Name, np.Spec.PodSelector)
		}
	}
	want := []networkingv1.NetworkPolicyEgressRule{{
		To:    []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "192.0.2.20/32"}}},
		Ports: []networkingv1.NetworkPolicyPort{{Protocol: ptr.To(corev1.ProtocolTCP), Port: &port}},
	}}
	if !equality.Semantic.DeepEqual(db.Spec.Egress, want) {
		t.Errorf("database egress = %+v, want %+v (TCP written out, so a steady state writes nothing)", db.Spec.Egress, want)
	}
	if db.Labels[workspacesv1alpha1.TenantLabel] != "acme" {
		t.Errorf("database policy lacks the tenant label: %v", db.Labels)
	}
	api := got[networkPolicyJobAPIServer]
	if sel := api.Spec.PodSelector.MatchExpressions; len(sel) != 1 || strings.Join(sel[0].Values, ",") != "export,refresh" {
		t.Errorf("API server policy selects %+v, want only export and refresh", sel)
	}
	if len(api.Spec.Egress) != 0 {
		t.Errorf("API server policy allows %+v with nothing configured", api.Spec.Egress)
	}
	if len(api.Spec.PolicyTypes) != 1 || api.Spec.PolicyTypes[0] != networkingv1.PolicyTypeEgress {
		t.Errorf("policy types %v, want Egress only (ingress stays default-deny)", api.Spec.PolicyTypes)
	}
}

func TestAPIServerEgressNamesTheEndpointsNotTheService(t *testing.T) {
	slice := &discoveryv1.EndpointSlice{
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.244.0.1"}}, {Addresses: []string{"fd00::1"}}},
		Ports:     []discoveryv1.EndpointPort{{Name: ptr.To("https"), Port: ptr.To[int32](6443)}},
	}
	rules, err := apiServerEgressFrom(slice)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 1 || len(rules[0].To) != 2 || rules[0].To[0].IPBlock.CIDR != "10.244.0.1/32" || rules[0].To[1].IPBlock.CIDR != "fd00::1/128" {
		t.Errorf("rules = %+v", rules)
	}
	if p := rules[0].Ports; len(p) != 1 || p[0].Port.IntValue() != 6443 || *p[0].Protocol != corev1.ProtocolTCP {
		t.Errorf("ports = %+v", p)
	}
	if _, err := apiServerEgressFrom(&discoveryv1.EndpointSlice{}); err == nil {
		t.Errorf("an EndpointSlice without addresses gave rules")
	}
}

func TestSyncJobsCallTheConfiguredAPIBaseURL(t *testing.T) {
	cfg := config.Default()
	p := cfg.Providers[workspacesv1alpha1.ProviderTikTokShop]
	p.APIBaseURL = "https://sandbox.example"
	cfg.Providers[workspacesv1alpha1.ProviderTikTokShop] = p
	i := &workspacesv1alpha1.Integration{ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: "tenant-acme"},
		Spec: workspacesv1alpha1.IntegrationSpec{Provider: workspacesv1alpha1.ProviderTikTokShop}}
	if got := syncRun(cfg, i, "acme", "", workspacesv1alpha1.FeatureOrders).inputs.(*contract.Sync).APIBaseURL; got != "https://sandbox.example" {
		t.Errorf("a TikTok Shop sync calls %q, not the configured API base URL", got)
	}
	i.Spec.Provider = workspacesv1alpha1.ProviderAliExpress
	if got := syncRun(cfg, i, "acme", "", workspacesv1alpha1.FeatureOrders).inputs.(*contract.Sync).APIBaseURL; got != "" {
		t.Errorf("an AliExpress sync was given another provider's base URL %q", got)
	}
}

// A NetworkPolicy cannot name hosts; the egress policy carries the provider's API hosts for a tool that can.
func TestEgressPolicyNamesTheProvidersHosts(t *testing.T) {
	cfg := config.Default()
	i := &workspacesv1alpha1.Integration{ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: "tenant-acme"},
		Spec: workspacesv1alpha1.IntegrationSpec{Provider: workspacesv1alpha1.ProviderTikTokShop}}
	got := desiredEgressPolicy(cfg, i, "acme").Annotations[workspacesv1alpha1.APIHostsAnnotation]
	if want := strings.Join(cfg.Providers[workspacesv1alpha1.ProviderTikTokShop].APIHosts, ","); got != want || got == "" {
		t.Errorf("%s = %q, want %q", workspacesv1alpha1.APIHostsAnnotation, got, want)
	}
}
