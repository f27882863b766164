//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/test/e2e/realnode"
)

// Each kind of Job reaches exactly what its task needs, with the node enforcing the policies: probe Pods carry
// the Pod labels of each kind of the operator's Jobs — taken from the operator's own CronJobs where they exist —
// and try every destination a Job could want. Every destination is reached by at least one of them, so a
// refusal is the policies' doing, not a host that is down.
func TestEachJobReachesOnlyWhatItsTaskNeeds(t *testing.T) {
	tn := newTenant(t, "egress", func(tn *workspacesv1alpha1.Tenant) {
		tn.Spec.Retention = []workspacesv1alpha1.RetentionRule{{Category: workspacesv1alpha1.CategoryLogs, KeepDays: 30}}
	})
	ns := tn.Status.Namespace
	intg := integration(ns, "tiktok", workspacesv1alpha1.ProviderTikTokShop, s.TikTok.ShopID, "tiktok/main")
	intg.Spec.Suspend = true
	must(t, s.C.Create(s.Ctx, intg), "creating Integration")
	podLabelsOf := func(name string) map[string]string {
		cj := &batchv1.CronJob{}
		eventually(t, 2*time.Minute, "CronJob "+name, func() (bool, string) {
			err := s.C.Get(s.Ctx, client.ObjectKey{Namespace: ns, Name: name}, cj)
			return err == nil, fmt.Sprint(err)
		})
		return cj.Spec.JobTemplate.Spec.Template.Labels
	}
	sync, retention, refresh := podLabelsOf("tiktok-orders"), podLabelsOf("retention"), podLabelsOf("tiktok-refresh")
	// No object of these kinds exists without running one; their Pod labels as the operator writes them.
	operatorPod := func(component, task string, extra map[string]string) map[string]string {
		l := map[string]string{"app.kubernetes.io/managed-by": "workspace-operator", "workspaces.alitok.ai/tenant": "egress",
			"app.kubernetes.io/component": component, "workspaces.alitok.ai/task": task}
		for k, v := range extra {
			l[k] = v
		}
		return l
	}
	purge := operatorPod("purge", "purge", map[string]string{"workspaces.alitok.ai/integration": "tiktok"})
	erase := operatorPod("data-request", "erase", map[string]string{"workspaces.alitok.ai/datarequest": "probe"})
	export := operatorPod("data-request", "export", map[string]string{"workspaces.alitok.ai/datarequest": "probe"})

	slice := &discoveryv1.EndpointSlice{}
	must(t, s.C.Get(s.Ctx, client.ObjectKey{Namespace: "default", Name: "kubernetes"}, slice), "reading the API server's endpoints")
	apiServer := net.JoinHostPort(slice.Endpoints[0].Addresses[0], fmt.Sprint(*slice.Ports[0].Port))
	svc := &corev1.Service{}
	must(t, s.C.Get(s.Ctx, client.ObjectKey{Namespace: "default", Name: "kubernetes"}, svc), "reading the kubernetes Service")
	// The way a Pod reaches the API server: the Service address, translated by kube-proxy to the endpoint.
	apiService := net.JoinHostPort(svc.Spec.ClusterIP, fmt.Sprint(svc.Spec.Ports[0].Port))
	database := net.JoinHostPort(realnode.DatabaseAddr, fmt.Sprint(realnode.DatabasePort))
	platform := net.JoinHostPort(realnode.TikTokAddr, "443")

	for _, c := range []struct {
		job   string
		p     *prober
		reach map[string]bool
	}{
		{"sync", newJobProber(t, ns, sync), map[string]bool{database: true, platform: true, apiServer: false, apiService: false}},
		{"token refresh", newJobProber(t, ns, refresh), map[string]bool{database: false, platform: true, apiServer: true, apiService: true}},
		{"retention", newJobProber(t, ns, retention), map[string]bool{database: true, platform: false, apiServer: false, apiService: false}},
		{"purge on disconnect", newJobProber(t, ns, purge), map[string]bool{database: true, platform: false, apiServer: false, apiService: false}},
		{"erase (rectify alike)", newJobProber(t, ns, erase), map[string]bool{database: true, platform: false, apiServer: false, apiService: false}},
		{"export", newJobProber(t, ns, export), map[string]bool{database: true, platform: false, apiServer: true, apiService: true}},
		// Not the operator's: the same task label on a Pod someone else made opens nothing.
		{"a Pod that is no Job of the operator's, labelled as an export", newProber(t, ns, map[string]string{"workspaces.alitok.ai/task": "export"}),
			map[string]bool{database: false, platform: false, apiServer: false, apiService: false}},
	} {
		for target, want := range c.reach {
			if got := c.p.reaches(t, target, want); got != want {
				t.Errorf("%s Pod → %s: connected %v, want %v", c.job, target, got, want)
			}
		}
	}
}
