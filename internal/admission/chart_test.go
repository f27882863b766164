package admission_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/alitok/workspace-operator/internal/testenv"
)

const chartNamespace = "workspace-operator-system"

// renderChart runs helm template on the chart as the release workspace-operator in workspace-operator-system,
// the names config/ uses, with extra helm arguments.
func renderChart(t *testing.T, args ...string) []*unstructured.Unstructured {
	t.Helper()
	out, err := testenv.HelmTemplate("workspace-operator", chartNamespace, args...)
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	return parseObjects(t, string(out))
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
	for _, file := range []string{"role.yaml", "tenant_roles.yaml", "metrics_reader_role.yaml"} {
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
	rendered := renderChart(t, "--set-json", `config.secretStore={"name":"acme-store","remoteKeyPrefix":"t/${TENANT}/","spec":{"provider":{"fake":{"data":[{"key":"${TENANT}","value":"x"}]}}}}`,
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

// serviceAccount.create=false: no ServiceAccount of the chart's, and every binding and policy names the given one.
func TestChartExistingServiceAccount(t *testing.T) {
	rendered := renderChart(t, "--set", "serviceAccount.create=false", "--set", "serviceAccount.name=platform-op")
	for _, o := range rendered {
		if o.GetKind() == "ServiceAccount" {
			t.Errorf("serviceAccount.create=false still renders ServiceAccount %s", o.GetName())
		}
	}
	all, _ := yaml.Marshal(rendered)
	if !bytes.Contains(all, []byte("system:serviceaccount:"+chartNamespace+":platform-op'")) {
		t.Error("the admission policies do not allow the given ServiceAccount platform-op")
	}
	for _, kind := range []string{"ClusterRoleBinding", "RoleBinding"} {
		for _, o := range rendered {
			if o.GetKind() != kind {
				continue
			}
			subjects, _, _ := unstructured.NestedSlice(o.Object, "subjects")
			for _, s := range subjects {
				if name := s.(map[string]any)["name"]; name != "platform-op" {
					t.Errorf("%s %s binds %v, not platform-op", kind, o.GetName(), name)
				}
			}
		}
	}
	if dep := find(rendered, "Deployment", "workspace-operator"); dep == nil {
		t.Error("no Deployment")
	} else if sa, _, _ := unstructured.NestedString(dep.Object, "spec", "template", "spec", "serviceAccountName"); sa != "platform-op" {
		t.Errorf("the Deployment runs as %q, not platform-op", sa)
	}
}

func TestChartCRDsEqualConfigCRDs(t *testing.T) {
	bases := filepath.Join(testenv.Root(), "config", "crd", "bases")
	chartCRDs := filepath.Join(testenv.Root(), "charts", "workspace-operator", "files", "crds")
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
	// What the chart installs (templates/crds.yaml) is those files' CRDs, spec for spec.
	rendered := renderChart(t)
	for _, w := range want {
		crd := readObjects(t, w)[0]
		got := find(rendered, "CustomResourceDefinition", crd.GetName())
		if got == nil {
			t.Errorf("the chart renders no CRD %s", crd.GetName())
			continue
		}
		if !equality.Semantic.DeepEqual(got.Object["spec"], crd.Object["spec"]) {
			t.Errorf("the chart renders CRD %s with another spec than %s", crd.GetName(), w)
		}
	}
	for _, o := range renderChart(t, "--set", "crds.install=false") {
		if o.GetKind() == "CustomResourceDefinition" {
			t.Errorf("crds.install=false still renders CRD %s", o.GetName())
		}
	}
}

// The operator's NetworkPolicy: metrics and probes in, the API server (given, or looked up at install) and DNS
// out; rendered without a cluster it falls back to the API server's usual ports and says so.
func TestChartOperatorNetworkPolicy(t *testing.T) {
	policy := func(args ...string) (*networkingv1.NetworkPolicy, map[string]string) {
		t.Helper()
		u := find(renderChart(t, args...), "NetworkPolicy", "workspace-operator")
		if u == nil {
			t.Fatal("the chart renders no NetworkPolicy workspace-operator")
		}
		np := &networkingv1.NetworkPolicy{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, np); err != nil {
			t.Fatal(err)
		}
		return np, np.Annotations
	}
	np, annotations := policy("--set", "networkPolicy.egress.enabled=true", "--set-json", `networkPolicy.egress.apiServer=[{"to":[{"ipBlock":{"cidr":"10.0.0.1/32"}}],"ports":[{"protocol":"TCP","port":6443}]}]`)
	if _, loose := annotations["workspaces.alitok.ai/api-server-egress"]; loose {
		t.Error("with networkPolicy.egress.apiServer given, the policy still says it is loose")
	}
	var in []string
	for _, r := range np.Spec.Ingress {
		for _, p := range r.Ports {
			in = append(in, p.Port.String())
		}
	}
	if !slices.Equal(in, []string{"metrics", "probes"}) {
		t.Errorf("ingress ports = %v, want metrics and probes only", in)
	}
	if len(np.Spec.Egress) != 2 || len(np.Spec.Egress[0].To) != 1 || np.Spec.Egress[0].To[0].IPBlock == nil ||
		np.Spec.Egress[0].To[0].IPBlock.CIDR != "10.0.0.1/32" || np.Spec.Egress[1].Ports[0].Port.IntValue() != 53 {
		t.Errorf("egress = %+v, want the API server's rule and DNS", np.Spec.Egress)
	}
	if np.Spec.PodSelector.MatchLabels["app.kubernetes.io/name"] != "workspace-operator" {
		t.Errorf("the policy selects %v", np.Spec.PodSelector.MatchLabels)
	}

	np, annotations = policy("--set", "networkPolicy.egress.enabled=true")
	if _, loose := annotations["workspaces.alitok.ai/api-server-egress"]; !loose {
		t.Error("rendered without a cluster, the policy does not say its API server rule is loose")
	}
	if len(np.Spec.Egress[0].To) != 0 || len(np.Spec.Egress[0].Ports) != 2 {
		t.Errorf("the fallback API server rule = %+v, want TCP 443 and 6443 to any address", np.Spec.Egress[0])
	}
	// By default ingress only (egress depends on the network plugin), and plain-HTTP metrics only from the
	// release's namespace.
	np, _ = policy("--set", "metrics.secure=false")
	if !slices.Equal(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}) || len(np.Spec.Egress) != 0 {
		t.Errorf("default policy types = %v, egress %v; want Ingress only", np.Spec.PolicyTypes, np.Spec.Egress)
	}
	if from := np.Spec.Ingress[0].From; len(from) != 1 || from[0].PodSelector == nil || from[0].NamespaceSelector != nil {
		t.Errorf("plain-HTTP metrics may be scraped from %+v, want the release's namespace only", from)
	}
	for _, o := range renderChart(t, "--set", "networkPolicy.enabled=false") {
		if o.GetKind() == "NetworkPolicy" {
			t.Errorf("networkPolicy.enabled=false still renders %s", o.GetName())
		}
	}
}
