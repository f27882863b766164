package controllers

import (
	"reflect"
	"testing"
	"unsafe"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Objects of 10,000 tenants repeat the same names, label keys and values: objects transformed together (no
// collection in between, as in an informer's initial list) keep one copy of each.
func TestTrimForCacheSharesRepeatedStringsAndKeepsTheirValues(t *testing.T) {
	build := func(uid string) *networkingv1.NetworkPolicy {
		// Strings built at run time, as decoding a watch event allocates each anew.
		tenant := string([]byte("t-0001"))
		return &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{
			Name: string([]byte("default-deny")), Namespace: "tenant-" + tenant, UID: types.UID("uid-" + uid),
			Labels:      map[string]string{string([]byte("workspaces.alitok.ai/tenant")): tenant},
			Annotations: map[string]string{string([]byte(AppliedAnnotation)): "hash-" + uid},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: string([]byte("workspaces.alitok.ai/v1alpha1")), Kind: string([]byte("Tenant")), Name: tenant,
			}},
		}}
	}
	a, b := build("a"), build("b")
	want := a.DeepCopy()
	for _, o := range []*networkingv1.NetworkPolicy{a, b} {
		if _, err := trimForCache(o); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(a.ObjectMeta, want.ObjectMeta) {
		t.Fatalf("metadata changed:\n got %+v\nwant %+v", a.ObjectMeta, want.ObjectMeta)
	}
	same := func(what, x, y string) {
		t.Helper()
		if unsafe.StringData(x) != unsafe.StringData(y) {
			t.Errorf("%s: two copies of %q", what, x)
		}
	}
	same("name", a.Name, b.Name)
	same("namespace", a.Namespace, b.Namespace)
	for k := range a.Labels {
		same("label value", a.Labels[k], b.Labels[k])
	}
	same("owner kind", a.OwnerReferences[0].Kind, b.OwnerReferences[0].Kind)
	same("owner name", a.OwnerReferences[0].Name, a.Labels["workspaces.alitok.ai/tenant"])
	if unsafe.StringData(a.Annotations[AppliedAnnotation]) == unsafe.StringData(b.Annotations[AppliedAnnotation]) {
		t.Error("different annotation values share a copy")
	}
}
