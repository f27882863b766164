package v1alpha1_test

import (
	"os"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

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

// The schedule field's CEL rule spells out CronSchedulePattern: the generated CRD must carry exactly it.
func TestTheScheduleRuleIsCronSchedulePattern(t *testing.T) {
	raw, err := os.ReadFile("../../config/crd/bases/workspaces.alitok.ai_integrations.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := yaml.YAMLToJSON(raw) // the generator folds long lines
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "self.matches('"+workspacesv1alpha1.CronSchedulePattern+"')") {
		t.Error("the Integration CRD's schedule rule is not CronSchedulePattern: change both together")
	}
}
