package admission_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/alitok/workspace-operator/internal/testenv"
)

// The identities the tests act as. Every one but the operator holds every permission through testRBAC, so that
// a refusal can only come from an admission policy; the operator holds only its generated ClusterRole.
const (
	operatorUser   = testenv.OperatorUser
	memberUser     = "alice@acme.example"
	foreignSAUser  = "system:serviceaccount:other:ci"
	gcUser         = "system:serviceaccount:kube-system:generic-garbage-collector"
	jobControlUser = "system:serviceaccount:kube-system:job-controller"
	esoUser        = "system:serviceaccount:external-secrets:external-secrets"
	kubeletUser    = "system:node:node-1"
	// refreshUser is Integration shop's ServiceAccount, as its token refresh Job runs.
	refreshUser = "system:serviceaccount:tenant-acme:shop-sync"

	tenantNS = "tenant-acme"
	otherNS  = "other"

	managedBy      = "app.kubernetes.io/managed-by"
	tenantLabel    = "workspaces.alitok.ai/tenant"
	esoManaged     = "reconcile.external-secrets.io/managed"
	policyExtSec   = "workspace-operator-tenant-secret-store"
	policyManaged  = "workspace-operator-managed-objects"
	policyNSLabel  = "workspace-operator-tenant-namespace-label"
	pollTimeout    = 30 * time.Second
	deniedByPolicy = "denied request"
)

var scheme = runtime.NewScheme()

func init() {
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		panic(err)
	}
}

// policyEnv is a control plane with config/admission applied.
type policyEnv struct {
	cfg   *rest.Config
	admin client.Client
}

// as returns a client impersonating user; ServiceAccounts get their groups as the authenticator gives them.
func (e *policyEnv) as(t *testing.T, user string, groups ...string) client.Client {
	t.Helper()
	if ns, _, ok := strings.Cut(strings.TrimPrefix(user, "system:serviceaccount:"), ":"); ok && strings.HasPrefix(user, "system:serviceaccount:") {
		groups = append(groups, "system:serviceaccounts", "system:serviceaccounts:"+ns)
	}
	cfg := rest.CopyConfig(e.cfg)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: append(groups, "system:authenticated")}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func startPolicyEnv(t *testing.T) *policyEnv {
	t.Helper()
	// The controller manager type-checks the policies (validatingadmissionpolicy-status-controller).
	env, err := testenv.Start(testenv.Options{ControllerManager: true})
	if err != nil {
		t.Fatalf("starting the control plane: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	admin, err := client.New(env.Config, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return &policyEnv{cfg: env.Config, admin: admin}
}

// applyFile server-side applies every object of a YAML file as the administrator.
func applyFile(t *testing.T, c client.Client, path string) {
	t.Helper()
	if err := testenv.ApplyYAMLFile(context.Background(), c, path); err != nil {
		t.Fatal(err)
	}
}

// readObjects reads the objects of a multi-document YAML file.
func readObjects(t *testing.T, path string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseObjects(t, string(data))
}

func parseObjects(t *testing.T, data string) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	for _, doc := range strings.Split(data, "\n---") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatalf("parsing YAML: %v\n%s", err, doc)
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
	return out
}

// admissionFiles are the files config/admission/kustomization.yaml lists, so that a policy missing from the
// kustomization is missing from the test too.
func admissionFiles(t *testing.T) []string {
	t.Helper()
	dir := filepath.Join(testenv.Root(), "config", "admission")
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, r := range k.Resources {
		files = append(files, filepath.Join(dir, r))
	}
	return files
}

func installTestRBAC(t *testing.T, e *policyEnv) {
	t.Helper()
	ctx := context.Background()
	if err := testenv.InstallOperatorRBAC(ctx, e.admin, operatorUser); err != nil {
		t.Fatal(err)
	}
	everything := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "admission-test-everything"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}},
	}
	user := func(name string) rbacv1.Subject {
		return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}
	}
	var subjects []rbacv1.Subject
	for _, u := range []string{memberUser, foreignSAUser, gcUser, jobControlUser, esoUser, kubeletUser, refreshUser} {
		subjects = append(subjects, user(u))
	}
	for _, obj := range []client.Object{
		everything,
		&rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "admission-test-everything"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: everything.Name},
			Subjects:   subjects,
		},
	} {
		if err := e.admin.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
}

func managedLabels(extra ...string) map[string]string {
	l := map[string]string{managedBy: "workspace-operator", tenantLabel: "acme"}
	for i := 0; i+1 < len(extra); i += 2 {
		l[extra[i]] = extra[i+1]
	}
	return l
}

// tenantNamespace is a namespace as the operator makes it for a tenant.
func tenantNamespace(name, tenant string) *corev1.Namespace {
	ns := labelledNamespace(name, tenant)
	ns.Labels[managedBy] = "workspace-operator"
	ns.Labels["pod-security.kubernetes.io/enforce"] = "restricted"
	return ns
}

// labelledNamespace carries the tenant label only, so that only the tenant label policy applies to it.
func labelledNamespace(name, tenant string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{tenantLabel: tenant}}}
}

func defaultDeny() *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "default-deny", Namespace: tenantNS, Labels: managedLabels()},
		Spec: networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
		},
	}
}

func secretStore(name string, labels map[string]string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "external-secrets.io/v1", "kind": "SecretStore",
		"spec": map[string]any{"provider": map[string]any{"fake": map[string]any{"data": []any{}}}},
	}}
	u.SetName(name)
	u.SetNamespace(tenantNS)
	u.SetLabels(labels)
	return u
}

// externalSecret is an ExternalSecret reading from store (kind "" leaves ESO's default, SecretStore); mutate
// adds per-entry store or generator references.
func externalSecret(ns, name, kind, store string, mutate ...func(spec map[string]any)) *unstructured.Unstructured {
	ref := map[string]any{"name": store}
	if kind != "" {
		ref["kind"] = kind
	}
	spec := map[string]any{
		"secretStoreRef": ref,
		"target":         map[string]any{"name": name},
		"dataFrom":       []any{map[string]any{"extract": map[string]any{"key": "tiktok/main"}}},
	}
	for _, m := range mutate {
		m(spec)
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "spec": spec,
	}}
	u.SetName(name)
	u.SetNamespace(ns)
	return u
}

func restrictedPod(name string, labels map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: tenantNS, Labels: labels},
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

// deniedBy returns nil when err is policy's refusal and names want in its message.
func deniedBy(err error, policy, want string) error {
	if err == nil {
		return fmt.Errorf("allowed, want refused by %s", policy)
	}
	msg := err.Error()
	if !apierrors.IsForbidden(err) && !apierrors.IsInvalid(err) || !strings.Contains(msg, deniedByPolicy) || !strings.Contains(msg, "'"+policy+"'") {
		return fmt.Errorf("refused, but not by admission policy %s: %w", policy, err)
	}
	if !strings.Contains(msg, want) {
		return fmt.Errorf("refused by %s, but the message does not say %q: %s", policy, want, msg)
	}
	return nil
}

// waitForPolicy polls until probe is refused by policy: a binding takes a moment to be enforced.
func waitForPolicy(t *testing.T, policy string, probe func() error) {
	t.Helper()
	deadline := time.Now().Add(pollTimeout)
	for {
		err := deniedBy(probe(), policy, "")
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("policy %s not enforced after %s: %v", policy, pollTimeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// assertTypeChecked waits for the API server to type-check each policy against the schemas of the kinds it
// matches, and fails on any warning: a misspelt field would otherwise only show as a CEL error at request time.
func assertTypeChecked(t *testing.T, c client.Client, policies ...string) {
	t.Helper()
	for _, name := range policies {
		deadline := time.Now().Add(pollTimeout)
		for {
			p := &admissionregistrationv1.ValidatingAdmissionPolicy{}
			must(t, c.Get(context.Background(), client.ObjectKey{Name: name}, p))
			if p.Status.ObservedGeneration == p.Generation && p.Status.TypeChecking != nil {
				for _, w := range p.Status.TypeChecking.ExpressionWarnings {
					t.Errorf("policy %s: %s: %s", name, w.FieldRef, w.Warning)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("policy %s not type-checked after %s: %+v", name, pollTimeout, p.Status)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var dryRun = client.DryRunAll

func TestAdmissionPolicies(t *testing.T) {
	e := startPolicyEnv(t)
	ctx := context.Background()
	installTestRBAC(t, e)
	for _, f := range admissionFiles(t) {
		applyFile(t, e.admin, f)
	}
	assertTypeChecked(t, e.admin, policyExtSec, policyManaged, policyNSLabel)
	var (
		admin    = e.admin
		operator = e.as(t, operatorUser)
		member   = e.as(t, memberUser)
		foreign  = e.as(t, foreignSAUser)
		gc       = e.as(t, gcUser)
		jobs     = e.as(t, jobControlUser)
		eso      = e.as(t, esoUser)
		kubelet  = e.as(t, kubeletUser, "system:nodes")
		refresh  = e.as(t, refreshUser)
	)

	must(t, admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: otherNS}}))
	waitForPolicy(t, policyNSLabel, func() error {
		return admin.Create(ctx, labelledNamespace("probe", "probe"), dryRun)
	})
	// The operator builds a workspace, as it does for a Tenant.
	must(t, operator.Create(ctx, tenantNamespace(tenantNS, "acme")))
	must(t, operator.Create(ctx, labelledNamespace("tenant-gamma", "gamma")))
	waitForPolicy(t, policyManaged, func() error {
		return admin.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "probe", Namespace: tenantNS, Labels: managedLabels()}}, dryRun)
	})
	waitForPolicy(t, policyExtSec, func() error {
		return admin.Create(ctx, externalSecret(tenantNS, "probe", "ClusterSecretStore", "global"), dryRun)
	})
	must(t, operator.Create(ctx, defaultDeny()))
	must(t, operator.Create(ctx, secretStore("tenant-secrets", managedLabels())))
	operatorES := externalSecret(tenantNS, "shop-credentials", "SecretStore", "tenant-secrets")
	operatorES.SetLabels(managedLabels())
	must(t, operator.Create(ctx, operatorES))
	must(t, operator.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "tenant-hmac-key", Namespace: tenantNS, Labels: managedLabels()}}))
	// The token Secret an Integration's refresh writes, created empty by the operator.
	must(t, operator.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "shop-token", Namespace: tenantNS,
		Labels: managedLabels("app.kubernetes.io/component", "token-refresh")}}))
	// ESO writes the ExternalSecret's Secret, with the ExternalSecret's labels plus its own.
	must(t, eso.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "shop-credentials", Namespace: tenantNS, Labels: managedLabels(esoManaged, "true")}}))
	// The Job controller starts a sync Job's Pod, labelled from the operator's template.
	must(t, jobs.Create(ctx, restrictedPod("shop-orders-1", managedLabels())))

	withIngress := func(np *networkingv1.NetworkPolicy) *networkingv1.NetworkPolicy {
		np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{}}
		return np
	}
	get := func(obj client.Object) client.Object {
		must(t, admin.Get(ctx, client.ObjectKeyFromObject(obj), obj))
		return obj
	}
	ns := func(name string) *corev1.Namespace {
		return get(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}).(*corev1.Namespace)
	}
	np := func() *networkingv1.NetworkPolicy { return get(defaultDeny()).(*networkingv1.NetworkPolicy) }
	secret := func(name string) *corev1.Secret {
		return get(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: tenantNS}}).(*corev1.Secret)
	}
	relabel := func(obj client.Object, key, value string) client.Object {
		l := obj.GetLabels()
		if l == nil {
			l = map[string]string{}
		}
		if value == "" {
			delete(l, key)
		} else {
			l[key] = value
		}
		obj.SetLabels(l)
		return obj
	}
	refusedBy := func(policy, msg string) func(error) error {
		return func(err error) error { return deniedBy(err, policy, msg) }
	}
	allowed := func(err error) error {
		if err != nil {
			return fmt.Errorf("refused, want allowed: %w", err)
		}
		return nil
	}
	const (
		managedMsg = "it is managed by workspace-operator"
		storeMsg   = "may read only from the SecretStore tenant-secrets"
	)

	// Every request that could succeed is a dry run, so the cases leave the workspace as it is.
	cases := []struct {
		name  string
		do    func() error
		check func(error) error
	}{
		// Tenant label on namespaces.
		{"admin cannot create a tenant namespace", func() error {
			return admin.Create(ctx, labelledNamespace("sneaky", "acme"), dryRun)
		}, refusedBy(policyNSLabel, "may not create or label namespace sneaky with workspaces.alitok.ai/tenant=acme")},
		{"member cannot add the tenant label to a namespace", func() error {
			return member.Update(ctx, relabel(ns(otherNS), tenantLabel, "acme"), dryRun)
		}, refusedBy(policyNSLabel, "alice@acme.example may not create or label namespace other")},
		{"foreign ServiceAccount cannot remove the tenant label", func() error {
			return foreign.Update(ctx, relabel(ns(tenantNS), tenantLabel, ""), dryRun)
		}, refusedBy(policyNSLabel, "may not remove the label workspaces.alitok.ai/tenant from namespace tenant-acme")},
		{"admin cannot change the tenant label", func() error {
			return admin.Update(ctx, relabel(ns("tenant-gamma"), tenantLabel, "acme"), dryRun)
		}, refusedBy(policyNSLabel, "may not change the label workspaces.alitok.ai/tenant of namespace tenant-gamma")},
		{"admin may create an ordinary namespace", func() error {
			return admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "plain"}}, dryRun)
		}, allowed},
		{"member may label an ordinary namespace otherwise", func() error {
			return member.Update(ctx, relabel(ns(otherNS), "team", "ops"), dryRun)
		}, allowed},
		{"operator may create a tenant namespace", func() error {
			return operator.Create(ctx, tenantNamespace("tenant-beta", "beta"), dryRun)
		}, allowed},

		// Objects the operator manages, and SecretStores.
		{"member cannot loosen default-deny", func() error {
			return member.Update(ctx, withIngress(np()), dryRun)
		}, refusedBy(policyManaged, "alice@acme.example may not UPDATE networkpolicies tenant-acme/default-deny: "+managedMsg)},
		{"member cannot delete default-deny", func() error {
			return member.Delete(ctx, defaultDeny(), dryRun)
		}, refusedBy(policyManaged, "may not DELETE networkpolicies tenant-acme/default-deny")},
		{"member cannot take an object from the operator by removing its label", func() error {
			return member.Update(ctx, relabel(np(), managedBy, ""), dryRun)
		}, refusedBy(policyManaged, managedMsg)},
		{"member cannot forge an operator object", func() error {
			return member.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "forged", Namespace: tenantNS, Labels: managedLabels()}}, dryRun)
		}, refusedBy(policyManaged, "may not CREATE configmaps tenant-acme/forged")},
		{"member may create an unlabelled ConfigMap", func() error {
			return member.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "notes", Namespace: tenantNS}}, dryRun)
		}, allowed},
		{"member cannot create a SecretStore", func() error {
			return member.Create(ctx, secretStore("my-store", nil), dryRun)
		}, refusedBy(policyManaged, "SecretStores in tenant namespaces are written only by workspace-operator")},
		{"foreign ServiceAccount cannot delete the tenant's HMAC key", func() error {
			return foreign.Delete(ctx, secret("tenant-hmac-key"), dryRun)
		}, refusedBy(policyManaged, "system:serviceaccount:other:ci may not DELETE secrets tenant-acme/tenant-hmac-key")},
		{"admin is not exempt", func() error {
			return admin.Delete(ctx, defaultDeny(), dryRun)
		}, refusedBy(policyManaged, managedMsg)},
		{"admin cannot delete a tenant namespace", func() error {
			return admin.Delete(ctx, ns(tenantNS), dryRun)
		}, refusedBy(policyManaged, "may not DELETE namespaces tenant-acme")},
		{"operator may update default-deny", func() error {
			return operator.Update(ctx, withIngress(np()), dryRun)
		}, allowed},
		{"operator may delete default-deny", func() error {
			return operator.Delete(ctx, defaultDeny(), dryRun)
		}, allowed},
		{"operator may update the SecretStore", func() error {
			return operator.Update(ctx, relabel(get(secretStore("tenant-secrets", nil)), "touched", "yes"), dryRun)
		}, allowed},
		{"garbage collector may delete operator objects", func() error {
			return gc.Delete(ctx, defaultDeny(), dryRun)
		}, allowed},
		{"garbage collector may delete the SecretStore", func() error {
			return gc.Delete(ctx, secretStore("tenant-secrets", nil), dryRun)
		}, allowed},
		{"job controller may create a sync Pod", func() error {
			return jobs.Create(ctx, restrictedPod("shop-orders-2", managedLabels()), dryRun)
		}, allowed},
		{"job controller may not touch other operator objects", func() error {
			return jobs.Delete(ctx, defaultDeny(), dryRun)
		}, refusedBy(policyManaged, managedMsg)},
		{"kubelet may delete a stopped Pod", func() error {
			return kubelet.Delete(ctx, restrictedPod("shop-orders-1", nil), dryRun)
		}, allowed},
		{"kubelet may not change a Pod", func() error {
			return kubelet.Update(ctx, relabel(get(restrictedPod("shop-orders-1", nil)), "touched", "yes"), dryRun)
		}, refusedBy(policyManaged, "may not UPDATE pods tenant-acme/shop-orders-1")},
		{"ESO may update the Secret it syncs", func() error {
			s := secret("shop-credentials")
			s.Data = map[string][]byte{"token": []byte("refreshed")}
			return eso.Update(ctx, s, dryRun)
		}, allowed},
		{"an Integration's refresh may write its renewed credentials into its token Secret", func() error {
			s := secret("shop-token")
			s.Data = map[string][]byte{"credentials.json": []byte(`{"access_token":"renewed"}`)}
			return refresh.Update(ctx, s, dryRun)
		}, allowed},
		{"an Integration's refresh may not relabel its token Secret", func() error {
			return refresh.Update(ctx, relabel(secret("shop-token"), managedBy, ""), dryRun)
		}, refusedBy(policyManaged, managedMsg)},
		{"an Integration's refresh may not write its credentials Secret", func() error {
			s := secret("shop-credentials")
			s.Data = map[string][]byte{"access_token": []byte("forged")}
			return refresh.Update(ctx, s, dryRun)
		}, refusedBy(policyManaged, managedMsg)},
		{"another account may not write an Integration's token Secret", func() error {
			s := secret("shop-token")
			s.Data = map[string][]byte{"credentials.json": []byte(`{}`)}
			return foreign.Update(ctx, s, dryRun)
		}, refusedBy(policyManaged, managedMsg)},
		{"an Integration's refresh may not delete its token Secret", func() error {
			return refresh.Delete(ctx, secret("shop-token"), dryRun)
		}, refusedBy(policyManaged, managedMsg)},
		{"ESO may not take over an operator Secret", func() error {
			return eso.Update(ctx, relabel(secret("tenant-hmac-key"), esoManaged, "true"), dryRun)
		}, refusedBy(policyManaged, "may not UPDATE secrets tenant-acme/tenant-hmac-key")},

		// ExternalSecrets read only from the tenant's SecretStore.
		{"admin cannot read from a ClusterSecretStore", func() error {
			return admin.Create(ctx, externalSecret(tenantNS, "global", "ClusterSecretStore", "global"), dryRun)
		}, refusedBy(policyExtSec, "ExternalSecret tenant-acme/global "+storeMsg+" of its own tenant namespace, not from ClusterSecretStore global")},
		{"member cannot read from another SecretStore", func() error {
			return member.Create(ctx, externalSecret(tenantNS, "elsewhere", "SecretStore", "other-store"), dryRun)
		}, refusedBy(policyExtSec, "not from SecretStore other-store")},
		{"a dataFrom entry cannot name a ClusterSecretStore", func() error {
			return admin.Create(ctx, externalSecret(tenantNS, "from", "", "tenant-secrets", func(spec map[string]any) {
				spec["dataFrom"] = []any{map[string]any{
					"extract":   map[string]any{"key": "x"},
					"sourceRef": map[string]any{"storeRef": map[string]any{"kind": "ClusterSecretStore", "name": "global"}},
				}}
			}), dryRun)
		}, refusedBy(policyExtSec, "not from ClusterSecretStore global")},
		{"a data entry cannot name another store", func() error {
			return admin.Create(ctx, externalSecret(tenantNS, "data", "", "tenant-secrets", func(spec map[string]any) {
				spec["data"] = []any{map[string]any{
					"secretKey": "token", "remoteRef": map[string]any{"key": "x"},
					"sourceRef": map[string]any{"storeRef": map[string]any{"name": "beta-secrets"}},
				}}
			}), dryRun)
		}, refusedBy(policyExtSec, "not from SecretStore beta-secrets")},
		{"a generator is refused", func() error {
			return admin.Create(ctx, externalSecret(tenantNS, "gen", "", "tenant-secrets", func(spec map[string]any) {
				spec["dataFrom"] = []any{map[string]any{
					"sourceRef": map[string]any{"generatorRef": map[string]any{"kind": "Password", "name": "pw"}},
				}}
			}), dryRun)
		}, refusedBy(policyExtSec, "may not use a generator")},
		{"an updated ExternalSecret is checked too", func() error {
			es := get(externalSecret(tenantNS, "shop-credentials", "", "")).(*unstructured.Unstructured)
			must(t, unstructured.SetNestedField(es.Object, "ClusterSecretStore", "spec", "secretStoreRef", "kind"))
			return operator.Update(ctx, es, dryRun)
		}, refusedBy(policyExtSec, "not from ClusterSecretStore tenant-secrets")},
		{"member may read from the tenant's store", func() error {
			return member.Create(ctx, externalSecret(tenantNS, "mine", "", "tenant-secrets"), dryRun)
		}, allowed},
		{"outside tenant namespaces a ClusterSecretStore is allowed", func() error {
			return admin.Create(ctx, externalSecret(otherNS, "global", "ClusterSecretStore", "global"), dryRun)
		}, allowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.check(tc.do()); err != nil {
				t.Error(err)
			}
		})
	}
}
