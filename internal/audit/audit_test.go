package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/audit"
	"github.com/alitok/workspace-operator/internal/testenv"
)

var allChecks = []string{"ISO-001", "ISO-002", "ISO-003", "ISO-004", "ISO-005", "ISO-006", "ISO-007", "ISO-008", "ISO-009", "ISO-010"}

// TestAudit builds two workspaces by hand, as the operator would and as nobody should, and checks each verdict.
func TestAudit(t *testing.T) {
	c := startEnv(t)
	ctx := context.Background()
	create := func(objs ...client.Object) {
		t.Helper()
		for _, o := range objs {
			if err := c.Create(ctx, o); err != nil {
				t.Fatalf("creating %T %s: %v", o, o.GetName(), err)
			}
		}
	}
	create(
		tenant("good", workspacesv1alpha1.Member{Kind: workspacesv1alpha1.MemberUser, Name: "alice@good.example", Role: workspacesv1alpha1.RoleOwner},
			workspacesv1alpha1.Member{Kind: workspacesv1alpha1.MemberServiceAccount, Name: "ci", Namespace: "good-ci", Role: workspacesv1alpha1.RoleMember}),
		tenant("bad", workspacesv1alpha1.Member{Kind: workspacesv1alpha1.MemberUser, Name: "mallory@bad.example", Role: workspacesv1alpha1.RoleMember}),
		namespace("good-ci", nil),
		namespace("tenant-good", map[string]string{workspacesv1alpha1.TenantLabel: "good", "pod-security.kubernetes.io/enforce": "restricted"}),
		namespace("tenant-bad", map[string]string{workspacesv1alpha1.TenantLabel: "bad"}),
		namespace("tenant-other", map[string]string{workspacesv1alpha1.TenantLabel: "other"}),
	)

	// The compliant workspace, as the operator builds it, with one Integration.
	const good = "tenant-good"
	create(operatorNetworkPolicies(good)...)
	create(
		quota(good), limits(good),
		binding(good, "tenant-owner", "workspace-operator:tenant-owner", rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice@good.example"}),
		binding(good, "tenant-member", "workspace-operator:tenant-member", rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: "ci", Namespace: "good-ci"}),
		&rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Name: "shop-credentials-reader", Namespace: good},
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"shop-credentials"}, Verbs: []string{"get"}}},
		},
		&rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "shop-credentials-reader", Namespace: good},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "shop-credentials-reader"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "shop-sync", Namespace: good}},
		},
		secretStore(good, "tenant-secrets", map[string]string{workspacesv1alpha1.ManagedByLabel: workspacesv1alpha1.ManagedByValue, workspacesv1alpha1.TenantLabel: "good"}),
		externalSecret(good, "shop-credentials", "SecretStore", "tenant-secrets"),
		restrictedPod(good, "shop-orders-1"),
	)

	// The workspace with one violation per check.
	const bad = "tenant-bad"
	deny := operatorNetworkPolicies(bad)[0].(*networkingv1.NetworkPolicy)
	deny.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{{Port: ptr.To(intOrString(8080))}}}}
	privileged := restrictedPod(bad, "debug")
	privileged.Spec.HostNetwork = true
	privileged.Spec.Containers[0].SecurityContext.Privileged = ptr.To(true)
	privileged.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = nil
	privileged.Spec.Volumes = []corev1.Volume{{Name: "root", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}
	create(
		deny,
		ingressFrom(bad, "from-everywhere", metav1.LabelSelector{}),
		ingressFrom(bad, "from-other", metav1.LabelSelector{MatchLabels: map[string]string{workspacesv1alpha1.TenantLabel: "other"}}),
		binding(bad, "break-glass", "cluster-admin", rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "bob@example.com"}),
		binding(bad, "tenant-viewer", "workspace-operator:tenant-viewer",
			rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: "builder", Namespace: "tenant-other"},
			rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: "deployer", Namespace: "good-ci"}),
		binding(bad, "tenant-member", "workspace-operator:tenant-member", rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "mallory@bad.example"}),
		&rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Name: "secret-reader", Namespace: bad},
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}}},
		},
		&rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "secret-reader", Namespace: bad},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "secret-reader"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "mallory@bad.example"}},
		},
		privileged,
		secretStore(bad, "tenant-secrets", map[string]string{workspacesv1alpha1.ManagedByLabel: workspacesv1alpha1.ManagedByValue, workspacesv1alpha1.TenantLabel: "bad"}),
		secretStore(bad, "rogue", nil),
		externalSecret(bad, "global", "ClusterSecretStore", "global"),
		externalSecret(bad, "rogue", "", "rogue"),
	)

	wantBad := map[string][]string{
		"ISO-001": {"NetworkPolicy tenant-bad/default-deny was modified", "1 ingress rule(s)"},
		"ISO-002": {"NetworkPolicy from-everywhere admits ingress from all namespaces", "from-other admits ingress from other tenants' namespaces: tenant-other (tenant other)"},
		"ISO-003": {"namespace tenant-bad has no pod-security.kubernetes.io/enforce label"},
		"ISO-004": {"no ResourceQuota"},
		"ISO-005": {"no LimitRange"},
		"ISO-006": {"RoleBinding break-glass grants cluster-admin to User bob@example.com"},
		"ISO-007": {"RoleBinding tenant-viewer binds ServiceAccount builder of namespace tenant-other of tenant other", "ServiceAccount deployer of namespace good-ci"},
		"ISO-008": {"Pod debug: hostNetwork, hostPath volume root (/), privileged container sync"},
		"ISO-009": {"ExternalSecret global reads from ClusterSecretStore global", "ExternalSecret rogue reads from SecretStore rogue"},
		"ISO-010": {"User mallory@bad.example can get secrets", "User mallory@bad.example can list secrets"},
	}
	t.Run("compliant workspace passes every check", func(t *testing.T) {
		results := audit.CheckTenant(ctx, c, "good", good)
		assertIDs(t, results)
		for _, r := range results {
			if !r.OK || r.Tenant != "good" || r.Rationale == "" {
				t.Errorf("%s: want a pass with a rationale, got %+v", r.ID, r)
			}
		}
	})
	t.Run("each violation fails its check", func(t *testing.T) {
		results := audit.CheckTenant(ctx, c, "bad", bad)
		assertIDs(t, results)
		for _, r := range results {
			if r.OK {
				t.Errorf("%s passed, want a failure: %s", r.ID, r.Message)
				continue
			}
			for _, want := range wantBad[r.ID] {
				if !strings.Contains(r.Message, want) {
					t.Errorf("%s: message does not say %q: %s", r.ID, want, r.Message)
				}
			}
		}
	})
	t.Run("a missing namespace fails every check", func(t *testing.T) {
		for _, r := range audit.CheckTenant(ctx, c, "gone", "tenant-gone") {
			if r.OK || !strings.Contains(r.Message, "namespace tenant-gone does not exist") {
				t.Errorf("%s: %+v", r.ID, r)
			}
		}
	})
	t.Run("JSON report of every tenant", func(t *testing.T) {
		var out bytes.Buffer
		failed, err := audit.Run(ctx, c, audit.Options{Output: "json"}, &out)
		if err != nil || !failed {
			t.Fatalf("Run = %v, %v; want failed and no error", failed, err)
		}
		var results []audit.Result
		if err := json.Unmarshal(out.Bytes(), &results); err != nil {
			t.Fatalf("output is not a JSON array of results: %v\n%s", err, out.String())
		}
		// Tenants in name order; "other" has no Tenant object and is not audited.
		if len(results) != 2*len(allChecks) || results[0].Tenant != "bad" || results[len(results)-1].Tenant != "good" {
			t.Errorf("want the checks of bad then good, got %d results:\n%s", len(results), out.String())
		}
		if !strings.Contains(out.String(), `"rationale"`) || !strings.Contains(out.String(), `"id": "ISO-001"`) {
			t.Errorf("JSON lacks id or rationale:\n%s", out.String())
		}
	})
	t.Run("table report of one tenant", func(t *testing.T) {
		var out bytes.Buffer
		failed, err := audit.Run(ctx, c, audit.Options{Tenant: "good"}, &out)
		if err != nil || failed {
			t.Fatalf("Run = %v, %v; want passed and no error\n%s", failed, err, out.String())
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 1+len(allChecks) {
			t.Fatalf("want a header and %d rows:\n%s", len(allChecks), out.String())
		}
		column := strings.Index(lines[0], "RESULT")
		for _, l := range lines[1:] {
			if !strings.HasPrefix(l, "good") || l[column:column+4] != "PASS" {
				t.Errorf("row not aligned under RESULT or not a pass: %q", l)
			}
		}
	})
	t.Run("unknown tenant or output is an error", func(t *testing.T) {
		if _, err := audit.Run(ctx, c, audit.Options{Tenant: "nobody"}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), `tenant "nobody" not found`) {
			t.Errorf("unknown tenant: %v", err)
		}
		if _, err := audit.Run(ctx, c, audit.Options{Output: "xml"}, &bytes.Buffer{}); err == nil {
			t.Error("unknown output: no error")
		}
	})
}

func assertIDs(t *testing.T, results []audit.Result) {
	t.Helper()
	var ids []string
	for _, r := range results {
		ids = append(ids, r.ID)
	}
	if strings.Join(ids, ",") != strings.Join(allChecks, ",") {
		t.Fatalf("checks %v, want %v", ids, allChecks)
	}
}

func startEnv(t *testing.T) client.Client {
	t.Helper()
	env, err := testenv.Start(testenv.Options{})
	if err != nil {
		t.Fatalf("starting the control plane: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	c, err := testenv.Client(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(testenv.Root(), "config", "rbac", "tenant_roles.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range strings.Split(string(data), "\n---") {
		role := &rbacv1.ClusterRole{}
		if err := yaml.Unmarshal([]byte(doc), role); err != nil {
			t.Fatal(err)
		}
		if err := c.Create(context.Background(), role); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func tenant(name string, members ...workspacesv1alpha1.Member) *workspacesv1alpha1.Tenant {
	return &workspacesv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: workspacesv1alpha1.TenantSpec{Members: members}}
}

func namespace(name string, labels map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

// operatorNetworkPolicies are the three NetworkPolicies the operator gives every tenant namespace.
func operatorNetworkPolicies(ns string) []client.Object {
	both := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	udp, tcp := corev1.ProtocolUDP, corev1.ProtocolTCP
	dns := intOrString(53)
	return []client.Object{
		&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "default-deny", Namespace: ns}, Spec: networkingv1.NetworkPolicySpec{PolicyTypes: both}},
		&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "allow-same-namespace", Namespace: ns}, Spec: networkingv1.NetworkPolicySpec{
			PolicyTypes: both,
			Ingress:     []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}}}},
			Egress:      []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}}}},
		}},
		&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "allow-dns", Namespace: ns}, Spec: networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress: []networkingv1.NetworkPolicyEgressRule{{
				To: []networkingv1.NetworkPolicyPeer{{
					NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: "kube-system"}},
					PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}},
				}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: &udp, Port: &dns}, {Protocol: &tcp, Port: &dns}},
			}},
		}},
	}
}

func ingressFrom(ns, name string, sel metav1.LabelSelector) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: networkingv1.NetworkPolicySpec{
		PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
		Ingress:     []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &sel}}}},
	}}
}

func quota(ns string) *corev1.ResourceQuota {
	return &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "tenant-quota", Namespace: ns},
		Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("20")}}}
}

func limits(ns string) *corev1.LimitRange {
	return &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: "tenant-limits", Namespace: ns},
		Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
			Type: corev1.LimitTypeContainer, Default: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")},
		}}}}
}

func binding(ns, name, clusterRole string, subjects ...rbacv1.Subject) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole},
		Subjects:   subjects,
	}
}

func secretStore(ns, name string, labels map[string]string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "external-secrets.io/v1", "kind": "SecretStore",
		"spec": map[string]any{"provider": map[string]any{"fake": map[string]any{"data": []any{}}}},
	}}
	u.SetName(name)
	u.SetNamespace(ns)
	u.SetLabels(labels)
	return u
}

func externalSecret(ns, name, kind, store string) *unstructured.Unstructured {
	ref := map[string]any{"name": store}
	if kind != "" {
		ref["kind"] = kind
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
		"spec": map[string]any{
			"secretStoreRef": ref,
			"target":         map[string]any{"name": name},
			"dataFrom":       []any{map[string]any{"extract": map[string]any{"key": "tiktok/main"}}},
		},
	}}
	u.SetName(name)
	u.SetNamespace(ns)
	return u
}

func restrictedPod(ns, name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: corev1.PodSpec{
			AutomountServiceAccountToken: ptr.To(false),
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot: ptr.To(true), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{{
				Name: "sync", Image: "ghcr.io/alitok/workspace-operator:latest",
				SecurityContext: &corev1.SecurityContext{
					AllowPrivilegeEscalation: ptr.To(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				},
			}},
		},
	}
}

func intOrString(port int32) intstr.IntOrString { return intstr.FromInt32(port) }
