package controllers

import (
	"context"
	"fmt"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/contract"
	"github.com/alitok/workspace-operator/internal/eso"
)

// credentialsDocument is the JSON document the backend holds at an Integration's remoteKey.
func credentialsDocument(tenant, accessToken, refreshToken string) string {
	return fmt.Sprintf(`{"app_key":"key-%s","app_secret":%q,"access_token":%q,"refresh_token":%q}`, tenant, fakeAppSecret, accessToken, refreshToken)
}

// accessToken returns nil once the Integration's credentials Secret holds want.
func accessToken(ns, name, want string) func() error {
	return func() error {
		secret := &corev1.Secret{}
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: credentialsName(name)}, secret); err != nil {
			return err
		}
		if got := string(secret.Data["access_token"]); got != want {
			return fmt.Errorf("access_token is %q, want %q", got, want)
		}
		return nil
	}
}

// Renewed tokens go back to the secret backend through the PushSecret, and from there, through the
// ExternalSecret, into the credentials every sync reads: a real ESO round trip. The worker's side of a refresh
// (calling the platform, writing the token Secret) runs against the fake platforms in internal/worker, and for real
// in the e2e suite.
func TestRenewedTokensGoBackToTheBackendAndReachTheSyncs(t *testing.T) {
	needsCluster(t)
	ctx := context.Background()
	tenant := "renewal"
	cleanupTenant(t, tenant)
	createTenant(t, newTenant(tenant))
	waitReady(t, tenant)
	ns := namespaceOf(tenant)

	// Connect: AliTok's app stores the seller's first tokens in the backend (here with a PushSecret of its own: the
	// fake backend takes writes only to keys that were pushed).
	seed := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "connect", Namespace: ns},
		StringData: map[string]string{contract.TokenSecretKey: credentialsDocument(tenant, "token-first", "refresh-first")}}
	if err := k8s.Create(ctx, seed); err != nil {
		t.Fatal(err)
	}
	connect, err := eso.Object(eso.PushSecretGVK, metav1.ObjectMeta{Name: "connect", Namespace: ns}, &eso.PushSecretSpec{
		RefreshInterval: "1h", SecretStoreRefs: []eso.StoreRef{{Name: opConfig.SecretStore.Name, Kind: "SecretStore"}},
		UpdatePolicy: "Replace", DeletionPolicy: "None", Selector: eso.PushSelector{Secret: eso.PushSecretName{Name: "connect"}},
		Data: []eso.PushSecretData{{Match: eso.PushMatch{SecretKey: contract.TokenSecretKey, RemoteRef: eso.RemoteRef{RemoteKey: "tenants/" + tenant + "/tiktok/renewed"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := k8s.Create(ctx, connect); err != nil {
		t.Fatal(err)
	}
	eventually(t, waitTimeout, func() error {
		if c := eso.Ready(connect); c == nil || c.Status != "True" {
			_ = k8s.Get(ctx, client.ObjectKeyFromObject(connect), connect)
			return fmt.Errorf("the connecting PushSecret has not pushed yet")
		}
		return nil
	})
	i := newIntegration("shop", ns, func(i *workspacesv1alpha1.Integration) { i.Spec.Credentials.RemoteKey = "tiktok/renewed" })
	if err := k8s.Create(ctx, i); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*waitTimeout, accessToken(ns, i.Name, "token-first"))
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, ""))

	// The refresh CronJob, the empty token Secret, and who may write it: the integration's ServiceAccount, that one
	// Secret only.
	for _, check := range []func() error{
		exists(&batchv1.CronJob{}, refreshCronJobName(i.Name), ns), exists(&corev1.Secret{}, tokenSecretName(i.Name), ns),
		exists(&rbacv1.Role{}, tokenWriterName(i.Name), ns), exists(&rbacv1.RoleBinding{}, tokenWriterName(i.Name), ns),
	} {
		eventually(t, waitTimeout, check)
	}
	sa := "system:serviceaccount:" + ns + ":" + syncAccountName(i.Name)
	may := func(verb, secret string) bool {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: sa, ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: verb, Resource: "secrets", Name: secret},
		}}
		if err := k8s.Create(ctx, sar); err != nil {
			t.Fatal(err)
		}
		return sar.Status.Allowed
	}
	if !may("patch", tokenSecretName(i.Name)) || may("patch", credentialsName(i.Name)) || may("patch", contract.HMACKeySecret) || may("create", "") {
		t.Error("the integration's ServiceAccount must patch its token Secret and write no other Secret")
	}

	// A refresh writes the renewed document into the token Secret (what `worker refresh` does).
	token := &corev1.Secret{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: tokenSecretName(i.Name)}, token); err != nil {
		t.Fatal(err)
	}
	base := token.DeepCopy()
	token.Data = map[string][]byte{contract.TokenSecretKey: []byte(credentialsDocument(tenant, "token-second", "refresh-second"))}
	if err := k8s.Patch(ctx, token, client.MergeFrom(base)); err != nil {
		t.Fatal(err)
	}
	// ESO pushes it to the backend, and the ExternalSecret brings it back at once (its own refresh is an hour
	// away): the syncs read the new token.
	eventually(t, 2*waitTimeout, accessToken(ns, i.Name, "token-second"))
	ps := eso.New(eso.PushSecretGVK)
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: pushSecretName(i.Name)}, ps); err != nil {
		t.Fatal(err)
	}
	if policy, _, _ := unstructured.NestedString(ps.Object, "spec", "deletionPolicy"); policy != "None" {
		t.Errorf("PushSecret deletionPolicy %q: deleting it must never delete the seller's credentials", policy)
	}
	// Renewed again: again.
	base = token.DeepCopy()
	token.Data = map[string][]byte{contract.TokenSecretKey: []byte(credentialsDocument(tenant, "token-third", "refresh-third"))}
	if err := k8s.Patch(ctx, token, client.MergeFrom(base)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*waitTimeout, accessToken(ns, i.Name, "token-third"))

	// A refresh the platform refuses for good (the refresh token expired): a person must re-authorize.
	cj := &batchv1.CronJob{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: refreshCronJobName(i.Name)}, cj); err != nil {
		t.Fatal(err)
	}
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "refresh-now", Namespace: ns, Labels: cj.Spec.JobTemplate.Labels},
		Spec: *cj.Spec.JobTemplate.Spec.DeepCopy()}
	if err := k8s.Create(ctx, job); err != nil {
		t.Fatal(err)
	}
	finishJobPods(t, ns, job.Name, corev1.PodFailed,
		`{"task":"refresh","ok":false,"reason":"ReauthorizationRequired","error":"the refresh token expired or was revoked: re-authorize the seller account"}`)
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionCredentialsValid, metav1.ConditionFalse, workspacesv1alpha1.ReasonReauthorizationRequired))
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionStalled, metav1.ConditionTrue, workspacesv1alpha1.ReasonReauthorizationRequired))
	eventually(t, waitTimeout, cronJobsSuspended(ns, true))
	if got := getIntegration(t, i).Status.TokenRefreshFailure; got == "" {
		t.Error("status.tokenRefreshFailure does not say the refresh failed")
	}
}
