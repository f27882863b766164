package admission_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/alitok/workspace-operator/internal/testenv"
)

const chartNamespace = "workspace-operator-system"

// renderChart runs helm template on the chart as the release workspace-operator in workspace-operator-system,
// the names config/ uses, with extra helm arguments.
func renderChart(t *testing.T, args ...string) []*unstructured.Unstructured {
	t.Helper()
	versions := toolVersions(t)
	helm := filepath.Join(testenv.Root(), "bin", "helm-"+versions["HELM_VERSION"])
	if _, err := os.Stat(helm); err != nil {
		t.Fatalf("no helm at %s: run hack/build-tools.sh helm (make test and make helm-check do)", helm)
	}
	cmd := exec.Command(helm, append([]string{"template", "workspace-operator", filepath.Join(testenv.Root(), "charts", "workspace-operator"),
		"--namespace", chartNamespace, "--kube-version", versions["KUBE_VERSION"]}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm template: %v\n%s", err, stderr.String())
	}
	return parseObjects(t, string(out))
}

func toolVersions(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.Root(), "hack", "tools.env"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && !strings.HasPrefix(line, "#") {
			out[k] = v
		}
	}
	return out
}

func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

func clusterRole(t *testing.T, u *unstructured.Unstructured) *rbacv1.ClusterRole {
	t.Helper()
	data, err := yaml.Marshal(u.Object)
	if err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.ClusterRole{}
	if err := yaml.Unmarshal(data, role); err != nil {
		t.Fatal(err)
	}
	return role
}

func TestChartClusterRolesEqualConfigRBAC(t *testing.T) {
	rendered := renderChart(t)
	rbacDir := filepath.Join(testenv.Root(), "config", "rbac")
	var want []*unstructured.Unstructured
	for _, file := range []string{"role.yaml", "tenant_roles.yaml"} {
		want = append(want, readObjects(t, filepath.Join(rbacDir, file))...)
	}
	for _, w := range want {
		got := find(rendered, "ClusterRole", w.GetName())
		if got == nil {
			t.Errorf("the chart renders no ClusterRole %s", w.GetName())
			continue
		}
		if g, w := clusterRole(t, got).Rules, clusterRole(t, w).Rules; !equality.Semantic.DeepEqual(g, w) {
			t.Errorf("ClusterRole %s: the chart's rules differ from config/rbac (run make manifests)\nchart:  %+v\nconfig: %+v", got.GetName(), g, w)
		}
	}
	var roles int
	for _, o := range rendered {
		if o.GetKind() == "ClusterRole" {
			roles++
		}
	}
	if roles != len(want) {
		t.Errorf("the chart renders %d ClusterRoles, config/rbac has %d", roles, len(want))
	}
}

func TestChartAdmissionPoliciesEqualConfig(t *testing.T) {
	rendered := renderChart(t)
	for _, file := range admissionFiles(t) {
		for _, w := range readObjects(t, file) {
			got := find(rendered, w.GetKind(), w.GetName())
			if got == nil {
				t.Errorf("the chart renders no %s %s", w.GetKind(), w.GetName())
				continue
			}
			if !equality.Semantic.DeepEqual(got.Object["spec"], w.Object["spec"]) {
				g, _ := yaml.Marshal(got.Object["spec"])
				c, _ := yaml.Marshal(w.Object["spec"])
				t.Errorf("%s %s: the chart's spec differs from %s\nchart:\n%s\nconfig:\n%s", w.GetKind(), w.GetName(), file, g, c)
			}
		}
	}
}

func TestChartAdmissionPoliciesFollowValues(t *testing.T) {
	rendered := renderChart(t, "--set", "config.secretStore.name=acme-store",
		"--set", "admission.externalSecretsServiceAccount.namespace=eso", "--set", "serviceAccount.name=op")
	spec, _ := yaml.Marshal(rendered)
	for _, want := range []string{"'SecretStore acme-store'", "system:serviceaccount:eso:external-secrets", "system:serviceaccount:" + chartNamespace + ":op'"} {
		if !bytes.Contains(spec, []byte(want)) {
			t.Errorf("the rendered policies do not contain %s", want)
		}
	}
	for _, o := range renderChart(t, "--set", "admission.enabled=false") {
		if strings.HasPrefix(o.GetKind(), "ValidatingAdmissionPolicy") {
			t.Errorf("admission.enabled=false still renders %s %s", o.GetKind(), o.GetName())
		}
	}
}

func TestChartCRDsEqualConfigCRDs(t *testing.T) {
	bases := filepath.Join(testenv.Root(), "config", "crd", "bases")
	chartCRDs := filepath.Join(testenv.Root(), "charts", "workspace-operator", "crds")
	want, err := filepath.Glob(filepath.Join(bases, "*.yaml"))
	if err != nil || len(want) == 0 {
		t.Fatalf("no CRDs in %s: %v", bases, err)
	}
	got, _ := filepath.Glob(filepath.Join(chartCRDs, "*.yaml"))
	if len(got) != len(want) {
		t.Errorf("the chart has %d CRDs, config/crd/bases %d (run make manifests)", len(got), len(want))
	}
	for _, w := range want {
		a, _ := os.ReadFile(w)
		b, err := os.ReadFile(filepath.Join(chartCRDs, filepath.Base(w)))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("the chart's %s differs from config/crd/bases (run make manifests)", filepath.Base(w))
		}
	}
}
