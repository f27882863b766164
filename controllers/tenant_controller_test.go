package controllers

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/contract"
)

func withMembers(members ...workspacesv1alpha1.Member) func(*workspacesv1alpha1.Tenant) {
	return func(t *workspacesv1alpha1.Tenant) { t.Spec.Members = append(t.Spec.Members, members...) }
}

func user(name string, role workspacesv1alpha1.Role) workspacesv1alpha1.Member {
	return workspacesv1alpha1.Member{Kind: workspacesv1alpha1.MemberUser, Name: name, Role: role}
}

// What someone else adds to a tenant's namespace fails the Isolated condition at once — the operator watches
// those kinds whoever made them, with nothing else changing — and passes again once it is gone.
func TestIsolatedSeesForeignObjectsAtOnce(t *testing.T) {
	needsCluster(t)
	ctx := context.Background()
	name := "watched"
	cleanupTenant(t, name)
	createTenant(t, newTenant(name))
	waitReady(t, name)
	eventually(t, waitTimeout, conditionIs(name, workspacesv1alpha1.ConditionIsolated, metav1.ConditionTrue, workspacesv1alpha1.ReasonIsolated))
	ns := namespaceOf(name)

	isolatedFailsWith := func(want ...string) func() error {
		return func() error {
			if err := conditionIs(name, workspacesv1alpha1.ConditionIsolated, metav1.ConditionFalse, workspacesv1alpha1.ReasonNotIsolated)(); err != nil {
				return err
			}
			msg := meta.FindStatusCondition(getTenant(t, name).Status.Conditions, workspacesv1alpha1.ConditionIsolated).Message
			for _, w := range want {
				if !strings.Contains(msg, w) {
					return fmt.Errorf("Isolated message %q does not name %q", msg, w)
				}
			}
			return nil
		}
	}
	open := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "let-everyone-in", Namespace: ns},
		Spec: networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress:     []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}}}},
		},
	}
	if err := k8s.Create(ctx, open); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, isolatedFailsWith("ISO-002", "let-everyone-in", "all namespaces"))
	// GitOps health and kstatus see it: Ready is False (Stalled: a person must act), and the metric says which tenant.
	eventually(t, 20*time.Second, conditionIs(name, workspacesv1alpha1.ConditionReady, metav1.ConditionFalse, workspacesv1alpha1.ReasonNotIsolated))
	eventually(t, 20*time.Second, conditionIs(name, workspacesv1alpha1.ConditionStalled, metav1.ConditionTrue, workspacesv1alpha1.ReasonNotIsolated))
	if got := tenantGauge(t, "workspace_tenant_isolated", name); got != 0 {
		t.Errorf("workspace_tenant_isolated{tenant=%q} = %v, want 0", name, got)
	}
	eventually(t, 20*time.Second, kstatusIs(name, kstatus.FailedStatus))
	if err := k8s.Delete(ctx, open); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, conditionIs(name, workspacesv1alpha1.ConditionIsolated, metav1.ConditionTrue, workspacesv1alpha1.ReasonIsolated))
	eventually(t, 20*time.Second, conditionIs(name, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, ""))
	eventually(t, 20*time.Second, kstatusIs(name, kstatus.CurrentStatus))
	if got := tenantGauge(t, "workspace_tenant_isolated", name) + tenantGauge(t, "workspace_tenant_ready", name); got != 2 {
		t.Errorf("workspace_tenant_isolated + workspace_tenant_ready for %q = %v, want 2", name, got)
	}

	outsider := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "outsider", Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "intruder", Namespace: "elsewhere"}},
	}
	if err := k8s.Create(ctx, outsider); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, isolatedFailsWith("ISO-007", "outsider", "ServiceAccount intruder of namespace elsewhere"))
	if err := k8s.Delete(ctx, outsider); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, conditionIs(name, workspacesv1alpha1.ConditionIsolated, metav1.ConditionTrue, workspacesv1alpha1.ReasonIsolated))

	// A Pod that turns privileged: the namespace's Pod Security label refuses that to anyone but an exempt
	// identity (the suite's API server exempts breakGlassUser, as clusters exempt a break-glass or node-debugging
	// identity), here by adding a privileged ephemeral container to a running Pod — a change no quota counts, so
	// only the watch on Pods reports it — and it is seen within seconds, before the one-minute recheck.
	app := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: ns},
		Spec: corev1.PodSpec{
			AutomountServiceAccountToken: ptr.To(false),
			SecurityContext:              &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			Containers: []corev1.Container{{Name: "app", Image: "busybox", SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: ptr.To(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}},
		},
	}
	if err := k8s.Create(ctx, app); err != nil {
		t.Fatal(err)
	}
	consistently(t, 3*time.Second, conditionIs(name, workspacesv1alpha1.ConditionIsolated, metav1.ConditionTrue, workspacesv1alpha1.ReasonIsolated))
	app.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
		Name: "debug", Image: "busybox", SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}}}
	if err := k8s.SubResource("ephemeralcontainers").Update(ctx, app.DeepCopy()); err == nil || !apierrors.IsForbidden(err) {
		t.Fatalf("the namespace's Pod Security label should refuse a privileged container to an administrator, got %v", err)
	}
	if err := breakGlassClient(t).SubResource("ephemeralcontainers").Update(ctx, app); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, isolatedFailsWith("ISO-008", "Pod app", "privileged container debug"))
	if err := k8s.Delete(ctx, app); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, conditionIs(name, workspacesv1alpha1.ConditionIsolated, metav1.ConditionTrue, workspacesv1alpha1.ReasonIsolated))
}

// kstatusIs checks the Tenant's health as kstatus computes it — the library behind Flux's health checks, kubectl
// wait-like tools and cli-utils' appliers — from the object as a client reads it.
func kstatusIs(name string, want kstatus.Status) func() error {
	return func() error {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(workspacesv1alpha1.GroupVersion.WithKind("Tenant"))
		if err := k8s.Get(context.Background(), client.ObjectKey{Name: name}, u); err != nil {
			return err
		}
		res, err := kstatus.Compute(u)
		if err != nil {
			return err
		}
		if res.Status != want {
			return fmt.Errorf("kstatus of Tenant %s is %s (%s), want %s", name, res.Status, res.Message, want)
		}
		return nil
	}
}

func TestTenantGetsAnIsolatedWorkspace(t *testing.T) {
	needsCluster(t)
	ctx := context.Background()
	name := "isolated"
	cleanupTenant(t, name)
	createTenant(t, newTenant(name, withMembers(
		user("olivia@example.com", workspacesv1alpha1.RoleOwner),
		workspacesv1alpha1.Member{Kind: workspacesv1alpha1.MemberGroup, Name: "ops", Role: workspacesv1alpha1.RoleAdmin},
		workspacesv1alpha1.Member{Kind: workspacesv1alpha1.MemberServiceAccount, Name: "ci", Namespace: "build", Role: workspacesv1alpha1.RoleMember},
		user("vic@example.com", workspacesv1alpha1.RoleViewer),
		user("val@example.com", workspacesv1alpha1.RoleViewer),
	), func(tn *workspacesv1alpha1.Tenant) {
		tn.Spec.Residency = &workspacesv1alpha1.ResidencySpec{Region: "eu-central-1"}
		tn.Spec.Quota = &workspacesv1alpha1.QuotaSpec{Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("7")}}
	}))
	tn := waitReady(t, name)
	nsName := namespaceOf(name)

	if tn.Status.Phase != workspacesv1alpha1.TenantPhaseActive || tn.Status.Namespace != nsName || tn.Status.ObservedGeneration != tn.Generation {
		t.Errorf("status = phase %q namespace %q observedGeneration %d, want Active %q %d", tn.Status.Phase, tn.Status.Namespace, tn.Status.ObservedGeneration, nsName, tn.Generation)
	}
	// Checked by the pass after the one that wrote the workspace, which Ready need not wait for.
	eventually(t, waitTimeout, conditionIs(name, workspacesv1alpha1.ConditionIsolated, metav1.ConditionTrue, workspacesv1alpha1.ReasonIsolated))

	ns := &corev1.Namespace{}
	if err := k8s.Get(ctx, client.ObjectKey{Name: nsName}, ns); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		workspacesv1alpha1.TenantLabel:       name,
		workspacesv1alpha1.ManagedByLabel:    "workspace-operator",
		workspacesv1alpha1.RegionLabel:       "eu-central-1",
		"pod-security.kubernetes.io/enforce": "restricted",
		"pod-security.kubernetes.io/audit":   "restricted",
		"pod-security.kubernetes.io/warn":    "restricted",
	} {
		if ns.Labels[k] != v {
			t.Errorf("namespace label %s = %q, want %q", k, ns.Labels[k], v)
		}
	}
	if len(ns.OwnerReferences) != 0 {
		t.Errorf("namespace has owner references %v: deleting the Tenant must never cascade to it", ns.OwnerReferences)
	}

	deny := &networkingv1.NetworkPolicy{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: nsName, Name: networkPolicyDefaultDeny}, deny); err != nil {
		t.Fatal(err)
	}
	if len(deny.Spec.PodSelector.MatchLabels) != 0 || len(deny.Spec.Ingress) != 0 || len(deny.Spec.Egress) != 0 || len(deny.Spec.PolicyTypes) != 2 {
		t.Errorf("default-deny policy does not deny all ingress and egress: %+v", deny.Spec)
	}
	dns := &networkingv1.NetworkPolicy{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: nsName, Name: networkPolicyDNS}, dns); err != nil {
		t.Fatal(err)
	}
	if len(dns.Spec.Egress) != 1 || len(dns.Spec.Egress[0].Ports) != 2 || dns.Spec.Egress[0].Ports[0].Port.IntValue() != 53 ||
		dns.Spec.Egress[0].To[0].NamespaceSelector.MatchLabels[corev1.LabelMetadataName] != "kube-system" {
		t.Errorf("allow-dns policy does not allow exactly DNS to kube-system: %+v", dns.Spec)
	}
	same := &networkingv1.NetworkPolicy{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: nsName, Name: networkPolicySameNamespace}, same); err != nil {
		t.Fatal(err)
	}
	if from := same.Spec.Ingress[0].From[0]; from.NamespaceSelector != nil || from.PodSelector == nil {
		t.Errorf("allow-same-namespace admits more than the namespace's own pods: %+v", from)
	}

	quota := &corev1.ResourceQuota{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: nsName, Name: resourceQuotaName}, quota); err != nil {
		t.Fatal(err)
	}
	if got := quota.Spec.Hard[corev1.ResourcePods]; got.Cmp(resource.MustParse("7")) != 0 || len(quota.Spec.Hard) != 1 {
		t.Errorf("quota hard = %v, want the Tenant's own {pods: 7}", quota.Spec.Hard)
	}
	lr := &corev1.LimitRange{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: nsName, Name: limitRangeName}, lr); err != nil {
		t.Fatal(err)
	}
	if got := lr.Spec.Limits[0].Default[corev1.ResourceMemory]; got.Cmp(opConfig.DefaultLimits.Default[corev1.ResourceMemory]) != 0 {
		t.Errorf("LimitRange default memory = %s, want the configured default %s", got.String(), opConfig.DefaultLimits.Default.Memory())
	}

	wantBindings := map[string][]string{
		"tenant-owner":  {"User/olivia@example.com"},
		"tenant-admin":  {"Group/ops"},
		"tenant-member": {"ServiceAccount/build/ci"},
		"tenant-viewer": {"User/val@example.com", "User/vic@example.com"},
	}
	if got := roleBindingSubjects(t, nsName); fmt.Sprint(got) != fmt.Sprint(wantBindings) {
		t.Errorf("role bindings = %v, want %v", got, wantBindings)
	}

	key := &corev1.Secret{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: nsName, Name: contract.HMACKeySecret}, key); err != nil {
		t.Fatal(err)
	}
	if len(key.Data[contract.HMACKeyKey]) != hmacKeyBytes {
		t.Errorf("HMAC key is %d bytes, want %d", len(key.Data[contract.HMACKeyKey]), hmacKeyBytes)
	}
}

// roleBindingSubjects maps each managed RoleBinding in ns to "Kind/[namespace/]name" of its subjects, and
// checks it refers to the tenant ClusterRole of its name.
func roleBindingSubjects(t *testing.T, ns string) map[string][]string {
	t.Helper()
	list := &rbacv1.RoleBindingList{}
	if err := k8s.List(context.Background(), list, client.InNamespace(ns), client.MatchingLabels{workspacesv1alpha1.ManagedByLabel: "workspace-operator"}); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, rb := range list.Items {
		if want := "workspace-operator:" + rb.Name; rb.RoleRef.Name != want || rb.RoleRef.Kind != "ClusterRole" {
			t.Errorf("RoleBinding %s refers to %s %s, want ClusterRole %s", rb.Name, rb.RoleRef.Kind, rb.RoleRef.Name, want)
		}
		subs := []string{}
		for _, s := range rb.Subjects {
			if s.Namespace != "" {
				subs = append(subs, s.Kind+"/"+s.Namespace+"/"+s.Name)
			} else {
				subs = append(subs, s.Kind+"/"+s.Name)
			}
		}
		out[rb.Name] = subs
	}
	return out
}

func TestDriftIsRepaired(t *testing.T) {
	needsCluster(t)
	ctx := context.Background()
	name := "drift"
	cleanupTenant(t, name)
	createTenant(t, newTenant(name, withMembers(user("dana@example.com", workspacesv1alpha1.RoleAdmin))))
	waitReady(t, name)
	nsName := namespaceOf(name)

	t.Run("deleted NetworkPolicy comes back", func(t *testing.T) {
		np := &networkingv1.NetworkPolicy{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: nsName, Name: networkPolicyDefaultDeny}, np); err != nil {
			t.Fatal(err)
		}
		uid := np.UID
		if err := k8s.Delete(ctx, np); err != nil {
			t.Fatal(err)
		}
		eventually(t, waitTimeout, func() error {
			if err := exists(np, networkPolicyDefaultDeny, nsName)(); err != nil {
				return err
			}
			if np.UID == uid {
				return fmt.Errorf("still the deleted policy")
			}
			return nil
		})
	})
	t.Run("weakened NetworkPolicy is restored", func(t *testing.T) {
		np := &networkingv1.NetworkPolicy{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: nsName, Name: networkPolicyDefaultDeny}, np); err != nil {
			t.Fatal(err)
		}
		np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{}} // admit everything
		if err := k8s.Update(ctx, np); err != nil {
			t.Fatal(err)
		}
		eventually(t, waitTimeout, func() error {
			if err := k8s.Get(ctx, client.ObjectKey{Namespace: nsName, Name: networkPolicyDefaultDeny}, np); err != nil {
				return err
			}
			if len(np.Spec.Ingress) != 0 {
				return fmt.Errorf("default-deny still admits ingress: %+v", np.Spec.Ingress)
			}
			return nil
		})
	})
	t.Run("relaxed Pod Security label is restored", func(t *testing.T) {
		ns := &corev1.Namespace{}
		if err := k8s.Get(ctx, client.ObjectKey{Name: nsName}, ns); err != nil {
			t.Fatal(err)
		}
		ns.Labels["pod-security.kubernetes.io/enforce"] = "privileged"
		if err := k8s.Update(ctx, ns); err != nil {
			t.Fatal(err)
		}
		eventually(t, waitTimeout, func() error {
			if err := k8s.Get(ctx, client.ObjectKey{Name: nsName}, ns); err != nil {
				return err
			}
			if got := ns.Labels["pod-security.kubernetes.io/enforce"]; got != "restricted" {
				return fmt.Errorf("enforce = %q", got)
			}
			return nil
		})
	})
	t.Run("raised quota is restored", func(t *testing.T) {
		q := &corev1.ResourceQuota{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: nsName, Name: resourceQuotaName}, q); err != nil {
			t.Fatal(err)
		}
		q.Spec.Hard[corev1.ResourcePods] = resource.MustParse("5000")
		if err := k8s.Update(ctx, q); err != nil {
			t.Fatal(err)
		}
		want := opConfig.DefaultQuota[corev1.ResourcePods]
		eventually(t, waitTimeout, func() error {
			if err := k8s.Get(ctx, client.ObjectKey{Namespace: nsName, Name: resourceQuotaName}, q); err != nil {
				return err
			}
			if got := q.Spec.Hard[corev1.ResourcePods]; got.Cmp(want) != 0 {
				return fmt.Errorf("pods quota = %s, want %s", got.String(), want.String())
			}
			return nil
		})
	})
	t.Run("deleted RoleBinding comes back", func(t *testing.T) {
		rb := &rbacv1.RoleBinding{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: nsName, Name: "tenant-admin"}, rb); err != nil {
			t.Fatal(err)
		}
		if err := k8s.Delete(ctx, rb); err != nil {
			t.Fatal(err)
		}
		eventually(t, waitTimeout, func() error {
			if err := exists(&rbacv1.RoleBinding{}, "tenant-admin", nsName)(); err != nil {
				return err
			}
			if got := roleBindingSubjects(t, nsName)["tenant-admin"]; fmt.Sprint(got) != "[User/dana@example.com]" {
				return fmt.Errorf("subjects %v", got)
			}
			return nil
		})
	})
	t.Run("deleted HMAC key is recreated; an existing one is never replaced", func(t *testing.T) {
		key := &corev1.Secret{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: nsName, Name: contract.HMACKeySecret}, key); err != nil {
			t.Fatal(err)
		}
		before := string(key.Data[contract.HMACKeyKey])
		// Touching the Tenant reconciles it; the key must stay as it is.
		updateTenant(t, name, func(tn *workspacesv1alpha1.Tenant) { tn.Spec.DisplayName = "Drift Ltd" })
		waitReady(t, name)
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: nsName, Name: contract.HMACKeySecret}, key); err != nil {
			t.Fatal(err)
		}
		if string(key.Data[contract.HMACKeyKey]) != before {
			t.Fatal("the HMAC key changed on a reconcile")
		}
		if err := k8s.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
		eventually(t, waitTimeout, exists(&corev1.Secret{}, contract.HMACKeySecret, nsName))
	})
}

func TestMembershipChangesUpdateBindings(t *testing.T) {
	needsCluster(t)
	name := "members"
	nsName := namespaceOf(name)
	cleanupTenant(t, name)
	createTenant(t, newTenant(name, withMembers(user("amy@example.com", workspacesv1alpha1.RoleMember))))
	waitReady(t, name)

	updateTenant(t, name, func(tn *workspacesv1alpha1.Tenant) {
		tn.Spec.Members = append(tn.Spec.Members, user("ben@example.com", workspacesv1alpha1.RoleMember), user("cy@example.com", workspacesv1alpha1.RoleViewer))
	})
	eventually(t, waitTimeout, func() error {
		got := fmt.Sprint(roleBindingSubjects(t, nsName))
		if want := "map[tenant-member:[User/amy@example.com User/ben@example.com] tenant-viewer:[User/cy@example.com]]"; got != want {
			return fmt.Errorf("bindings %s, want %s", got, want)
		}
		return nil
	})

	updateTenant(t, name, func(tn *workspacesv1alpha1.Tenant) {
		tn.Spec.Members = []workspacesv1alpha1.Member{user("ben@example.com", workspacesv1alpha1.RoleMember)}
	})
	eventually(t, waitTimeout, func() error {
		got := fmt.Sprint(roleBindingSubjects(t, nsName))
		if want := "map[tenant-member:[User/ben@example.com]]"; got != want {
			return fmt.Errorf("bindings %s, want %s (removed members keep no binding)", got, want)
		}
		return nil
	})
}

func TestSuspendedTenantKeepsReadAccessOnly(t *testing.T) {
	needsCluster(t)
	name := "suspended"
	nsName := namespaceOf(name)
	cleanupTenant(t, name)
	createTenant(t, newTenant(name, withMembers(user("own@example.com", workspacesv1alpha1.RoleOwner), user("view@example.com", workspacesv1alpha1.RoleViewer))))
	waitReady(t, name)

	updateTenant(t, name, func(tn *workspacesv1alpha1.Tenant) { tn.Spec.Lifecycle = workspacesv1alpha1.LifecycleSuspended })
	eventually(t, waitTimeout, func() error {
		got := fmt.Sprint(roleBindingSubjects(t, nsName))
		if want := "map[tenant-viewer:[User/own@example.com User/view@example.com]]"; got != want {
			return fmt.Errorf("bindings %s, want every member read-only: %s", got, want)
		}
		return nil
	})
	tn := waitReady(t, name)
	if tn.Status.Phase != workspacesv1alpha1.TenantPhaseSuspended {
		t.Errorf("phase = %s, want Suspended", tn.Status.Phase)
	}
	if err := exists(&corev1.Secret{}, contract.HMACKeySecret, nsName)(); err != nil {
		t.Errorf("suspension must keep data: %v", err)
	}
}

func TestTenantRolesCannotReadSecrets(t *testing.T) {
	needsCluster(t)
	ctx := context.Background()
	name := "sar"
	nsName := namespaceOf(name)
	cleanupTenant(t, name)
	members := map[workspacesv1alpha1.Role]string{}
	for _, role := range workspacesv1alpha1.Roles {
		members[role] = string(role) + "@sar.example.com"
	}
	createTenant(t, newTenant(name, withMembers(
		user(members[workspacesv1alpha1.RoleOwner], workspacesv1alpha1.RoleOwner),
		user(members[workspacesv1alpha1.RoleAdmin], workspacesv1alpha1.RoleAdmin),
		user(members[workspacesv1alpha1.RoleMember], workspacesv1alpha1.RoleMember),
		user(members[workspacesv1alpha1.RoleViewer], workspacesv1alpha1.RoleViewer),
	)))
	waitReady(t, name)

	allowed := func(userName, verb, group, res string) bool {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User:               userName,
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: nsName, Verb: verb, Group: group, Resource: res},
		}}
		if err := k8s.Create(ctx, sar); err != nil {
			t.Fatal(err)
		}
		return sar.Status.Allowed
	}
	for _, role := range workspacesv1alpha1.Roles {
		u := members[role]
		for _, verb := range []string{"get", "list", "watch"} {
			if allowed(u, verb, "", "secrets") {
				t.Errorf("%s (%s) may %s Secrets", u, role, verb)
			}
		}
		if !allowed(u, "list", "workspaces.alitok.ai", "integrations") {
			t.Errorf("%s (%s) may not list Integrations in the tenant namespace", u, role)
		}
		if allowed(u, "get", "workspaces.alitok.ai", "datarequests") {
			t.Errorf("%s (%s) may read DataRequests", u, role)
		}
		if allowed(u, "create", "rbac.authorization.k8s.io", "rolebindings") {
			t.Errorf("%s (%s) may grant access by creating RoleBindings", u, role)
		}
	}
	if allowed(members[workspacesv1alpha1.RoleViewer], "create", "workspaces.alitok.ai", "integrations") {
		t.Error("a viewer may create Integrations")
	}
	if !allowed(members[workspacesv1alpha1.RoleAdmin], "create", "workspaces.alitok.ai", "integrations") {
		t.Error("an admin may not create Integrations")
	}
	if allowed(members[workspacesv1alpha1.RoleOwner], "get", "", "secrets") {
		t.Error("an owner may read Secrets")
	}
}

func TestClosedTenantLosesAccessAtOnceAndIsPurgedAfterGracePeriod(t *testing.T) {
	needsCluster(t)
	name := "closing"
	nsName := namespaceOf(name)
	cleanupTenant(t, name)
	createTenant(t, newTenant(name, withMembers(user("cara@example.com", workspacesv1alpha1.RoleOwner)), func(tn *workspacesv1alpha1.Tenant) {
		tn.Spec.Closure = &workspacesv1alpha1.ClosureSpec{GracePeriodDays: ptrTo(int32(1))}
	}))
	waitReady(t, name)

	updateTenant(t, name, func(tn *workspacesv1alpha1.Tenant) { tn.Spec.Lifecycle = workspacesv1alpha1.LifecycleClosed })
	eventually(t, waitTimeout, func() error {
		if n := len(roleBindingSubjects(t, nsName)); n != 0 {
			return fmt.Errorf("%d RoleBindings left after closure", n)
		}
		return nil
	})
	eventually(t, waitTimeout, conditionIs(name, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, workspacesv1alpha1.ReasonClosed))
	tn := getTenant(t, name)
	if tn.Status.Phase != workspacesv1alpha1.TenantPhaseClosing {
		t.Errorf("phase = %s, want Closing", tn.Status.Phase)
	}
	c := tn.Status.Closure
	if c == nil || c.ClosedAt == nil || c.PurgeAfter == nil || !c.PurgeAfter.Equal(&metav1.Time{Time: c.ClosedAt.Add(24 * time.Hour)}) {
		t.Fatalf("closure = %+v, want purgeAfter = closedAt + 1 day", c)
	}
	consistently(t, 3*time.Second, exists(nsObj(), nsName, ""))

	// A day passes.
	clock.Advance(25 * time.Hour)
	t.Cleanup(func() { clock.Advance(-25 * time.Hour) })
	updateTenant(t, name, func(tn *workspacesv1alpha1.Tenant) {
		tn.Annotations = map[string]string{"test/touch": "after-grace"}
	})
	completePurge(t, nsName)
	eventually(t, 2*waitTimeout, gone(nsObj(), nsName, ""))
	eventually(t, waitTimeout, func() error {
		tn := getTenant(t, name)
		if tn.Status.Phase != workspacesv1alpha1.TenantPhaseClosed || tn.Status.Closure.PurgedAt == nil {
			return fmt.Errorf("phase %s, closure %+v; want Closed with purgedAt", tn.Status.Phase, tn.Status.Closure)
		}
		return nil
	})
	// Nothing brings a purged workspace back.
	consistently(t, 2*time.Second, gone(nsObj(), nsName, ""))
}

func TestConfirmPurgeAnnotationSkipsGracePeriod(t *testing.T) {
	needsCluster(t)
	name := "confirmed"
	nsName := namespaceOf(name)
	cleanupTenant(t, name)
	createTenant(t, newTenant(name))
	waitReady(t, name)

	updateTenant(t, name, func(tn *workspacesv1alpha1.Tenant) { tn.Spec.Lifecycle = workspacesv1alpha1.LifecycleClosed })
	eventually(t, waitTimeout, conditionIs(name, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, workspacesv1alpha1.ReasonClosed))
	// Another tenant's name does not confirm this one's purge.
	updateTenant(t, name, func(tn *workspacesv1alpha1.Tenant) {
		tn.Annotations = map[string]string{workspacesv1alpha1.ConfirmPurgeAnnotation: "someone-else"}
	})
	consistently(t, 2*time.Second, exists(nsObj(), nsName, ""))
	updateTenant(t, name, func(tn *workspacesv1alpha1.Tenant) {
		tn.Annotations = map[string]string{workspacesv1alpha1.ConfirmPurgeAnnotation: name}
	})
	completePurge(t, nsName)
	eventually(t, 2*waitTimeout, gone(nsObj(), nsName, ""))
	eventually(t, waitTimeout, conditionIs(name, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, workspacesv1alpha1.ReasonPurged))
}

func TestDeletingAnActiveTenantIsBlockedAndRemovesNothing(t *testing.T) {
	needsCluster(t)
	ctx := context.Background()
	name := "undeletable"
	nsName := namespaceOf(name)
	cleanupTenant(t, name)
	createTenant(t, newTenant(name, withMembers(user("eve@example.com", workspacesv1alpha1.RoleOwner))))
	waitReady(t, name)

	if err := k8s.Delete(ctx, newTenant(name)); err != nil {
		t.Fatal(err)
	}
	eventually(t, waitTimeout, conditionIs(name, workspacesv1alpha1.ConditionDeletionBlocked, metav1.ConditionTrue, workspacesv1alpha1.ReasonTenantNotClosed))
	var note string
	eventually(t, waitTimeout, eventFor(name, workspacesv1alpha1.ReasonTenantNotClosed, &note))
	if !strings.Contains(note, "lifecycle to Closed") || !strings.Contains(note, workspacesv1alpha1.ConfirmPurgeAnnotation) {
		t.Errorf("event does not say how to proceed: %q", note)
	}
	consistently(t, 3*time.Second, func() error {
		tn := &workspacesv1alpha1.Tenant{}
		if err := k8s.Get(ctx, client.ObjectKey{Name: name}, tn); err != nil {
			return fmt.Errorf("the Tenant is gone: %w", err)
		}
		if err := exists(nsObj(), nsName, "")(); err != nil {
			return err
		}
		if err := exists(&networkingv1.NetworkPolicy{}, networkPolicyDefaultDeny, nsName)(); err != nil {
			return err
		}
		if got := roleBindingSubjects(t, nsName)["tenant-owner"]; len(got) != 1 {
			return fmt.Errorf("owner binding = %v", got)
		}
		return nil
	})
	// The workspace stays isolated while deletion is held.
	if err := k8s.Delete(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: networkPolicyDefaultDeny, Namespace: nsName}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, waitTimeout, exists(&networkingv1.NetworkPolicy{}, networkPolicyDefaultDeny, nsName))
}

func TestDeletingEveryTenantAtOnceDeletesNoNamespace(t *testing.T) {
	needsCluster(t)
	ctx := context.Background()
	names := []string{"crd-a", "crd-b", "crd-c"}
	for _, n := range names {
		cleanupTenant(t, n)
		createTenant(t, newTenant(n))
	}
	for _, n := range names {
		waitReady(t, n)
	}
	// What removing the CRD does first: every Tenant is deleted.
	if err := k8s.DeleteAllOf(ctx, &workspacesv1alpha1.Tenant{}); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		eventually(t, waitTimeout, conditionIs(n, workspacesv1alpha1.ConditionDeletionBlocked, metav1.ConditionTrue, workspacesv1alpha1.ReasonTenantNotClosed))
	}
	// The controller manager runs namespace deletion and garbage collection: give them time to do harm.
	consistently(t, 5*time.Second, func() error {
		for _, n := range names {
			if err := exists(nsObj(), namespaceOf(n), "")(); err != nil {
				return err
			}
		}
		return nil
	})
}

func TestInvalidTenantsAreRefusedByTheAPIServer(t *testing.T) {
	needsCluster(t)
	cases := []struct {
		name   string
		tenant *workspacesv1alpha1.Tenant
		want   string
	}{
		{"unknown role", newTenant("bad-role", withMembers(user("x", "superuser"))), `Unsupported value: "superuser"`},
		{"unknown member kind", newTenant("bad-kind", withMembers(workspacesv1alpha1.Member{Kind: "Robot", Name: "r2", Role: workspacesv1alpha1.RoleViewer})), `Unsupported value: "Robot"`},
		{"service account without namespace", newTenant("bad-sa", withMembers(workspacesv1alpha1.Member{Kind: workspacesv1alpha1.MemberServiceAccount, Name: "ci", Role: workspacesv1alpha1.RoleViewer})), "namespace is required for a ServiceAccount member"},
		{"user with namespace", newTenant("bad-user", withMembers(workspacesv1alpha1.Member{Kind: workspacesv1alpha1.MemberUser, Name: "u", Namespace: "x", Role: workspacesv1alpha1.RoleViewer})), "must be empty for User and Group members"},
		{"name too long for the namespace prefix", newTenant(strings.Repeat("a", 57)), "at most 56 characters"},
		{"name with a dot", newTenant("acme.corp"), "must be a DNS label"},
		{"unknown lifecycle", newTenant("bad-lifecycle", func(tn *workspacesv1alpha1.Tenant) { tn.Spec.Lifecycle = "Deleted" }), `Unsupported value: "Deleted"`},
		{"negative grace period", newTenant("bad-grace", func(tn *workspacesv1alpha1.Tenant) {
			tn.Spec.Closure = &workspacesv1alpha1.ClosureSpec{GracePeriodDays: ptrTo(int32(-1))}
		}), "should be greater than or equal to 0"},
		{"unknown retention category", newTenant("bad-retention", func(tn *workspacesv1alpha1.Tenant) {
			tn.Spec.Retention = []workspacesv1alpha1.RetentionRule{{Category: "everything", KeepDays: 3}}
		}), `Unsupported value: "everything"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := k8s.Create(context.Background(), tc.tenant)
			if err == nil {
				_ = k8s.Delete(context.Background(), tc.tenant)
				t.Fatalf("the API server accepted it")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestRegionOutsideTheAllowedListStalls(t *testing.T) {
	needsCluster(t)
	name := "offshore"
	cleanupTenant(t, name)
	createTenant(t, newTenant(name, func(tn *workspacesv1alpha1.Tenant) {
		tn.Spec.Residency = &workspacesv1alpha1.ResidencySpec{Region: "mars-north-1"}
	}))
	eventually(t, waitTimeout, conditionIs(name, workspacesv1alpha1.ConditionStalled, metav1.ConditionTrue, workspacesv1alpha1.ReasonRegionNotAllowed))
	tn := getTenant(t, name)
	msg := findConditionMessage(tn, workspacesv1alpha1.ConditionStalled)
	for _, r := range opConfig.AllowedRegions {
		if !strings.Contains(msg, r) {
			t.Errorf("Stalled message %q does not name allowed region %s", msg, r)
		}
	}
	if err := conditionIs(name, workspacesv1alpha1.ConditionReady, metav1.ConditionFalse, workspacesv1alpha1.ReasonRegionNotAllowed)(); err != nil {
		t.Error(err)
	}
	eventually(t, waitTimeout, eventFor(name, workspacesv1alpha1.ReasonRegionNotAllowed, nil))
	if err := gone(nsObj(), namespaceOf(name), "")(); err != nil {
		t.Errorf("a stalled tenant got a namespace: %v", err)
	}

	// Fixing the input recovers without anyone restarting anything.
	updateTenant(t, name, func(tn *workspacesv1alpha1.Tenant) { tn.Spec.Residency.Region = opConfig.AllowedRegions[0] })
	waitReady(t, name)
	if c := findConditionMessage(getTenant(t, name), workspacesv1alpha1.ConditionStalled); c != "" {
		t.Errorf("Stalled still present after the fix: %s", c)
	}
}

func TestExistingForeignNamespaceIsNotTakenOver(t *testing.T) {
	needsCluster(t)
	ctx := context.Background()
	name := "squatted"
	nsName := namespaceOf(name)
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: nsName, Labels: map[string]string{"team": "other"}}}); err != nil {
		t.Fatal(err)
	}
	cleanupTenant(t, name)
	createTenant(t, newTenant(name))
	eventually(t, waitTimeout, conditionIs(name, workspacesv1alpha1.ConditionStalled, metav1.ConditionTrue, workspacesv1alpha1.ReasonNamespaceConflict))
	ns := &corev1.Namespace{}
	if err := k8s.Get(ctx, client.ObjectKey{Name: nsName}, ns); err != nil {
		t.Fatal(err)
	}
	if _, labelled := ns.Labels[workspacesv1alpha1.TenantLabel]; labelled {
		t.Error("the operator labelled a namespace it does not own")
	}
}

// The cache holds CronJobs without their Pod templates and the operator's objects without managedFields
// (cache.go): an edit someone else makes to what the cache does not hold is still seen and put back, what they
// add beside the operator's fields stays, and once the operator has looked, reconciling again costs no write.
func TestEditsByOthersToWhatTheCacheDoesNotHoldAreRepaired(t *testing.T) {
	needsCluster(t)
	ctx := context.Background()
	name := "edited"
	cleanupTenant(t, name)
	createTenant(t, newTenant(name, withMembers(user("eve@example.com", workspacesv1alpha1.RoleAdmin)), func(tn *workspacesv1alpha1.Tenant) {
		tn.Spec.Retention = []workspacesv1alpha1.RetentionRule{{Category: workspacesv1alpha1.CategoryLogs, KeepDays: 30}}
	}))
	waitReady(t, name)
	nsName := namespaceOf(name)
	key := client.ObjectKey{Namespace: nsName, Name: retentionCronJobName}
	cj := &batchv1.CronJob{}
	if err := k8s.Get(ctx, key, cj); err != nil {
		t.Fatal(err)
	}
	image := cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Image
	if cj.Annotations[AppliedAnnotation] == "" {
		t.Errorf("the CronJob carries no %s annotation: %v", AppliedAnnotation, cj.Annotations)
	}
	// As kubectl edit would: an Update under another field manager, changing the image and adding an annotation.
	cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Image = "registry.example/other:latest"
	metav1.SetMetaDataAnnotation(&cj.ObjectMeta, "team.example/owner", "platform")
	if err := k8s.Update(ctx, cj, client.FieldOwner("kubectl-edit")); err != nil {
		t.Fatal(err)
	}
	eventually(t, waitTimeout, func() error {
		if err := k8s.Get(ctx, key, cj); err != nil {
			return err
		}
		if got := cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Image; got != image {
			return fmt.Errorf("the retention CronJob still runs %s, want %s", got, image)
		}
		return nil
	})
	if cj.Annotations["team.example/owner"] != "platform" {
		t.Errorf("the other writer's annotation is gone: %v", cj.Annotations)
	}

	if n, by := writesWhenTouched(t, name); n != 0 {
		t.Errorf("reconciling again after the repair sent %d writes: %v", n, by)
	}
	// A new process has no record of that check: it reads the CronJob in full, finds the operator's fields as
	// applied beside the other writer's annotation, and writes nothing.
	if n, by := writesAfterRestart(t); n != 0 {
		t.Errorf("the restarted operator sent %d writes over a CronJob another writer annotated: %v", n, by)
	}
}

func TestUnchangedTenantCausesNoWrites(t *testing.T) {
	needsCluster(t)
	name := "steady"
	cleanupTenant(t, name)
	createTenant(t, newTenant(name, withMembers(user("sam@example.com", workspacesv1alpha1.RoleOwner), user("sue@example.com", workspacesv1alpha1.RoleViewer)),
		func(tn *workspacesv1alpha1.Tenant) {
			tn.Spec.Residency = &workspacesv1alpha1.ResidencySpec{Region: "eu-west-1"}
			tn.Spec.Limits = &workspacesv1alpha1.LimitsSpec{Default: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}}
		}))
	waitReady(t, name)

	if n, by := writesWhenTouched(t, name); n != 0 {
		t.Errorf("reconciling an unchanged Tenant sent %d writes: %v", n, by)
	}
	if n, by := writesAfterRestart(t); n != 0 {
		t.Errorf("the restarted operator sent %d writes over existing tenants: %v", n, by)
	}
}

// writesWhenTouched annotates the Tenant with something the operator does not use, so that it is reconciled
// again with nothing to change, and returns the writes the operator sent until a second after that reconcile.
func writesWhenTouched(t *testing.T, name string) (int64, map[string]int) {
	t.Helper()
	waitQuiet(t)
	before := reconcileCount(t)
	updateTenant(t, name, func(tn *workspacesv1alpha1.Tenant) { tn.Annotations = map[string]string{"test/touch": "1"} })
	eventually(t, waitTimeout, func() error {
		if reconcileCount(t) <= before {
			return fmt.Errorf("no reconcile yet")
		}
		return nil
	})
	time.Sleep(time.Second)
	return operator.writes.reset()
}

// writesAfterRestart stops the operator, starts a new one over the existing tenants and returns the writes the
// new process sent until two seconds after it reconciled again.
func writesAfterRestart(t *testing.T) (int64, map[string]int) {
	t.Helper()
	waitQuiet(t)
	before := reconcileCount(t)
	if err := operator.stop(); err != nil {
		t.Fatalf("stopping the operator: %v", err)
	}
	var err error
	if operator, err = startOperator(); err != nil {
		t.Fatal(err)
	}
	eventually(t, waitTimeout, func() error {
		if reconcileCount(t) <= before {
			return fmt.Errorf("not reconciled since restart")
		}
		return nil
	})
	time.Sleep(2 * time.Second)
	return operator.writes.reset()
}

func findConditionMessage(tn *workspacesv1alpha1.Tenant, typ string) string {
	for _, c := range tn.Status.Conditions {
		if c.Type == typ {
			return c.Message
		}
	}
	return ""
}

// reconcileCount is how many times the Tenant controller has reconciled, from controller-runtime's metrics.
func reconcileCount(t *testing.T) float64 {
	t.Helper()
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var total float64
	for _, f := range families {
		if f.GetName() != "controller_runtime_reconcile_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "controller" && l.GetValue() == "tenant" {
					total += m.GetCounter().GetValue()
				}
			}
		}
	}
	return total
}

// waitQuiet waits until the operator has sent no write for a few seconds: the work earlier steps and other
// tests' clean-ups caused is done, and what is counted next is the operator's alone.
func waitQuiet(t *testing.T) {
	t.Helper()
	const window = 3 * time.Second
	eventually(t, 4*waitTimeout, func() error {
		// Closed tenants being deleted are waiting for their namespaces to go: work still to do.
		list := &workspacesv1alpha1.TenantList{}
		if err := k8s.List(context.Background(), list); err != nil {
			return err
		}
		for _, tn := range list.Items {
			if tn.DeletionTimestamp != nil && tn.GetLifecycle() == workspacesv1alpha1.LifecycleClosed {
				return fmt.Errorf("Tenant %s is still being purged: phase %s, conditions %+v, jobs in its namespace %v",
					tn.Name, tn.Status.Phase, tn.Status.Conditions, jobSummary(tn.Status.Namespace))
			}
		}
		operator.writes.reset()
		time.Sleep(window)
		if n, by := operator.writes.reset(); n != 0 {
			return fmt.Errorf("the operator keeps writing: %d writes in %s: %v", n, window, by)
		}
		return nil
	})
}

// jobSummary names the Jobs of a namespace with their conditions and Pods, for failure messages.
func jobSummary(ns string) string {
	jobs := &batchv1.JobList{}
	if err := k8s.List(context.Background(), jobs, client.InNamespace(ns)); err != nil {
		return err.Error()
	}
	var out []string
	for _, j := range jobs.Items {
		pods := &corev1.PodList{}
		_ = k8s.List(context.Background(), pods, client.InNamespace(ns), client.MatchingLabels{batchv1.JobNameLabel: j.Name})
		out = append(out, fmt.Sprintf("%s(conditions %v, pods %d, active %d)", j.Name, j.Status.Conditions, len(pods.Items), j.Status.Active))
	}
	return strings.Join(out, ", ")
}
