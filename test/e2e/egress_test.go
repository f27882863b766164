//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/test/e2e/realnode"
)

// Each kind of Job reaches exactly what its task needs, with the node enforcing the policies: probe Pods carry
// the labels the operator gives each Job's Pods and try every destination a Job could want.
func TestEachJobReachesOnlyWhatItsTaskNeeds(t *testing.T) {
	tn := newTenant(t, "egress", nil)
	ns := tn.Status.Namespace
	intg := integration(ns, "tiktok", workspacesv1alpha1.ProviderTikTokShop, s.TikTok.ShopID, "tiktok/main",
		[]string{"seller.product.basic", "seller.order.info", "seller.fulfillment.basic", "seller.logistics", "seller.return_refund.basic"})
	intg.Spec.Suspend = true
	must(t, s.C.Create(s.Ctx, intg), "creating Integration")
	eventually(t, 2*time.Minute, "Integration egress policy", func() (bool, string) {
		if err := s.C.Get(s.Ctx, client.ObjectKeyFromObject(intg), intg); err != nil {
			return false, err.Error()
		}
		return intg.Status.ObservedGeneration == intg.Generation, "not reconciled yet"
	})

	slice := &discoveryv1.EndpointSlice{}
	must(t, s.C.Get(s.Ctx, client.ObjectKey{Namespace: "default", Name: "kubernetes"}, slice), "reading the API server's endpoints")
	apiServer := net.JoinHostPort(slice.Endpoints[0].Addresses[0], fmt.Sprint(*slice.Ports[0].Port))
	svc := &corev1.Service{}
	must(t, s.C.Get(s.Ctx, client.ObjectKey{Namespace: "default", Name: "kubernetes"}, svc), "reading the kubernetes Service")
	// The way a Pod reaches the API server: the Service address, translated by kube-proxy to the endpoint.
	apiService := net.JoinHostPort(svc.Spec.ClusterIP, fmt.Sprint(svc.Spec.Ports[0].Port))
	database := net.JoinHostPort(realnode.DatabaseAddr, fmt.Sprint(realnode.DatabasePort))
	platform := net.JoinHostPort(realnode.TikTokAddr, "443")

	const taskLabel = "workspaces.alitok.ai/task"
	for _, c := range []struct {
		job    string
		labels map[string]string
		reach  map[string]bool
	}{
		{"sync", map[string]string{taskLabel: "sync", "workspaces.alitok.ai/integration": "tiktok"},
			map[string]bool{database: true, platform: true, apiServer: false, apiService: false}},
		{"erase, rectify, purge, retention", map[string]string{taskLabel: "erase"},
			map[string]bool{database: true, platform: false, apiServer: false, apiService: false}},
		{"export", map[string]string{taskLabel: "export"},
			map[string]bool{database: true, platform: false, apiServer: true, apiService: true}},
		{"a Pod that is no Job of the operator's", nil,
			map[string]bool{database: false, platform: false, apiServer: false, apiService: false}},
	} {
		p := newProber(t, ns, c.labels)
		for target, want := range c.reach {
			if got := p.reaches(t, target, want); got != want {
				t.Errorf("%s Pod → %s: connected %v, want %v", c.job, target, got, want)
			}
		}
	}
}
