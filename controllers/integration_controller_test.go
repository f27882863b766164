package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/contract"
	"github.com/alitok/workspace-operator/internal/eso"
)

// newIntegration is a TikTok Shop integration syncing orders and products with exactly their scopes.
func newIntegration(name, ns string, mutate ...func(*workspacesv1alpha1.Integration)) *workspacesv1alpha1.Integration {
	i := &workspacesv1alpha1.Integration{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: workspacesv1alpha1.IntegrationSpec{
			Provider: workspacesv1alpha1.ProviderTikTokShop,
			Account:  workspacesv1alpha1.AccountRef{ID: "7495-shop", Region: "GB"},
			Features: []workspacesv1alpha1.Feature{{Name: workspacesv1alpha1.FeatureOrders}, {Name: workspacesv1alpha1.FeatureProducts}},
			Scopes:   []string{"seller.order.info", "seller.product.basic"},
			Credentials: workspacesv1alpha1.CredentialsSpec{
				RemoteKey: "tiktok/main",
			},
		},
	}
	for _, m := range mutate {
		m(i)
	}
	return i
}

// tenantWithIntegration creates a Ready tenant and an Integration in its namespace, and cleans both up.
func tenantWithIntegration(t *testing.T, tenant string, mutate ...func(*workspacesv1alpha1.Integration)) *workspacesv1alpha1.Integration {
	t.Helper()
	cleanupTenant(t, tenant)
	createTenant(t, newTenant(tenant, withMembers(user("owner@"+tenant+".example", workspacesv1alpha1.RoleOwner)), func(tn *workspacesv1alpha1.Tenant) {
		tn.Spec.Residency = &workspacesv1alpha1.ResidencySpec{Region: "eu-west-1"}
	}))
	waitReady(t, tenant)
	i := newIntegration("shop", namespaceOf(tenant), mutate...)
	if err := k8s.Create(context.Background(), i); err != nil {
		t.Fatalf("creating Integration: %v", err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), i) })
	return i
}

func intgCondition(i *workspacesv1alpha1.Integration, typ string, status metav1.ConditionStatus, reason string) func() error {
	return func() error {
		live := &workspacesv1alpha1.Integration{}
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(i), live); err != nil {
			return err
		}
		c := meta.FindStatusCondition(live.Status.Conditions, typ)
		switch {
		case c == nil:
			return fmt.Errorf("Integration %s has no %s condition (conditions: %+v)", i.Name, typ, live.Status.Conditions)
		case c.Status != status || (reason != "" && c.Reason != reason):
			return fmt.Errorf("Integration %s: %s=%s (%s: %s), want %s (%s)", i.Name, typ, c.Status, c.Reason, c.Message, status, reason)
		case c.ObservedGeneration != live.Generation:
			return fmt.Errorf("Integration %s: %s is for generation %d, not %d", i.Name, typ, c.ObservedGeneration, live.Generation)
		}
		return nil
	}
}

func getIntegration(t *testing.T, i *workspacesv1alpha1.Integration) *workspacesv1alpha1.Integration {
	t.Helper()
	live := &workspacesv1alpha1.Integration{}
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(i), live); err != nil {
		t.Fatal(err)
	}
	return live
}

func updateIntegration(t *testing.T, i *workspacesv1alpha1.Integration, mutate func(*workspacesv1alpha1.Integration)) {
	t.Helper()
	eventually(t, waitTimeout, func() error {
		live := &workspacesv1alpha1.Integration{}
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(i), live); err != nil {
			return err
		}
		mutate(live)
		return k8s.Update(context.Background(), live)
	})
}

// cronJobNames lists the sync CronJobs of a namespace.
func cronJobNames(t *testing.T, ns string) []string {
	t.Helper()
	list := &batchv1.CronJobList{}
	if err := k8s.List(context.Background(), list, client.InNamespace(ns), client.MatchingLabels{workspacesv1alpha1.ComponentLabel: componentSync}); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, cj := range list.Items {
		if cj.DeletionTimestamp == nil {
			names = append(names, cj.Name)
		}
	}
	slices.Sort(names)
	return names
}

// cronJobsSuspended returns nil once every sync CronJob of the namespace is suspended, or none is.
func cronJobsSuspended(ns string, want bool) func() error {
	return func() error {
		list := &batchv1.CronJobList{}
		if err := k8s.List(context.Background(), list, client.InNamespace(ns), client.MatchingLabels{workspacesv1alpha1.ComponentLabel: componentSync}); err != nil {
			return err
		}
		if len(list.Items) == 0 {
			return fmt.Errorf("no CronJobs in %s", ns)
		}
		for _, cj := range list.Items {
			if got := cj.Spec.Suspend != nil && *cj.Spec.Suspend; got != want {
				return fmt.Errorf("CronJob %s suspend = %v, want %v", cj.Name, got, want)
			}
		}
		return nil
	}
}

func TestIntegrationGetsScopedCredentialsAndLeastPrivilegeCronJobs(t *testing.T) {
	needsCluster(t)
	ctx := context.Background()
	i := tenantWithIntegration(t, "seller")
	ns := i.Namespace
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionCredentialsReady, metav1.ConditionTrue, ""))
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, ""))
	eventually(t, waitTimeout, conditionIs("seller", workspacesv1alpha1.ConditionSecretStoreReady, metav1.ConditionTrue, ""))

	// The real ESO controller wrote the Secret from the tenant's own path.
	secret := &corev1.Secret{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "shop-credentials"}, secret); err != nil {
		t.Fatal(err)
	}
	if string(secret.Data["access_token"]) != "token-seller" || string(secret.Data["app_secret"]) != fakeAppSecret {
		t.Errorf("credentials Secret holds %v, want the seller tenant's credentials", keysOf(secret.Data))
	}
	es := eso.New(eso.ExternalSecretGVK)
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "shop-credentials"}, es); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"spec.secretStoreRef.kind":   "SecretStore",
		"spec.secretStoreRef.name":   "tenant-secrets",
		"spec.target.deletionPolicy": "Delete",
		"spec.refreshInterval":       "1h0m0s",
	} {
		if got, _, _ := unstructured.NestedString(es.Object, strings.Split(path, ".")...); got != want {
			t.Errorf("ExternalSecret %s = %q, want %q", path, got, want)
		}
	}
	dataFrom, _, _ := unstructured.NestedSlice(es.Object, "spec", "dataFrom")
	if key, _, _ := unstructured.NestedString(dataFrom[0].(map[string]any), "extract", "key"); key != "tenants/seller/tiktok/main" {
		t.Errorf("remote key = %q, want it under the tenant's path", key)
	}

	sa := &corev1.ServiceAccount{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "shop-sync"}, sa); err != nil {
		t.Fatal(err)
	}
	if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
		t.Error("the sync ServiceAccount mounts a token")
	}
	role := &rbacv1.Role{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "shop-credentials-reader"}, role); err != nil {
		t.Fatal(err)
	}
	if len(role.Rules) != 1 || fmt.Sprint(role.Rules[0].Verbs) != "[get]" || fmt.Sprint(role.Rules[0].ResourceNames) != "[shop-credentials]" {
		t.Errorf("reader Role = %+v, want get on shop-credentials only", role.Rules)
	}

	np := &networkingv1.NetworkPolicy{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "shop-egress"}, np); err != nil {
		t.Fatal(err)
	}
	rule := np.Spec.Egress[0]
	if rule.Ports[0].Port.IntValue() != 443 || rule.To[0].IPBlock == nil || !slices.Contains(rule.To[0].IPBlock.Except, "10.0.0.0/8") ||
		!slices.Contains(rule.To[0].IPBlock.Except, "169.254.0.0/16") || np.Spec.PodSelector.MatchLabels[IntegrationLabel] != "shop" {
		t.Errorf("egress policy = %+v, want HTTPS to public addresses only, for this integration's pods", np.Spec)
	}
	// Only its sync and token refresh Pods call the platform: the integration's purge Job needs the database, not
	// the internet.
	if sel, expr := np.Spec.PodSelector.MatchLabels, np.Spec.PodSelector.MatchExpressions; sel[workspacesv1alpha1.ManagedByLabel] != workspacesv1alpha1.ManagedByValue ||
		len(expr) != 1 || expr[0].Key != TaskLabel || fmt.Sprint(expr[0].Values) != "[refresh sync]" {
		t.Errorf("egress policy selects %v %v, want the operator's sync and refresh Pods only", sel, expr)
	}

	if got := cronJobNames(t, ns); fmt.Sprint(got) != "[shop-orders shop-products]" {
		t.Fatalf("CronJobs = %v, want one per enabled feature", got)
	}
	if err := exists(&batchv1.CronJob{}, refreshCronJobName("shop"), ns)(); err != nil {
		t.Errorf("no token refresh CronJob: %v", err)
	}
	cj := &batchv1.CronJob{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "shop-orders"}, cj); err != nil {
		t.Fatal(err)
	}
	pod := cj.Spec.JobTemplate.Spec.Template.Spec
	c := pod.Containers[0]
	switch {
	case cj.Spec.Schedule != opConfig.Providers[workspacesv1alpha1.ProviderTikTokShop].Features[workspacesv1alpha1.FeatureOrders].Schedule:
		t.Errorf("schedule = %q, want the catalog's default", cj.Spec.Schedule)
	case cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent || *cj.Spec.SuccessfulJobsHistoryLimit != 3 || *cj.Spec.FailedJobsHistoryLimit != 3:
		t.Errorf("CronJob spec = %+v, want Forbid and history limits", cj.Spec)
	case pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken || pod.ServiceAccountName != "shop-sync":
		t.Error("the sync Pod must run as shop-sync without a token")
	case pod.NodeSelector[regionNodeLabel] != "eu-west-1":
		t.Errorf("node selector = %v, want the tenant's region", pod.NodeSelector)
	case pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot || pod.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
		t.Error("the sync Pod is not restricted")
	case *c.SecurityContext.AllowPrivilegeEscalation || fmt.Sprint(c.SecurityContext.Capabilities.Drop) != "[ALL]" || !*c.SecurityContext.ReadOnlyRootFilesystem:
		t.Error("the worker container is not restricted")
	case strings.Join(c.Args, " ") != "worker sync --tenant=seller --integration=shop --provider=TikTokShop --feature=orders --account-id=7495-shop --credentials-dir=/var/run/workspace/credentials"+
		" --database-dsn-file=/var/run/workspace/database/dsn --hmac-key-file=/var/run/workspace/hmac/key --restriction-dir=/var/run/workspace/restrictions":
		t.Errorf("args = %v", c.Args)
	case len(c.Env) != 0 || len(c.EnvFrom) != 0:
		t.Errorf("the worker gets environment %v %v; credentials must come as files", c.Env, c.EnvFrom)
	}
	raw, _ := json.Marshal(cj)
	if strings.Contains(string(raw), fakeAppSecret) || strings.Contains(string(raw), "token-seller") {
		t.Error("a credential value appears in the CronJob")
	}
	// Pod Security admission of the namespace accepts the Pod the CronJob makes.
	if err := k8s.Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "psa-probe", Namespace: ns}, Spec: pod}, client.DryRunAll); err != nil {
		t.Errorf("Pod Security restricted refuses the sync Pod: %v", err)
	}

	live := getIntegration(t, i)
	if live.Status.SecretName != "shop-credentials" || len(live.Status.Features) != 2 || live.Status.Features[0].CronJob != "shop-orders" {
		t.Errorf("status = %+v", live.Status)
	}
	if strings.Contains(logBuffer.String(), fakeAppSecret) {
		t.Error("a credential value reached the operator's log")
	}
}

func keysOf(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestFeaturesAddedAndRemovedChangeCronJobs(t *testing.T) {
	needsCluster(t)
	i := tenantWithIntegration(t, "features")
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, ""))
	updateIntegration(t, i, func(live *workspacesv1alpha1.Integration) {
		live.Spec.Features = []workspacesv1alpha1.Feature{{Name: workspacesv1alpha1.FeatureOrders}, {Name: workspacesv1alpha1.FeatureReturns, Schedule: "5 4 * * *"}}
		live.Spec.Scopes = []string{"seller.order.info", "seller.return_refund.basic"}
	})
	eventually(t, waitTimeout, func() error {
		if got := cronJobNames(t, i.Namespace); fmt.Sprint(got) != "[shop-orders shop-returns]" {
			return fmt.Errorf("CronJobs %v", got)
		}
		return nil
	})
	cj := &batchv1.CronJob{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: i.Namespace, Name: "shop-returns"}, cj); err != nil {
		t.Fatal(err)
	}
	if cj.Spec.Schedule != "5 4 * * *" {
		t.Errorf("schedule = %q, want the feature's own", cj.Spec.Schedule)
	}
}

func TestScopesThatDoNotMatchFeaturesStallAndStopSyncing(t *testing.T) {
	needsCluster(t)
	i := tenantWithIntegration(t, "scopes")
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, ""))
	eventually(t, waitTimeout, cronJobsSuspended(i.Namespace, false))

	updateIntegration(t, i, func(live *workspacesv1alpha1.Integration) {
		live.Spec.Scopes = append(live.Spec.Scopes, "seller.finance.info")
	})
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionStalled, metav1.ConditionTrue, workspacesv1alpha1.ReasonScopesMismatch))
	if msg := meta.FindStatusCondition(getIntegration(t, i).Status.Conditions, workspacesv1alpha1.ConditionStalled).Message; !strings.Contains(msg, `"seller.finance.info"`) {
		t.Errorf("message %q does not name the excess scope", msg)
	}
	eventually(t, waitTimeout, cronJobsSuspended(i.Namespace, true))

	updateIntegration(t, i, func(live *workspacesv1alpha1.Integration) { live.Spec.Scopes = []string{"seller.order.info"} })
	eventually(t, waitTimeout, func() error {
		c := meta.FindStatusCondition(getIntegration(t, i).Status.Conditions, workspacesv1alpha1.ConditionStalled)
		if c == nil || !strings.Contains(c.Message, `scope "seller.product.basic" is missing (needed by products)`) {
			return fmt.Errorf("Stalled = %+v, want it to name the missing scope and its feature", c)
		}
		return nil
	})
	consistently(t, time.Second, cronJobsSuspended(i.Namespace, true))

	updateIntegration(t, i, func(live *workspacesv1alpha1.Integration) {
		live.Spec.Scopes = []string{"seller.order.info", "seller.product.basic"}
	})
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, ""))
	eventually(t, waitTimeout, cronJobsSuspended(i.Namespace, false))
}

// A schedule of the right form that no CronJob can have (a range running backwards passes the API server's CEL
// rule but not the CronJob's parser) stalls the Integration, naming the field, instead of failing every pass.
func TestScheduleTheCronJobWouldRefuseStalls(t *testing.T) {
	needsCluster(t)
	i := tenantWithIntegration(t, "backwards")
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, ""))
	updateIntegration(t, i, func(live *workspacesv1alpha1.Integration) { live.Spec.Features[0].Schedule = "50-10 * * * *" })
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionStalled, metav1.ConditionTrue, workspacesv1alpha1.ReasonInvalidSchedule))
	msg := meta.FindStatusCondition(getIntegration(t, i).Status.Conditions, workspacesv1alpha1.ConditionStalled).Message
	if want := `spec.features[0].schedule "50-10 * * * *": a CronJob cannot run on it: beginning of range (50) beyond end of range (10): 50-10`; msg != want {
		t.Errorf("Stalled message %q, want %q", msg, want)
	}
	eventually(t, waitTimeout, cronJobsSuspended(i.Namespace, true))

	updateIntegration(t, i, func(live *workspacesv1alpha1.Integration) { live.Spec.Features[0].Schedule = "10-50 * * * *" })
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, ""))
	eventually(t, waitTimeout, cronJobsSuspended(i.Namespace, false))
}

func TestCredentialPathsOutsideTheTenantAreRefused(t *testing.T) {
	needsCluster(t)
	cases := map[string]string{
		"/tenants/other/tiktok":    "must be relative to the tenant's secret path",
		"../other/tiktok/main":     "must not contain '.' or '..' segments",
		"tiktok/../../other/x":     "must not contain '.' or '..' segments",
		"./tiktok":                 "must not contain '.' or '..' segments",
		"tiktok/main?version=../x": "should match",
	}
	for key, want := range cases {
		i := newIntegration("escape", "default", func(i *workspacesv1alpha1.Integration) { i.Spec.Credentials.RemoteKey = key })
		err := k8s.Create(context.Background(), i)
		if err == nil {
			_ = k8s.Delete(context.Background(), i)
			t.Errorf("remoteKey %q was accepted", key)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("remoteKey %q: error %q does not say %q", key, err, want)
		}
	}
}

func TestRemoteKeyStaysUnderTheTenantPath(t *testing.T) {
	needsCluster(t)
	for key, ok := range map[string]bool{
		"tiktok/main": true, "a/b/c": true, "tiktok//main": true,
		"": false, "/abs": false, "..": false, "a/../../b": false, ".": false,
	} {
		full, err := remoteKeyFor("tenants/acme/", key)
		if ok != (err == nil) {
			t.Errorf("remoteKeyFor(%q) = %q, %v; want ok=%v", key, full, err, ok)
		}
		if err == nil && !strings.HasPrefix(full, "tenants/acme/") {
			t.Errorf("remoteKeyFor(%q) = %q, outside the tenant", key, full)
		}
	}
}

func TestSuspendStopsSyncingAndKeepsCredentials(t *testing.T) {
	needsCluster(t)
	i := tenantWithIntegration(t, "pausing")
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, ""))

	updateIntegration(t, i, func(live *workspacesv1alpha1.Integration) { live.Spec.Suspend = true })
	eventually(t, waitTimeout, cronJobsSuspended(i.Namespace, true))
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, workspacesv1alpha1.ReasonSuspended))
	// The token refresh goes on: it touches no personal data and keeps the tokens alive for when syncing resumes.
	refresh := &batchv1.CronJob{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: i.Namespace, Name: refreshCronJobName(i.Name)}, refresh); err != nil {
		t.Fatal(err)
	} else if refresh.Spec.Suspend != nil && *refresh.Spec.Suspend {
		t.Error("suspending syncing suspended the token refresh too")
	}
	if err := exists(&corev1.Secret{}, "shop-credentials", i.Namespace)(); err != nil {
		t.Errorf("suspension lost the credentials: %v", err)
	}
	updateIntegration(t, i, func(live *workspacesv1alpha1.Integration) { live.Spec.Suspend = false })
	eventually(t, waitTimeout, cronJobsSuspended(i.Namespace, false))

	t.Run("a Suspended tenant suspends its integrations", func(t *testing.T) {
		updateTenant(t, "pausing", func(tn *workspacesv1alpha1.Tenant) { tn.Spec.Lifecycle = workspacesv1alpha1.LifecycleSuspended })
		eventually(t, waitTimeout, cronJobsSuspended(i.Namespace, true))
		updateTenant(t, "pausing", func(tn *workspacesv1alpha1.Tenant) { tn.Spec.Lifecycle = workspacesv1alpha1.LifecycleActive })
		eventually(t, waitTimeout, cronJobsSuspended(i.Namespace, false))
	})
	t.Run("a Closed tenant suspends its integrations", func(t *testing.T) {
		updateTenant(t, "pausing", func(tn *workspacesv1alpha1.Tenant) { tn.Spec.Lifecycle = workspacesv1alpha1.LifecycleClosed })
		eventually(t, waitTimeout, cronJobsSuspended(i.Namespace, true))
	})
}

func jobsOf(t *testing.T, ns string, labels client.MatchingLabels) []batchv1.Job {
	t.Helper()
	list := &batchv1.JobList{}
	if err := k8s.List(context.Background(), list, client.InNamespace(ns), labels); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

func TestSyncNowStartsOneJobPerFeatureOncePerValue(t *testing.T) {
	needsCluster(t)
	i := tenantWithIntegration(t, "syncnow")
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, ""))
	sync := client.MatchingLabels{IntegrationLabel: "shop", workspacesv1alpha1.ComponentLabel: componentSync}

	updateIntegration(t, i, func(live *workspacesv1alpha1.Integration) {
		live.Annotations = map[string]string{workspacesv1alpha1.SyncNowAnnotation: "2026-11-28T10:00"}
	})
	eventually(t, waitTimeout, func() error {
		if n := len(jobsOf(t, i.Namespace, sync)); n != 2 {
			return fmt.Errorf("%d sync Jobs, want 2", n)
		}
		return nil
	})
	// The real Job controller gives them Pods.
	eventually(t, waitTimeout, func() error {
		pods := &corev1.PodList{}
		if err := k8s.List(context.Background(), pods, client.InNamespace(i.Namespace), sync); err != nil {
			return err
		}
		if len(pods.Items) != 2 {
			return fmt.Errorf("%d sync Pods, want 2", len(pods.Items))
		}
		return nil
	})
	updateIntegration(t, i, func(live *workspacesv1alpha1.Integration) { live.Annotations["test/touch"] = "again" })
	consistently(t, 2*time.Second, func() error {
		if n := len(jobsOf(t, i.Namespace, sync)); n != 2 {
			return fmt.Errorf("%d sync Jobs after a reconcile with the same value, want 2", n)
		}
		return nil
	})
	updateIntegration(t, i, func(live *workspacesv1alpha1.Integration) {
		live.Annotations[workspacesv1alpha1.SyncNowAnnotation] = "2026-11-28T11:00"
	})
	eventually(t, waitTimeout, func() error {
		if n := len(jobsOf(t, i.Namespace, sync)); n != 4 {
			return fmt.Errorf("%d sync Jobs, want 4", n)
		}
		return nil
	})
	if got := getIntegration(t, i).Status.LastHandledSyncNow; got != "2026-11-28T11:00" {
		t.Errorf("lastHandledSyncNow = %q", got)
	}
}

// finishJobPods plays the kubelet: it ends every Pod of the Job with the given phase and termination message.
func finishJobPods(t *testing.T, ns, job string, phase corev1.PodPhase, message string) {
	t.Helper()
	eventually(t, waitTimeout, func() error { return finishPods(ns, job, phase, message) })
}

func finishPods(ns, job string, phase corev1.PodPhase, message string) error {
	pods := &corev1.PodList{}
	if err := k8s.List(context.Background(), pods, client.InNamespace(ns), client.MatchingLabels{batchv1.JobNameLabel: job}); err != nil {
		return err
	}
	if len(pods.Items) == 0 {
		return fmt.Errorf("no Pod of Job %s yet", job)
	}
	for _, p := range pods.Items {
		if p.Status.Phase == phase {
			continue
		}
		code := int32(0)
		if phase == corev1.PodFailed {
			code = 1
		}
		now := metav1.Now()
		p.Status.Phase = phase
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{
			Name: "worker", Image: opConfig.Worker.Image, ImageID: "sha256:test", Ready: false,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Message: message, StartedAt: now, FinishedAt: now, Reason: string(phase)}},
		}}
		if err := k8s.Status().Update(context.Background(), &p); err != nil {
			return err
		}
	}
	return nil
}

func TestPurgeOnDisconnectRunsFirstAndRetriesAfterFailure(t *testing.T) {
	needsCluster(t)
	ctx := context.Background()
	i := tenantWithIntegration(t, "disconnect", func(i *workspacesv1alpha1.Integration) { i.Spec.OnDisconnect = workspacesv1alpha1.OnDisconnectPurge })
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, ""))
	ns := i.Namespace
	eventually(t, waitTimeout, exists(&corev1.Secret{}, "shop-credentials", ns))

	if err := k8s.Delete(ctx, i); err != nil {
		t.Fatal(err)
	}
	eventually(t, waitTimeout, exists(&batchv1.Job{}, "shop-purge", ns))
	eventually(t, waitTimeout, cronJobsSuspended(ns, true))
	job := &batchv1.Job{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "shop-purge"}, job); err != nil {
		t.Fatal(err)
	}
	if args := strings.Join(job.Spec.Template.Spec.Containers[0].Args, " "); args != "worker purge --tenant=disconnect --integration=shop --database-dsn-file=/var/run/workspace/database/dsn" {
		t.Errorf("purge args = %q", args)
	}
	// Nothing is revoked while the purge runs.
	consistently(t, time.Second, exists(&corev1.Secret{}, "shop-credentials", ns))

	finishJobPods(t, ns, "shop-purge", corev1.PodFailed, `{"task":"purge","error":"database unreachable"}`)
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionReady, metav1.ConditionFalse, workspacesv1alpha1.ReasonPurgeFailed))
	live := getIntegration(t, i)
	if d := live.Status.Disconnect; d == nil || d.Attempts != 1 || !strings.Contains(d.LastFailure, "database unreachable") || d.NextAttemptAt == nil {
		t.Errorf("disconnect status = %+v, want one failed attempt with its message and the next attempt's time", d)
	}
	failed := &batchv1.Job{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "shop-purge"}, failed); err != nil {
		t.Fatalf("the failed purge Job is not kept as evidence until its retry: %v", err)
	}
	consistently(t, 2*time.Second, func() error {
		// Still there, held by its finalizer until a purge succeeds.
		return k8s.Get(ctx, client.ObjectKeyFromObject(i), &workspacesv1alpha1.Integration{})
	})

	// The backoff passes; the next attempt succeeds.
	clock.Advance(purgeRetryBase + time.Second)
	t.Cleanup(func() { clock.Advance(-(purgeRetryBase + time.Second)) })
	updateIntegration(t, i, func(live *workspacesv1alpha1.Integration) {
		live.Annotations = map[string]string{"test/touch": "retry"}
	})
	eventually(t, 2*waitTimeout, func() error {
		j := &batchv1.Job{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "shop-purge"}, j); err != nil {
			return err
		}
		if j.UID == failed.UID {
			return fmt.Errorf("still the failed purge Job")
		}
		return nil
	})
	finishJobPods(t, ns, "shop-purge", corev1.PodSucceeded, `{"task":"purge","recordsErased":12}`)

	eventually(t, waitTimeout, gone(&workspacesv1alpha1.Integration{}, "shop", ns))
	for _, check := range []func() error{
		gone(&batchv1.CronJob{}, "shop-orders", ns), gone(&corev1.ServiceAccount{}, "shop-sync", ns),
		gone(&rbacv1.Role{}, "shop-credentials-reader", ns), gone(&rbacv1.RoleBinding{}, "shop-credentials-reader", ns),
		gone(&networkingv1.NetworkPolicy{}, "shop-egress", ns), gone(eso.New(eso.ExternalSecretGVK), "shop-credentials", ns),
		gone(&corev1.Secret{}, "shop-credentials", ns), // ESO's Secret, removed by garbage collection
	} {
		eventually(t, waitTimeout, check)
	}
}

func TestRetainOnDisconnectRevokesWithoutPurge(t *testing.T) {
	needsCluster(t)
	i := tenantWithIntegration(t, "retain")
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, ""))
	if err := k8s.Delete(context.Background(), i); err != nil {
		t.Fatal(err)
	}
	eventually(t, waitTimeout, gone(&workspacesv1alpha1.Integration{}, "shop", i.Namespace))
	eventually(t, waitTimeout, gone(&corev1.Secret{}, "shop-credentials", i.Namespace))
	if jobs := jobsOf(t, i.Namespace, client.MatchingLabels{workspacesv1alpha1.ComponentLabel: componentPurge}); len(jobs) != 0 {
		t.Errorf("a purge Job ran for onDisconnect: Retain")
	}
}

func TestMembersCannotReadCredentials(t *testing.T) {
	needsCluster(t)
	ctx := context.Background()
	i := tenantWithIntegration(t, "guarded")
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, ""))

	// The tenant's owner, impersonated, is refused the Secret.
	owner := rest.CopyConfig(env.Config)
	owner.Impersonate = rest.ImpersonationConfig{UserName: "owner@guarded.example"}
	asOwner, err := client.New(owner, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	err = asOwner.Get(ctx, client.ObjectKey{Namespace: i.Namespace, Name: "shop-credentials"}, &corev1.Secret{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("the tenant owner reading the credentials: err = %v, want Forbidden", err)
	}
	if err := asOwner.Get(ctx, client.ObjectKeyFromObject(i), &workspacesv1alpha1.Integration{}); err != nil {
		t.Errorf("the tenant owner cannot read the Integration: %v", err)
	}

	can := func(user, secret string) bool {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: user, ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: i.Namespace, Verb: "get", Resource: "secrets", Name: secret},
		}}
		if err := k8s.Create(ctx, sar); err != nil {
			t.Fatal(err)
		}
		return sar.Status.Allowed
	}
	sa := "system:serviceaccount:" + i.Namespace + ":shop-sync"
	if !can(sa, "shop-credentials") {
		t.Error("the integration's ServiceAccount may not get its own credentials")
	}
	if can(sa, contract.HMACKeySecret) {
		t.Error("the integration's ServiceAccount may read another Secret")
	}
	if can("system:serviceaccount:"+i.Namespace+":default", "shop-credentials") {
		t.Error("another ServiceAccount of the namespace may read the credentials")
	}
}

func TestEachTenantReadsOnlyItsOwnStore(t *testing.T) {
	needsCluster(t)
	ctx := context.Background()
	a := tenantWithIntegration(t, "store-a")
	b := tenantWithIntegration(t, "store-b")
	for _, i := range []*workspacesv1alpha1.Integration{a, b} {
		eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionCredentialsReady, metav1.ConditionTrue, ""))
	}
	secret := &corev1.Secret{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: b.Namespace, Name: "shop-credentials"}, secret); err != nil {
		t.Fatal(err)
	}
	if string(secret.Data["access_token"]) != "token-store-b" {
		t.Errorf("tenant b got access token %q", secret.Data["access_token"])
	}
	store := eso.New(eso.SecretStoreGVK)
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: b.Namespace, Name: "tenant-secrets"}, store); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(store.Object["spec"])
	if strings.Contains(string(raw), "store-a") || !strings.Contains(string(raw), "tenants/store-b/") {
		t.Errorf("tenant b's SecretStore reaches beyond its own path: %s", raw)
	}
	// No ExternalSecret anywhere refers to a ClusterSecretStore or to another namespace's store.
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(eso.GroupVersion.WithKind("ExternalSecretList"))
	if err := k8s.List(ctx, list); err != nil {
		t.Fatal(err)
	}
	for _, es := range list.Items {
		if kind, _, _ := unstructured.NestedString(es.Object, "spec", "secretStoreRef", "kind"); kind != "SecretStore" {
			t.Errorf("ExternalSecret %s/%s refers to a %s", es.GetNamespace(), es.GetName(), kind)
		}
	}
}

func TestIntegrationOutsideATenantNamespaceStalls(t *testing.T) {
	needsCluster(t)
	i := newIntegration("stray", "default")
	if err := k8s.Create(context.Background(), i); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), i) })
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionStalled, metav1.ConditionTrue, workspacesv1alpha1.ReasonNotInTenant))
	if names := cronJobNames(t, "default"); len(names) != 0 {
		t.Errorf("CronJobs %v created outside a tenant", names)
	}
}

func TestUnchangedIntegrationCausesNoWrites(t *testing.T) {
	needsCluster(t)
	i := tenantWithIntegration(t, "quiet")
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, ""))
	waitQuiet(t)
	// Touch metadata only: a Go client's full update would re-encode the spec and bump the generation.
	touch := &workspacesv1alpha1.Integration{ObjectMeta: metav1.ObjectMeta{Name: i.Name, Namespace: i.Namespace}}
	if err := k8s.Patch(context.Background(), touch, client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"annotations":{"test/touch":"1"}}}`))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if n, by := operator.writes.reset(); n != 0 {
		t.Errorf("reconciling an unchanged Integration sent %d writes: %v", n, by)
	}
}
