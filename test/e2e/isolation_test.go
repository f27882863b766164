//go:build e2e

package e2e

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// Tenant isolation as the node enforces it: kube-router applies the operator's NetworkPolicies to real
// connections, and the API server's Pod Security admission refuses what `restricted` forbids.
func TestTenantIsolationIsEnforcedOnTheNode(t *testing.T) {
	a := newTenant(t, "iso-a", nil)
	b := newTenant(t, "iso-b", nil)
	outside := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-outside"}}
	must(t, s.C.Create(s.Ctx, outside), "creating namespace e2e-outside")
	t.Cleanup(func() { _ = s.C.Delete(s.Ctx, outside) })
	waitForDefaultServiceAccount(t, outside.Name)

	// Each prober also serves: a1 and a2 share tenant iso-a, bp is in tenant iso-b, out outside any tenant.
	a1, a2 := newProber(t, a.Status.Namespace, nil), newProber(t, a.Status.Namespace, nil)
	bp, out := newProber(t, b.Status.Namespace, nil), newProber(t, outside.Name, nil)

	if !a1.reaches(t, a2.addr(), true) {
		t.Errorf("a Pod cannot reach a Pod of its own tenant namespace (allow-same-namespace)")
	}
	if a1.reaches(t, bp.addr(), false) {
		t.Errorf("a Pod of tenant iso-a opened a connection to a Pod of tenant iso-b")
	}
	if a1.reaches(t, out.addr(), false) {
		t.Errorf("a Pod of tenant iso-a opened a connection to a Pod of a non-tenant namespace")
	}
	if out.reaches(t, a1.addr(), false) {
		t.Errorf("a Pod of a non-tenant namespace opened a connection to a Pod of tenant iso-a")
	}
	// The controls: every Pod refused above answers a Pod meant to reach it, so a refusal is the policies'
	// doing, not a server that is down.
	if !a2.reaches(t, a1.addr(), true) {
		t.Errorf("control failed: a Pod of tenant iso-a cannot reach its own namespace's Pod")
	}
	if !newProber(t, b.Status.Namespace, nil).reaches(t, bp.addr(), true) {
		t.Errorf("control failed: a Pod of tenant iso-b cannot reach its own namespace's Pod")
	}
	if !newProber(t, outside.Name, nil).reaches(t, out.addr(), true) {
		t.Errorf("control failed: a Pod cannot reach a Pod of its own non-tenant namespace")
	}

	privileged := probeContainer("serve")
	privileged.SecurityContext = &corev1.SecurityContext{Privileged: ptr.To(true)}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "privileged", Namespace: a.Status.Namespace},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{privileged}},
	}
	err := s.C.Create(s.Ctx, pod)
	if err == nil || !strings.Contains(err.Error(), "violates PodSecurity") {
		t.Errorf("a privileged Pod in a tenant namespace: want refused by Pod Security restricted, got %v", err)
	}
}
