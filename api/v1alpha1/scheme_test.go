package v1alpha1_test

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

func TestAddToSchemeRegistersEveryKindAndItsList(t *testing.T) {
	s := runtime.NewScheme()
	if err := workspacesv1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	// The kinds, and the options kinds metav1.AddToGroupVersion adds so the group can be listed and watched.
	for _, kind := range []string{
		"Tenant", "TenantList", "Integration", "IntegrationList", "DataRequest", "DataRequestList",
		"ListOptions", "WatchEvent",
	} {
		if !s.Recognizes(workspacesv1alpha1.GroupVersion.WithKind(kind)) {
			t.Errorf("the scheme does not know %s", kind)
		}
	}
}
