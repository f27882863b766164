package controllers

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	batchv1ac "k8s.io/client-go/applyconfigurations/batch/v1"
	rbacv1ac "k8s.io/client-go/applyconfigurations/rbac/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/config"
	"github.com/alitok/workspace-operator/internal/contract"
	"github.com/alitok/workspace-operator/internal/eso"
)

// Token refresh keeps an Integration connected: a CronJob runs `worker refresh`, which renews the access token
// before it expires and writes the credentials document with the new tokens into the Secret <name>-token; a
// PushSecret writes that Secret back to the secret backend at the Integration's remoteKey — the backend stays the
// one source of truth, and ESO's PushSecret is the standard way to write to it through the tenant's own store —
// and once pushed, the ExternalSecret is made to fetch again, so every sync gets the new tokens. Only the
// integration's ServiceAccount may write that one Secret, and only refresh Pods mount its token.

// Names of an Integration's token refresh objects.
func tokenSecretName(intg string) string    { return intg + "-token" }
func tokenWriterName(intg string) string    { return intg + "-token-writer" }
func refreshCronJobName(intg string) string { return intg + "-refresh" }
func pushSecretName(intg string) string     { return intg + "-token" }

// tokenVersionAnnotation on the PushSecret is the token Secret's resourceVersion it pushes: a new version changes
// the PushSecret, which makes ESO push at once.
const tokenVersionAnnotation = "workspaces.alitok.ai/token-version"

// refreshRun is the worker run renewing one Integration's access token.
func refreshRun(cfg *config.Config, i *workspacesv1alpha1.Integration, tenant, region string) workerRun {
	p := cfg.Providers[i.Spec.Provider]
	return workerRun{
		inputs: &contract.Refresh{
			Tenant: tenant, Integration: i.Name, Provider: i.Spec.Provider,
			APIBaseURL: p.APIBaseURL, AuthBaseURL: p.AuthBaseURL, RefreshBefore: cfg.TokenRefresh.Before.Duration.String(),
			Credentials: contract.Credentials(credentialsName(i.Name)),
			TokenSecret: i.Namespace + "/" + tokenSecretName(i.Name),
		},
		labels:         integrationLabels(tenant, i.Name, componentTokenRefresh),
		serviceAccount: syncAccountName(i.Name),
		region:         region,
		// A refresh is not retried in the same Job: the platform retires the refresh token it renews, so a retry
		// after a renewal whose write failed would present a retired token. The next schedule tries again.
		once: true,
	}
}

// desiredRefreshCronJob runs the token refresh on the configured schedule, suspended with the sync CronJobs.
func desiredRefreshCronJob(cfg *config.Config, i *workspacesv1alpha1.Integration, tenant, region string, suspend bool) *batchv1ac.CronJobApplyConfiguration {
	return refreshRun(cfg, i, tenant, region).cronJob(cfg, refreshCronJobName(i.Name), i.Namespace, cfg.TokenRefresh.Schedule, suspend)
}

// desiredTokenWriterRole may read and patch exactly one Secret: the integration's token Secret.
func desiredTokenWriterRole(i *workspacesv1alpha1.Integration, tenant string) *rbacv1ac.RoleApplyConfiguration {
	return rbacv1ac.Role(tokenWriterName(i.Name), i.Namespace).
		WithLabels(integrationLabels(tenant, i.Name, componentTokenRefresh)).
		WithRules(rbacv1ac.PolicyRule().WithAPIGroups("").WithResources("secrets").
			WithResourceNames(tokenSecretName(i.Name)).WithVerbs("get", "patch"))
}

func desiredTokenWriterBinding(i *workspacesv1alpha1.Integration, tenant string) *rbacv1ac.RoleBindingApplyConfiguration {
	return rbacv1ac.RoleBinding(tokenWriterName(i.Name), i.Namespace).
		WithLabels(integrationLabels(tenant, i.Name, componentTokenRefresh)).
		WithRoleRef(rbacv1ac.RoleRef().WithAPIGroup(rbacv1.GroupName).WithKind("Role").WithName(tokenWriterName(i.Name))).
		WithSubjects(rbacv1ac.Subject().WithKind(rbacv1.ServiceAccountKind).WithName(syncAccountName(i.Name)).WithNamespace(i.Namespace))
}

// desiredPushSecret writes the token Secret's credentials document to the backend at the integration's remote
// key, through the tenant's own store. Its annotation carries the token Secret's version, so each new document is
// pushed at once, and only then; the remote key is never deleted by it (deletionPolicy None): the credentials
// outlive it.
func desiredPushSecret(store string, i *workspacesv1alpha1.Integration, tenant, remoteKey, version string) (*unstructured.Unstructured, error) {
	spec := eso.PushSecretSpec{
		// Zero: push only when the token Secret's version (the annotation) changes, never again on a timer — a
		// re-authorization written to the backend since must not be overwritten with an older document.
		RefreshInterval: "0s",
		SecretStoreRefs: []eso.StoreRef{{Name: store, Kind: "SecretStore"}},
		UpdatePolicy:    "Replace",
		DeletionPolicy:  "None",
		Selector:        eso.PushSelector{Secret: eso.PushSecretName{Name: tokenSecretName(i.Name)}},
		Data: []eso.PushSecretData{{Match: eso.PushMatch{
			SecretKey: contract.TokenSecretKey, RemoteRef: eso.RemoteRef{RemoteKey: remoteKey},
		}}},
	}
	return eso.Object(eso.PushSecretGVK, metav1.ObjectMeta{
		Name: pushSecretName(i.Name), Namespace: i.Namespace, Labels: integrationLabels(tenant, i.Name, componentTokenRefresh),
		Annotations: map[string]string{tokenVersionAnnotation: version},
	}, &spec)
}

// reconcileTokenRefresh applies the token Secret (created empty, once), who may write it, the refresh CronJob,
// and — once a refresh wrote new credentials — the PushSecret that writes them back to the backend.
func (r *IntegrationReconciler) reconcileTokenRefresh(ctx context.Context, s *integrationScope) error {
	i := s.intg
	if r.Config.SecretStore == nil {
		return nil
	}
	_, prefix := r.Config.SecretStore.Stamp(s.tenant.Name)
	key, err := remoteKeyFor(prefix, i.Spec.Credentials.RemoteKey)
	if err != nil {
		return nil //nolint:nilerr // validate reports it as Stalled; never push outside the tenant's path
	}
	secret, err := getCached[corev1.Secret](ctx, r.Client, tokenSecretName(i.Name), i.Namespace)
	if err != nil {
		return err
	}
	if secret == nil {
		empty := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: tokenSecretName(i.Name), Namespace: i.Namespace,
			Labels: integrationLabels(s.tenant.Name, i.Name, componentTokenRefresh)}, Type: corev1.SecretTypeOpaque}
		if err := r.Create(ctx, empty, client.FieldOwner(FieldOwner)); client.IgnoreAlreadyExists(err) != nil {
			return fmt.Errorf("creating the token Secret: %w", err)
		}
	}
	if err := applyExact(ctx, r.Client, tokenWriterName(i.Name), i.Namespace, desiredTokenWriterRole(i, s.tenant.Name), rbacv1ac.ExtractRole, roleRules); err != nil {
		return fmt.Errorf("applying the token writer Role: %w", err)
	}
	if err := applyExact(ctx, r.Client, tokenWriterName(i.Name), i.Namespace, desiredTokenWriterBinding(i, s.tenant.Name), rbacv1ac.ExtractRoleBinding, roleBindingSubjectsOf); err != nil {
		return fmt.Errorf("applying the token writer RoleBinding: %w", err)
	}
	// Unlike syncs, refreshes go on while syncing is suspended on purpose (spec.suspend, a Suspended tenant): they
	// touch no personal data, and keep the tokens alive for the day syncing resumes.
	suspend := s.invalid != nil || s.tenant.GetLifecycle() == workspacesv1alpha1.LifecycleClosed
	cj := desiredRefreshCronJob(r.Config, i, s.tenant.Name, s.region, suspend)
	if err := applyCached(ctx, r.Client, *cj.Name, i.Namespace, cj, batchv1ac.ExtractCronJob); err != nil {
		return fmt.Errorf("applying the token refresh CronJob: %w", err)
	}
	if secret == nil || len(secret.Data[contract.TokenSecretKey]) == 0 {
		return nil // no refresh has written anything yet: there is nothing to push
	}
	ps, err := desiredPushSecret(r.Config.SecretStore.Name, i, s.tenant.Name, key, secret.ResourceVersion)
	if err != nil {
		return err
	}
	if _, err := applyUnstructured(ctx, r.Client, ps); err != nil {
		return fmt.Errorf("applying the PushSecret: %w", err)
	}
	return nil
}

// lastPush identifies the integration's PushSecret's last push of renewed credentials to the backend (its
// status.syncedResourceVersion while Ready, which changes with each new token version it pushed), "" when it
// never pushed. The ExternalSecret carries it as its force-sync annotation, so that each push is followed by a
// fetch of what was pushed.
func (r *IntegrationReconciler) lastPush(ctx context.Context, i *workspacesv1alpha1.Integration) (string, error) {
	ps := eso.New(eso.PushSecretGVK)
	if err := r.Get(ctx, client.ObjectKey{Namespace: i.Namespace, Name: pushSecretName(i.Name)}, ps); err != nil {
		return "", client.IgnoreNotFound(err)
	}
	if c := eso.Ready(ps); c == nil || c.Status != string(metav1.ConditionTrue) {
		return "", nil
	}
	v, _, _ := unstructured.NestedString(ps.Object, "status", "syncedResourceVersion")
	return v, nil
}

// noteRefreshFailure reports the newest refresh's failure in status, with a Warning event the first time.
func (r *IntegrationReconciler) noteRefreshFailure(i *workspacesv1alpha1.Integration, failure string) {
	if failure != "" && failure != i.Status.TokenRefreshFailure {
		r.Recorder.Eventf(i, nil, corev1.EventTypeWarning, workspacesv1alpha1.ReasonTokenRefreshFailed, "Refresh",
			"%s; the refresh CronJob retries on its schedule", failure)
	}
	i.Status.TokenRefreshFailure = failure
}
