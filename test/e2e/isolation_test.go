//go:build e2e

package e2e

import (
	"net"
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

	aIP := startServer(t, a.Status.Namespace, "server")
	bIP := startServer(t, b.Status.Namespace, "server")
	outIP := startServer(t, outside.Name, "server")
	port := func(ip string) string { return net.JoinHostPort(ip, "8080") }

	inA, outsider := newProber(t, a.Status.Namespace, nil), newProber(t, outside.Name, nil)
	if !inA.reaches(t, port(aIP), true) {
		t.Errorf("a Pod cannot reach a Pod of its own tenant namespace (allow-same-namespace)")
	}
	if inA.reaches(t, port(bIP), false) {
		t.Errorf("a Pod of tenant iso-a opened a connection to a Pod of tenant iso-b")
	}
	if inA.reaches(t, port(outIP), false) {
		t.Errorf("a Pod of tenant iso-a opened a connection to a Pod of a non-tenant namespace")
	}
	if outsider.reaches(t, port(aIP), false) {
		t.Errorf("a Pod of a non-tenant namespace opened a connection to a Pod of tenant iso-a")
	}
	// The controls: every server refused above answers a Pod it is meant to, so a refusal is the policies'
	// doing, not a server that is down.
	if !newProber(t, b.Status.Namespace, nil).reaches(t, port(bIP), true) {
		t.Errorf("control failed: a Pod of tenant iso-b cannot reach its own namespace's server")
	}
	if !outsider.reaches(t, port(outIP), true) {
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
