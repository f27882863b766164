package controllers

import (
	"context"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	batchv1ac "k8s.io/client-go/applyconfigurations/batch/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	networkingv1ac "k8s.io/client-go/applyconfigurations/networking/v1"
	rbacv1ac "k8s.io/client-go/applyconfigurations/rbac/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/config"
	"github.com/alitok/workspace-operator/internal/eso"
)

// IntegrationFinalizer holds an Integration's deletion until its credentials are revoked and, with
// onDisconnect: Purge, its synced data purged.
const IntegrationFinalizer = "workspaces.alitok.ai/integration"

// IntegrationReconciler reconciles an Integration into scoped credentials, least-privilege access, an egress
// policy and one sync CronJob per enabled feature.
type IntegrationReconciler struct {
	client.Client
	// APIReader reads what the cache does not hold: when the credentials Secret last changed (metadata only).
	APIReader client.Reader
	Recorder  recorder.EventRecorder
	Config    *config.Config
	// Now is the clock; tests set it.
	Now func() time.Time
}

// integrationScope carries what the steps of one pass share.
type integrationScope struct {
	intg   *workspacesv1alpha1.Integration
	tenant *workspacesv1alpha1.Tenant
	region string
	// invalid is bad input found early; the pass still suspends the CronJobs before reporting it.
	invalid error
	// pending is what the pass waits for while its steps go on (credentials being fetched); reported at the end.
	pending error
	// suspendedBy says why the CronJobs are suspended, or "".
	suspendedBy string
	requeue
}

// +kubebuilder:rbac:groups=workspaces.alitok.ai,resources=integrations,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=workspaces.alitok.ai,resources=integrations/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=workspaces.alitok.ai,resources=integrations/finalizers,verbs=update
// +kubebuilder:rbac:groups=workspaces.alitok.ai,resources=tenants,verbs=get;list;watch
// +kubebuilder:rbac:groups=external-secrets.io,resources=externalsecrets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=external-secrets.io,resources=pushsecrets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=serviceaccounts,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=roles,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=networking.k8s.io,resources=networkpolicies,verbs=delete
// +kubebuilder:rbac:groups=batch,resources=cronjobs,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=batch,resources=jobs,verbs=get;list;watch;create;update;patch;delete

// Reconcile brings one Integration to its desired state and reports it in status.
func (r *IntegrationReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	i := &workspacesv1alpha1.Integration{}
	if err := r.Get(ctx, req.NamespacedName, i); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	p := newPatcher(r.Client, i, integrationStatus)
	defer p.done(ctx, i, &result, &retErr)
	s := &integrationScope{intg: i}

	var err error
	if i.DeletionTimestamp.IsZero() {
		if err := p.addFinalizer(ctx, i, IntegrationFinalizer); err != nil {
			return ctrl.Result{}, err
		}
		err = r.reconcileNormal(ctx, s)
	} else if err = r.reconcileDelete(ctx, s); err == nil {
		// Revoked: nothing is left to summarize, and the object goes once the finalizer does.
		return ctrl.Result{}, p.removeFinalizer(ctx, i, IntegrationFinalizer)
	}
	r.setStatus(s, err)
	return resultOf(s.requeue, err)
}

func (r *IntegrationReconciler) reconcileNormal(ctx context.Context, s *integrationScope) error {
	if at := s.intg.Annotations[workspacesv1alpha1.RevokedAnnotation]; at != "" {
		return r.reconcileRevoked(ctx, s, at)
	}
	if s.intg.Status.Disconnect != nil {
		// Reconnected after a revocation: what the disconnect recorded, and the verdict on the old credentials,
		// no longer hold.
		s.intg.Status.Disconnect, s.intg.Status.CredentialsCheck = nil, nil
		meta.RemoveStatusCondition(&s.intg.Status.Conditions, workspacesv1alpha1.ConditionCredentialsValid)
	}
	err := runSteps(ctx, s,
		always(r.resolveTenant),
		always(r.validate),
		always(r.reconcileCredentials),
		always(r.reconcileCredentialsValidity),
		always(r.reconcileAccess),
		always(r.reconcileEgress),
		always(r.reconcileCronJobs),
		always(r.reconcileTokenRefresh),
		always(r.reconcileSyncNow),
		always(r.reconcileFeatureStatus),
	)
	if err != nil {
		return err
	}
	if s.invalid != nil {
		return s.invalid
	}
	return s.pending
}

// resolveTenant finds the Tenant whose namespace holds the Integration.
func (r *IntegrationReconciler) resolveTenant(ctx context.Context, s *integrationScope) error {
	i := s.intg
	ns := &corev1.Namespace{}
	if err := r.Get(ctx, client.ObjectKey{Name: i.Namespace}, ns); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	name := ns.Labels[workspacesv1alpha1.TenantLabel]
	if name == "" {
		return stalled(workspacesv1alpha1.ReasonNotInTenant, "namespace %s is not a tenant workspace: create Integrations in the namespace of their Tenant (%s<tenant>)",
			i.Namespace, r.Config.NamespacePrefix)
	}
	t := &workspacesv1alpha1.Tenant{}
	if err := r.Get(ctx, client.ObjectKey{Name: name}, t); err != nil {
		if apierrors.IsNotFound(err) {
			return stalled(workspacesv1alpha1.ReasonNotInTenant, "Tenant %q of namespace %s does not exist", name, i.Namespace)
		}
		return err
	}
	s.tenant = t
	region, err := residencyRegion(r.Config, t)
	if err != nil {
		return stalled(workspacesv1alpha1.ReasonTenantNotReady, "Tenant %q: %s", t.Name, err)
	}
	s.region = region
	return nil
}

// validate checks what the API server cannot: schedules with the CronJob's parser, scopes against the provider
// catalog and the credentials path against the tenant's path. Bad input is reported at the end of the pass, after the CronJobs are suspended.
func (r *IntegrationReconciler) validate(_ context.Context, s *integrationScope) error {
	i := s.intg
	for n, f := range i.Spec.Features {
		// The API server's CEL rule checks the schedule's form; the CronJob's own validation also parses it.
		if err := config.CheckSchedule(featureSchedule(r.Config, i, f)); err != nil {
			s.invalid = stalled(workspacesv1alpha1.ReasonInvalidSchedule, "spec.features[%d].schedule %q: %s", n, f.Schedule, err)
			return nil
		}
	}
	if msg := scopeProblems(r.Config.Providers[i.Spec.Provider], i); msg != "" {
		s.invalid = stalled(workspacesv1alpha1.ReasonScopesMismatch, "%s", msg)
		return nil
	}
	if r.Config.SecretStore == nil {
		s.invalid = stalled(workspacesv1alpha1.ReasonNoSecretStore, "the operator configuration has no secretStore template, so credentials cannot be fetched")
		return nil
	}
	_, prefix := r.Config.SecretStore.Stamp(s.tenant.Name)
	if _, err := remoteKeyFor(prefix, i.Spec.Credentials.RemoteKey); err != nil {
		s.invalid = stalled(workspacesv1alpha1.ReasonRemoteKeyOutside, "%s", err)
	}
	return nil
}

// reconcileCredentials applies the ExternalSecret and mirrors its Ready condition into CredentialsReady.
func (r *IntegrationReconciler) reconcileCredentials(ctx context.Context, s *integrationScope) error {
	i := s.intg
	if r.Config.SecretStore == nil {
		return nil
	}
	_, prefix := r.Config.SecretStore.Stamp(s.tenant.Name)
	key, err := remoteKeyFor(prefix, i.Spec.Credentials.RemoteKey)
	if err != nil {
		return nil //nolint:nilerr // validate reports it as Stalled; never write an ExternalSecret outside the tenant's path
	}
	// After each push of renewed tokens to the backend, the ExternalSecret fetches them at once.
	pushed, err := r.lastPush(ctx, i)
	if err != nil {
		return err
	}
	var annotations map[string]string
	if pushed != "" {
		annotations = map[string]string{eso.ForceSyncAnnotation: pushed}
	}
	desired, err := desiredExternalSecret(r.Config.SecretStore.Name, credentialsName(i.Name), i.Namespace,
		integrationLabels(s.tenant.Name, i.Name, componentCredentials), annotations, key, i.GetRefreshInterval())
	if err != nil {
		return err
	}
	live, err := applyUnstructured(ctx, r.Client, desired)
	if err != nil {
		return fmt.Errorf("applying ExternalSecret: %w", err)
	}
	i.Status.SecretName = credentialsName(i.Name)
	status, reason, msg := metav1.ConditionUnknown, workspacesv1alpha1.ReasonCredentialsPending, "waiting for the External Secrets Operator to fetch the credentials"
	if c := eso.Ready(live); c != nil {
		status, reason, msg = metav1.ConditionStatus(c.Status), c.Reason, c.Message
		if reason == "" {
			reason = workspacesv1alpha1.ReasonCredentialsPending
		}
	}
	setCondition(&i.Status.Conditions, i.Generation, workspacesv1alpha1.ConditionCredentialsReady, status, reason, msg)
	if status != metav1.ConditionTrue {
		s.pending = waiting(0, workspacesv1alpha1.ReasonCredentialsPending, "waiting for credentials: %s", msg)
	}
	return nil
}

// reconcileAccess applies the integration's ServiceAccount and the Role that lets it get its own Secret only.
func (r *IntegrationReconciler) reconcileAccess(ctx context.Context, s *integrationScope) error {
	i, tenant := s.intg, s.tenant.Name
	if err := applyCached(ctx, r.Client, syncAccountName(i.Name), i.Namespace, desiredServiceAccount(i, tenant), corev1ac.ExtractServiceAccount); err != nil {
		return fmt.Errorf("applying ServiceAccount: %w", err)
	}
	if err := applyExact(ctx, r.Client, readerRoleName(i.Name), i.Namespace, desiredReaderRole(i, tenant), rbacv1ac.ExtractRole, roleRules); err != nil {
		return fmt.Errorf("applying Role: %w", err)
	}
	if err := applyExact(ctx, r.Client, readerRoleName(i.Name), i.Namespace, desiredReaderBinding(i, tenant), rbacv1ac.ExtractRoleBinding, roleBindingSubjectsOf); err != nil {
		return fmt.Errorf("applying RoleBinding: %w", err)
	}
	return nil
}

func (r *IntegrationReconciler) reconcileEgress(ctx context.Context, s *integrationScope) error {
	i := s.intg
	np := desiredEgressPolicy(r.Config, i, s.tenant.Name)
	if err := applyExact(ctx, r.Client, *np.Name, i.Namespace, np, networkingv1ac.ExtractNetworkPolicy, networkPolicySpec); err != nil {
		return fmt.Errorf("applying NetworkPolicy: %w", err)
	}
	return nil
}

// suspendReason says why the sync CronJobs must not run, or "".
func suspendReason(s *integrationScope) string {
	switch {
	case s.invalid != nil:
		return "the Integration is Stalled"
	case s.intg.Spec.Suspend:
		return "spec.suspend is true"
	case s.tenant.GetLifecycle() != workspacesv1alpha1.LifecycleActive:
		return fmt.Sprintf("Tenant %s is %s", s.tenant.Name, s.tenant.GetLifecycle())
	}
	return ""
}

// reconcileCronJobs applies one CronJob per enabled feature, suspended when syncing must not run, and
// removes the CronJobs of features no longer enabled.
func (r *IntegrationReconciler) reconcileCronJobs(ctx context.Context, s *integrationScope) error {
	i := s.intg
	s.suspendedBy = suspendReason(s)
	want := map[string]bool{}
	for _, f := range i.Spec.Features {
		cj := desiredCronJob(r.Config, i, s.tenant.Name, s.region, f, s.suspendedBy != "")
		want[*cj.Name] = true
		if err := applyCached(ctx, r.Client, *cj.Name, i.Namespace, cj, batchv1ac.ExtractCronJob); err != nil {
			return fmt.Errorf("applying CronJob %s: %w", *cj.Name, err)
		}
	}
	list := &batchv1.CronJobList{}
	if err := r.List(ctx, list, client.InNamespace(i.Namespace), client.MatchingLabels{IntegrationLabel: i.Name, workspacesv1alpha1.ComponentLabel: componentSync}); err != nil {
		return err
	}
	for idx := range list.Items {
		cj := &list.Items[idx]
		if want[cj.Name] {
			continue
		}
		if err := r.Delete(ctx, cj, client.PropagationPolicy(metav1.DeletePropagationBackground)); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("removing CronJob %s of a disabled feature: %w", cj.Name, err)
		}
	}
	return nil
}

// reconcileSyncNow starts one Job per feature from its CronJob's template when the sync-now annotation has a
// value not yet acted on, like `kubectl create job --from=cronjob/...`; the refresh-now annotation does the same
// for the token refresh.
func (r *IntegrationReconciler) reconcileSyncNow(ctx context.Context, s *integrationScope) error {
	i := s.intg
	if s.suspendedBy != "" {
		return nil
	}
	if value := i.Annotations[workspacesv1alpha1.SyncNowAnnotation]; value != "" && value != i.Status.LastHandledSyncNow {
		for _, f := range i.Spec.Features {
			if err := r.runNow(ctx, i.Namespace, cronJobName(i.Name, f.Name), value); err != nil {
				return fmt.Errorf("starting sync-now Job for %s: %w", f.Name, err)
			}
		}
		i.Status.LastHandledSyncNow = value
		r.Recorder.Eventf(i, nil, corev1.EventTypeNormal, workspacesv1alpha1.ReasonSyncStarted, "SyncNow", "sync-now started one Job per feature (%d)", len(i.Spec.Features))
	}
	if value := i.Annotations[workspacesv1alpha1.RefreshNowAnnotation]; value != "" && value != i.Status.LastHandledRefreshNow {
		if err := r.runNow(ctx, i.Namespace, refreshCronJobName(i.Name), value); err != nil {
			return fmt.Errorf("starting the refresh-now Job: %w", err)
		}
		i.Status.LastHandledRefreshNow = value
		r.Recorder.Eventf(i, nil, corev1.EventTypeNormal, workspacesv1alpha1.ReasonSyncStarted, "RefreshNow", "refresh-now started a token refresh Job")
	}
	return nil
}

// runNow starts one Job from a CronJob's template, named for the value that asked for it: the same value starts
// it once, however often it is reconciled.
func (r *IntegrationReconciler) runNow(ctx context.Context, ns, cronJob, value string) error {
	// From the API server: the cache holds CronJobs without their Pod templates (cache.go).
	cj := &batchv1.CronJob{}
	if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: ns, Name: cronJob}, cj); err != nil {
		return fmt.Errorf("reading CronJob %s: %w", cronJob, err)
	}
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name:            runNowJobName(cronJob, value),
			Namespace:       ns,
			Labels:          cj.Spec.JobTemplate.Labels,
			Annotations:     map[string]string{"cronjob.kubernetes.io/instantiate": "manual"},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(cj, batchv1.SchemeGroupVersion.WithKind("CronJob"))},
		},
		Spec: *cj.Spec.JobTemplate.Spec.DeepCopy(),
	}
	return client.IgnoreAlreadyExists(r.Create(ctx, job, client.FieldOwner(FieldOwner)))
}

// reconcileFeatureStatus reports each feature's last schedule, last success and last failure.
func (r *IntegrationReconciler) reconcileFeatureStatus(ctx context.Context, s *integrationScope) error {
	i := s.intg
	jobs := &batchv1.JobList{}
	if err := r.List(ctx, jobs, client.InNamespace(i.Namespace), client.MatchingLabels{IntegrationLabel: i.Name, workspacesv1alpha1.ComponentLabel: componentSync}); err != nil {
		return err
	}
	var out []workspacesv1alpha1.FeatureStatus
	for _, f := range i.Spec.Features {
		fs := workspacesv1alpha1.FeatureStatus{Name: f.Name, CronJob: cronJobName(i.Name, f.Name)}
		cj := &batchv1.CronJob{}
		if err := r.Get(ctx, client.ObjectKey{Namespace: i.Namespace, Name: fs.CronJob}, cj); err == nil {
			fs.LastScheduleTime, fs.LastSuccessfulTime = cj.Status.LastScheduleTime, cj.Status.LastSuccessfulTime
		}
		var lastFailed *batchv1.Job
		for idx := range jobs.Items {
			j := &jobs.Items[idx]
			if j.Labels[FeatureLabel] != string(f.Name) {
				continue
			}
			if start := j.Status.StartTime; start != nil && (fs.LastScheduleTime == nil || fs.LastScheduleTime.Before(start)) {
				fs.LastScheduleTime = start
			}
			if done := j.Status.CompletionTime; done != nil && (fs.LastSuccessfulTime == nil || fs.LastSuccessfulTime.Before(done)) {
				fs.LastSuccessfulTime = done
			}
			if jobFailed(j) && (lastFailed == nil || lastFailed.CreationTimestamp.Before(&j.CreationTimestamp)) {
				lastFailed = j
			}
		}
		if lastFailed != nil && (fs.LastSuccessfulTime == nil || fs.LastSuccessfulTime.Before(&lastFailed.CreationTimestamp)) {
			msg, err := r.failureMessage(ctx, lastFailed)
			if err != nil {
				return err
			}
			fs.LastFailure = msg
		}
		out = append(out, fs)
	}
	i.Status.Features = out
	return nil
}

// jobFailed reports whether a Job has failed for good.
func jobFailed(j *batchv1.Job) bool {
	for _, c := range j.Status.Conditions {
		if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func jobComplete(j *batchv1.Job) bool {
	for _, c := range j.Status.Conditions {
		if c.Type == batchv1.JobComplete && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// maxFailureMessage bounds a failure message copied into status.
const maxFailureMessage = 1024

// failureMessage describes a failed Job: its Pod's termination message (the worker's JSON result), else the
// Job's own failure condition.
func (r *IntegrationReconciler) failureMessage(ctx context.Context, j *batchv1.Job) (string, error) {
	msg, err := jobFailure(ctx, r.Client, j)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Job %s failed: %s", j.Name, truncate(msg, maxFailureMessage)), nil
}

// reconcileDelete disconnects a deleted Integration. It returns nil once the finalizer may go.
func (r *IntegrationReconciler) reconcileDelete(ctx context.Context, s *integrationScope) error {
	if !controllerutil.ContainsFinalizer(s.intg, IntegrationFinalizer) {
		return nil
	}
	return r.disconnect(ctx, s, "the Integration was deleted")
}

// disconnect applies onDisconnect and revokes the integration: with Purge its synced data is purged first (a
// failure is shown and retried with backoff), then its CronJobs, Jobs, credentials, access and egress go. A
// deleted Integration and one revoked on the platform's side go the same way.
func (r *IntegrationReconciler) disconnect(ctx context.Context, s *integrationScope, why string) error {
	i := s.intg
	ns := &corev1.Namespace{}
	nsErr := r.Get(ctx, client.ObjectKey{Name: i.Namespace}, ns)
	namespaceGoing := apierrors.IsNotFound(nsErr) || (nsErr == nil && !ns.DeletionTimestamp.IsZero())
	// A namespace being deleted takes everything with it, and the tenant's purge covers its data; a Job
	// could not even be created there.
	if i.GetOnDisconnect() == workspacesv1alpha1.OnDisconnectPurge && !namespaceGoing {
		if s.tenant == nil {
			if err := r.resolveTenant(ctx, s); err != nil {
				if _, bad := asStalled(err); !bad {
					return err
				}
			}
		}
		if s.tenant != nil {
			if err := r.suspendAll(ctx, i); err != nil {
				return err
			}
			if i.Status.Disconnect == nil {
				i.Status.Disconnect = &workspacesv1alpha1.DisconnectStatus{}
			}
			purge := purgeRunner{client: r.Client, recorder: r.Recorder, now: r.Now}
			desired := desiredPurgeJob(r.Config, i, s.tenant.Name, s.region, heldCategories(s.tenant, r.Now()))
			if done, err := purge.run(ctx, i, &i.Status.Disconnect.PurgeStatus, desired, "the integration's synced data before disconnecting (onDisconnect: Purge)"); !done {
				return err
			}
		}
	}
	logf.FromContext(ctx).Info("revoking the integration: deleting its credentials, access, egress and sync CronJobs",
		"integration", i.Name, "namespace", i.Namespace, "reason", why)
	return r.revoke(ctx, i)
}

// reconcileRevoked handles an Integration the seller revoked on the platform's side (RevokedAnnotation): syncing
// stops and onDisconnect is applied as if it had been deleted, while the object stays as the record. It ends
// Stalled: a person deletes it, or removes the annotation once the seller authorized the app again.
func (r *IntegrationReconciler) reconcileRevoked(ctx context.Context, s *integrationScope, at string) error {
	i := s.intg
	msg := fmt.Sprintf("the seller revoked the app's access on %s at %s", i.Spec.Provider, at)
	setCondition(&i.Status.Conditions, i.Generation, workspacesv1alpha1.ConditionCredentialsValid, metav1.ConditionFalse, workspacesv1alpha1.ReasonRevoked, msg)
	if d := i.Status.Disconnect; d == nil || d.DisconnectedAt == nil {
		if err := r.disconnect(ctx, s, "the seller revoked access on the platform"); err != nil {
			return err
		}
		if i.Status.Disconnect == nil {
			i.Status.Disconnect = &workspacesv1alpha1.DisconnectStatus{}
		}
		i.Status.Disconnect.DisconnectedAt = &metav1.Time{Time: r.Now().Truncate(time.Second)}
		// No token is held any more: nothing expires, nothing fails to refresh.
		i.Status.TokenExpiresAt, i.Status.TokenRefreshFailure = nil, ""
	}
	return stalled(workspacesv1alpha1.ReasonRevoked, "%s: syncing stopped, credentials deleted, onDisconnect: %s applied. "+
		"Delete the Integration, or remove the annotation %s once the seller authorized the app again to reconnect it",
		msg, i.GetOnDisconnect(), workspacesv1alpha1.RevokedAnnotation)
}

// suspendAll suspends every sync CronJob of the integration.
func (r *IntegrationReconciler) suspendAll(ctx context.Context, i *workspacesv1alpha1.Integration) error {
	list := &batchv1.CronJobList{}
	if err := r.List(ctx, list, client.InNamespace(i.Namespace), client.MatchingLabels{IntegrationLabel: i.Name}); err != nil {
		return err
	}
	for idx := range list.Items {
		cj := &list.Items[idx]
		if cj.Spec.Suspend != nil && *cj.Spec.Suspend {
			continue
		}
		base := cj.DeepCopy()
		suspend := true
		cj.Spec.Suspend = &suspend
		if err := r.Patch(ctx, cj, client.MergeFrom(base)); client.IgnoreNotFound(err) != nil {
			return err
		}
	}
	return nil
}

// revoke deletes everything the integration had: sync CronJobs and Jobs, the ExternalSecret (and with it
// the credentials Secret), the ServiceAccount, its Role and RoleBinding, and the egress policy. Objects are
// listed and deleted one by one, so the operator needs no deletecollection.
func (r *IntegrationReconciler) revoke(ctx context.Context, i *workspacesv1alpha1.Integration) error {
	opts := []client.ListOption{client.InNamespace(i.Namespace), client.MatchingLabels{IntegrationLabel: i.Name}}
	esList := &unstructured.UnstructuredList{}
	esList.SetGroupVersionKind(eso.GroupVersion.WithKind("ExternalSecretList"))
	psList := &unstructured.UnstructuredList{}
	psList.SetGroupVersionKind(eso.PushSecretGVK.GroupVersion().WithKind("PushSecretList"))
	var errs []error
	for _, list := range []client.ObjectList{
		&batchv1.CronJobList{}, &batchv1.JobList{}, psList, esList, &corev1.SecretList{}, &rbacv1.RoleBindingList{}, &rbacv1.RoleList{},
		&corev1.ServiceAccountList{}, &networkingv1.NetworkPolicyList{},
	} {
		if err := r.List(ctx, list, opts...); err != nil {
			errs = append(errs, err)
			continue
		}
		err := meta.EachListItem(list, func(o runtime.Object) error {
			obj := o.(client.Object)
			if err := r.Delete(ctx, obj, client.PropagationPolicy(metav1.DeletePropagationBackground)); client.IgnoreNotFound(err) != nil {
				return fmt.Errorf("revoking %s %s: %w", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), err)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	return kerrors.NewAggregate(errs)
}

// setStatus writes the summary conditions from the pass's outcome.
func (r *IntegrationReconciler) setStatus(s *integrationScope, err error) {
	i := s.intg
	prevStalled := stalledMessage(i.Status.Conditions)
	o := outcome{err: err, readyMessage: integrationReadyMessage(s)}
	if s.suspendedBy != "" && s.invalid == nil {
		o.readyReason = workspacesv1alpha1.ReasonSuspended
	}
	summarize(&i.Status.Conditions, &i.Status.ObservedGeneration, i.Generation, o)
	warnNewlyStalled(r.Recorder, i, prevStalled, err)
}

func integrationReadyMessage(s *integrationScope) string {
	n := len(s.intg.Spec.Features)
	if s.suspendedBy != "" {
		return fmt.Sprintf("credentials ready; %d sync CronJob(s) suspended: %s", n, s.suspendedBy)
	}
	return fmt.Sprintf("credentials ready; %d sync CronJob(s) scheduled", n)
}

// requestForIntegrationLabel maps an object carrying the integration label to its Integration.
func requestForIntegrationLabel(_ context.Context, obj client.Object) []reconcile.Request {
	name := obj.GetLabels()[IntegrationLabel]
	if name == "" || obj.GetLabels()[workspacesv1alpha1.ManagedByLabel] != workspacesv1alpha1.ManagedByValue {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: obj.GetNamespace(), Name: name}}}
}

// SetupWithManager registers the controller: Integrations drive it; their children map back by label, and a
// Tenant's change (suspension, closure) reaches every Integration in its namespace.
func (r *IntegrationReconciler) SetupWithManager(mgr ctrl.Manager, opts controller.Options) error {
	if r.Now == nil {
		r.Now = time.Now
	}
	r.Client = newOperatorClient(r.Client, r.APIReader)
	b := ctrl.NewControllerManagedBy(mgr).
		For(&workspacesv1alpha1.Integration{}, builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		WithOptions(opts).
		Named("integration")
	for _, obj := range []client.Object{
		&batchv1.CronJob{}, &batchv1.Job{}, &corev1.ServiceAccount{}, &rbacv1.Role{}, &rbacv1.RoleBinding{},
		&networkingv1.NetworkPolicy{}, &corev1.Secret{}, eso.New(eso.ExternalSecretGVK), eso.New(eso.PushSecretGVK),
	} {
		b = b.Watches(obj, handler.EnqueueRequestsFromMapFunc(requestForIntegrationLabel))
	}
	b = b.Watches(&workspacesv1alpha1.Tenant{}, handler.EnqueueRequestsFromMapFunc(r.integrationsOfTenant),
		builder.WithPredicates(predicate.GenerationChangedPredicate{}))
	return b.Complete(r)
}

// integrationsOfTenant maps a Tenant to the Integrations in its namespace.
func (r *IntegrationReconciler) integrationsOfTenant(ctx context.Context, obj client.Object) []reconcile.Request {
	ns, err := namespaceName(r.Config, obj.GetName())
	if err != nil {
		return nil
	}
	list := &workspacesv1alpha1.IntegrationList{}
	if err := r.List(ctx, list, client.InNamespace(ns)); err != nil {
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for _, i := range list.Items {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&i)})
	}
	return out
}

func integrationStatus(i *workspacesv1alpha1.Integration) any { return i.Status }
