package controllers

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	networkingv1ac "k8s.io/client-go/applyconfigurations/networking/v1"
	rbacv1ac "k8s.io/client-go/applyconfigurations/rbac/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/audit"
	"github.com/alitok/workspace-operator/internal/config"
	"github.com/alitok/workspace-operator/internal/contract"
	"github.com/alitok/workspace-operator/internal/eso"
)

// TenantFinalizer holds a Tenant's deletion until its workspace is safely purged.
const TenantFinalizer = "workspaces.alitok.ai/tenant"

// verifyRecheck is when a pass that wrote workspace objects looks again, should no watch event come first.
const verifyRecheck = 5 * time.Second

// notIsolatedRecheck is how often a tenant whose isolation checks fail is checked again while no event comes.
const notIsolatedRecheck = time.Minute

// namespaceGoneRecheck is how often a namespace being deleted is checked while nothing else reports on it.
const namespaceGoneRecheck = 5 * time.Second

// TenantReconciler reconciles a Tenant into its isolated workspace.
type TenantReconciler struct {
	client.Client
	// APIReader reads objects the cache does not hold (unlabelled namespaces that would collide).
	APIReader client.Reader
	Recorder  recorder.EventRecorder
	Config    *config.Config
	// Now is the clock; tests set it.
	Now func() time.Time
}

// tenantScope carries what the steps of one pass share.
type tenantScope struct {
	tenant    *workspacesv1alpha1.Tenant
	namespace string
	region    string
	// ns is the namespace as cached; nil before it exists.
	ns *corev1.Namespace
	// readyMessage and readyReason describe a finished pass.
	readyMessage, readyReason string
	// notIsolated is what the isolation checks found broken: the pass goes on (the operator's own objects are put
	// back), and ends Stalled with it, so Ready is False while isolation does not hold.
	notIsolated error
	requeue
}

// +kubebuilder:rbac:groups=workspaces.alitok.ai,resources=tenants,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=workspaces.alitok.ai,resources=tenants/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=workspaces.alitok.ai,resources=tenants/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=resourcequotas;limitranges,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups=networking.k8s.io,resources=networkpolicies,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=rolebindings,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=clusterroles,verbs=bind,resourceNames=workspace-operator:tenant-owner;workspace-operator:tenant-admin;workspace-operator:tenant-member;workspace-operator:tenant-viewer
// +kubebuilder:rbac:groups=external-secrets.io,resources=secretstores,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile brings one Tenant's workspace to its desired state and reports it in status.
func (r *TenantReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	t := &workspacesv1alpha1.Tenant{}
	if err := r.Get(ctx, req.NamespacedName, t); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	p := newPatcher(r.Client, t, tenantStatus)
	defer p.done(ctx, t, &result, &retErr)
	s := &tenantScope{tenant: t}
	ctx = withWriteFlag(ctx)

	var err error
	if t.DeletionTimestamp.IsZero() {
		if err := p.addFinalizer(ctx, t, TenantFinalizer); err != nil {
			return ctrl.Result{}, err
		}
		err = r.reconcileNormal(ctx, s)
	} else if err = r.reconcileDelete(ctx, s); err == nil && s.purged() {
		err = p.removeFinalizer(ctx, t, TenantFinalizer)
	}
	r.setStatus(s, err)
	return resultOf(s.requeue, err)
}

// reconcileNormal runs the steps of a live Tenant in order; the first error ends the pass, and so does the
// closure step once the workspace is purged: nothing may recreate it.
func (r *TenantReconciler) reconcileNormal(ctx context.Context, s *tenantScope) error {
	err := runSteps(ctx, s,
		always(r.reconcileInput),
		r.reconcileClosure,
		always(r.reconcileNamespace),
		always(r.reconcileIsolation),
		always(r.reconcileRoleBindings),
		always(r.reconcileHMACKey),
		always(r.reconcileSecretStore),
		always(r.reconcileMaintenance),
	)
	if err == nil {
		err = s.notIsolated
	}
	return err
}

// purged reports whether the workspace is gone for good: nothing may recreate it.
func (s *tenantScope) purged() bool {
	c := s.tenant.Status.Closure
	return c != nil && c.PurgedAt != nil
}

// reconcileDelete holds the deletion of a Tenant that is not Closed, keeping its workspace intact and
// isolated; a Closed Tenant is purged on its closure schedule and released once its namespace is gone.
func (r *TenantReconciler) reconcileDelete(ctx context.Context, s *tenantScope) error {
	t := s.tenant
	if !controllerutil.ContainsFinalizer(t, TenantFinalizer) {
		return nil
	}
	prev := meta.FindStatusCondition(t.Status.Conditions, workspacesv1alpha1.ConditionDeletionBlocked)
	if t.GetLifecycle() != workspacesv1alpha1.LifecycleClosed {
		msg := fmt.Sprintf("deletion is held: Tenant %q is %s and deleting it would destroy tenant data. "+
			"To delete it, set spec.lifecycle to Closed (members lose access now, data is purged after %s), "+
			"and annotate %s=%s to purge at once",
			t.Name, t.GetLifecycle(), t.GetGracePeriod(), workspacesv1alpha1.ConfirmPurgeAnnotation, t.Name)
		setCondition(&t.Status.Conditions, t.Generation, workspacesv1alpha1.ConditionDeletionBlocked, metav1.ConditionTrue, workspacesv1alpha1.ReasonTenantNotClosed, msg)
		if prev == nil || prev.Reason != workspacesv1alpha1.ReasonTenantNotClosed {
			r.Recorder.Eventf(t, nil, corev1.EventTypeWarning, workspacesv1alpha1.ReasonTenantNotClosed, "Delete", msg)
		}
		return r.reconcileNormal(ctx, s)
	}
	if err := r.reconcileNormal(ctx, s); err != nil {
		return err
	}
	if !s.purged() {
		msg := fmt.Sprintf("deletion waits for the workspace purge, due at %s; annotate %s=%s to purge at once",
			t.Status.Closure.PurgeAfter.UTC().Format(time.RFC3339), workspacesv1alpha1.ConfirmPurgeAnnotation, t.Name)
		setCondition(&t.Status.Conditions, t.Generation, workspacesv1alpha1.ConditionDeletionBlocked, metav1.ConditionTrue, workspacesv1alpha1.ReasonAwaitingPurge, msg)
	}
	return nil
}

// reconcileInput refuses what the API server cannot check: a region outside the operator's allowed list, a
// namespace name the configured prefix makes invalid, and reopening a purged tenant.
func (r *TenantReconciler) reconcileInput(_ context.Context, s *tenantScope) error {
	t := s.tenant
	ns, err := namespaceName(r.Config, t.Name)
	if err != nil {
		return stalled(workspacesv1alpha1.ReasonInvalidName, "%s", err)
	}
	s.namespace = ns
	t.Status.Namespace = ns
	if s.region, err = residencyRegion(r.Config, t); err != nil {
		return stalled(workspacesv1alpha1.ReasonRegionNotAllowed, "%s", err)
	}
	if s.purged() && t.GetLifecycle() != workspacesv1alpha1.LifecycleClosed {
		return stalled(workspacesv1alpha1.ReasonAlreadyPurged, "Tenant %q was purged at %s and cannot be reopened; create a new Tenant",
			t.Name, t.Status.Closure.PurgedAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// reconcileClosure runs account closure: it records when the tenant was closed and when it will be purged,
// and once that time has come (or the purge is confirmed) purges the data, deletes the namespace and records
// the purge, which stops the pass. Reopening before the purge clears the closure record.
func (r *TenantReconciler) reconcileClosure(ctx context.Context, s *tenantScope) (stop bool, err error) {
	t := s.tenant
	if t.GetLifecycle() != workspacesv1alpha1.LifecycleClosed {
		t.Status.Closure = nil
		return false, nil
	}
	now := r.Now()
	if t.Status.Closure == nil || t.Status.Closure.ClosedAt == nil {
		t.Status.Closure = &workspacesv1alpha1.ClosureStatus{ClosedAt: &metav1.Time{Time: now.Truncate(time.Second)}}
		r.Recorder.Eventf(t, nil, corev1.EventTypeNormal, workspacesv1alpha1.ReasonClosed, "Close",
			"Tenant closed: member access removed; workspace purge due after %s", t.GetGracePeriod())
	}
	c := t.Status.Closure
	if s.purged() {
		s.readyReason, s.readyMessage = workspacesv1alpha1.ReasonPurged, "workspace purged at "+c.PurgedAt.UTC().Format(time.RFC3339)
		return true, nil
	}
	purgeAfter := c.ClosedAt.Add(t.GetGracePeriod())
	c.PurgeAfter = &metav1.Time{Time: purgeAfter}
	if now.Before(purgeAfter) && !t.PurgeConfirmed() {
		s.readyReason = workspacesv1alpha1.ReasonClosed
		s.readyMessage = fmt.Sprintf("closed: member access removed; workspace purge due at %s", purgeAfter.UTC().Format(time.RFC3339))
		s.requeueAfter(purgeAfter.Sub(now))
		return false, nil
	}
	if err := r.purgeNamespaceData(ctx, s); err != nil {
		return false, err
	}
	if err := r.purgeNamespace(ctx, s); err != nil {
		return false, err
	}
	return true, nil
}

// purgeNamespaceData runs the tenant-wide purge Job, honouring legal holds, while the tenant's namespace is
// still there to run it in; it returns nil once the data is purged.
func (r *TenantReconciler) purgeNamespaceData(ctx context.Context, s *tenantScope) error {
	ns := &corev1.Namespace{}
	switch err := r.APIReader.Get(ctx, client.ObjectKey{Name: s.namespace}, ns); {
	case apierrors.IsNotFound(err):
		return nil
	case err != nil:
		return err
	case !ownedNamespace(ns, s.tenant.Name) || !ns.DeletionTimestamp.IsZero():
		return nil
	}
	t := s.tenant
	purge := purgeRunner{client: r.Client, recorder: r.Recorder, now: r.Now}
	desired := desiredTenantPurgeJob(r.Config, t, s.namespace, s.region, heldCategories(t, r.Now()))
	_, err := purge.run(ctx, t, &t.Status.Closure.PurgeStatus, desired, "the tenant's synced data before its namespace is deleted")
	return err
}

// purgeNamespace deletes the tenant's namespace and records the purge once it is gone.
func (r *TenantReconciler) purgeNamespace(ctx context.Context, s *tenantScope) error {
	t := s.tenant
	ns := &corev1.Namespace{}
	err := r.APIReader.Get(ctx, client.ObjectKey{Name: s.namespace}, ns)
	switch {
	case apierrors.IsNotFound(err):
		t.Status.Closure.PurgedAt = &metav1.Time{Time: r.Now().Truncate(time.Second)}
		s.readyReason, s.readyMessage = workspacesv1alpha1.ReasonPurged, "workspace purged at "+t.Status.Closure.PurgedAt.UTC().Format(time.RFC3339)
		r.Recorder.Eventf(t, nil, corev1.EventTypeNormal, workspacesv1alpha1.ReasonPurged, "Purge", "namespace %s deleted", s.namespace)
		return nil
	case err != nil:
		return fmt.Errorf("reading namespace %s: %w", s.namespace, err)
	}
	if !ownedNamespace(ns, t.Name) {
		// Someone else's namespace of that name: the tenant never had a workspace to purge, and theirs stays.
		t.Status.Closure.PurgedAt = &metav1.Time{Time: r.Now().Truncate(time.Second)}
		s.readyReason = workspacesv1alpha1.ReasonPurged
		s.readyMessage = fmt.Sprintf("nothing to purge: namespace %s belongs to someone else and was left alone", s.namespace)
		return nil
	}
	if ns.DeletionTimestamp.IsZero() {
		logf.FromContext(ctx).Info("deleting the tenant's namespace", "tenant", t.Name, "namespace", s.namespace,
			"reason", "the Tenant is Closed and its purge is due or confirmed; its data purge succeeded")
		if err := r.Delete(ctx, ns, client.Preconditions{UID: &ns.UID}); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("deleting namespace %s: %w", s.namespace, err)
		}
	}
	return waiting(namespaceGoneRecheck, workspacesv1alpha1.ReasonPurging, "purging: waiting for namespace %s to be deleted", s.namespace)
}

// ownedNamespace reports whether ns belongs to the tenant.
func ownedNamespace(ns *corev1.Namespace, tenant string) bool {
	return ns.Labels[workspacesv1alpha1.TenantLabel] == tenant
}

// reconcileNamespace applies the tenant's namespace. It never adopts a namespace that belongs to someone else,
// and waits while a deleted namespace finishes terminating before recreating it.
func (r *TenantReconciler) reconcileNamespace(ctx context.Context, s *tenantScope) error {
	t := s.tenant
	ns := &corev1.Namespace{}
	err := r.Get(ctx, client.ObjectKey{Name: s.namespace}, ns)
	if apierrors.IsNotFound(err) {
		// The cache holds only managed namespaces: an unmanaged one of that name must not be taken over.
		err = r.APIReader.Get(ctx, client.ObjectKey{Name: s.namespace}, ns)
		if err == nil && !ownedNamespace(ns, t.Name) {
			return stalled(workspacesv1alpha1.ReasonNamespaceConflict,
				"namespace %s already exists and does not belong to Tenant %q; remove or rename it, or rename the Tenant",
				s.namespace, t.Name)
		}
	}
	switch {
	case apierrors.IsNotFound(err):
		ns = nil
		if t.Status.Phase != "" {
			r.Recorder.Eventf(t, nil, corev1.EventTypeWarning, workspacesv1alpha1.ReasonNamespaceRecreated, "Reconcile",
				"namespace %s was missing and is being created again", s.namespace)
		}
	case err != nil:
		return fmt.Errorf("reading namespace %s: %w", s.namespace, err)
	case !ownedNamespace(ns, t.Name):
		return stalled(workspacesv1alpha1.ReasonNamespaceConflict, "namespace %s belongs to Tenant %q, not %q",
			s.namespace, ns.Labels[workspacesv1alpha1.TenantLabel], t.Name)
	case !ns.DeletionTimestamp.IsZero():
		return waiting(namespaceGoneRecheck, workspacesv1alpha1.ReasonNamespaceDeleting, "namespace %s is being deleted; it is recreated once it is gone", s.namespace)
	}
	if _, err := applyIfChanged(ctx, r.Client, ns, desiredNamespace(t, s.namespace, s.region), corev1ac.ExtractNamespace); err != nil {
		return fmt.Errorf("applying namespace %s: %w", s.namespace, err)
	}
	s.ns = ns
	return nil
}

// reconcileIsolation applies the NetworkPolicies, ResourceQuota and LimitRange, and sets Isolated.
func (r *TenantReconciler) reconcileIsolation(ctx context.Context, s *tenantScope) error {
	t := s.tenant
	err := func() error {
		jobPolicies, err := desiredJobEgressPolicies(r.Config, t, s.namespace)
		if err != nil {
			return err
		}
		for _, np := range append(desiredNetworkPolicies(t, s.namespace), jobPolicies...) {
			if err := applyExact(ctx, r.Client, *np.Name, s.namespace, np, networkingv1ac.ExtractNetworkPolicy, networkPolicySpec); err != nil {
				return fmt.Errorf("applying NetworkPolicy %s: %w", *np.Name, err)
			}
		}
		if err := applyExact(ctx, r.Client, resourceQuotaName, s.namespace, desiredResourceQuota(r.Config, t, s.namespace), corev1ac.ExtractResourceQuota, resourceQuotaSpec); err != nil {
			return fmt.Errorf("applying ResourceQuota: %w", err)
		}
		if err := applyExact(ctx, r.Client, limitRangeName, s.namespace, desiredLimitRange(r.Config, t, s.namespace), corev1ac.ExtractLimitRange, limitRangeSpec); err != nil {
			return fmt.Errorf("applying LimitRange: %w", err)
		}
		return nil
	}()
	if err != nil {
		setCondition(&t.Status.Conditions, t.Generation, workspacesv1alpha1.ConditionIsolated, metav1.ConditionFalse, workspacesv1alpha1.ReasonNotIsolated, err.Error())
		return err
	}
	// What the operator applied is only half of isolation: the audit's checks see what else is in the
	// namespace (a NetworkPolicy admitting other tenants, a foreign RoleBinding, a privileged Pod). They read
	// the cache, which may not show yet what this pass wrote; the watch event of that write brings the next
	// pass, which checks (the requeue is a fallback).
	if wroteInPass(ctx) {
		setCondition(&t.Status.Conditions, t.Generation, workspacesv1alpha1.ConditionIsolated, metav1.ConditionUnknown, workspacesv1alpha1.ReasonVerifying,
			"workspace objects were just written; the isolation checks run once the operator's cache shows them")
		s.requeueAfter(verifyRecheck)
		return nil
	}
	var failed []string
	for _, res := range audit.CheckTenantReadOnly(ctx, r.Client, t.Name, s.namespace) {
		if !res.OK {
			failed = append(failed, res.ID+": "+res.Message)
		}
	}
	if len(failed) > 0 {
		msg := truncate(strings.Join(failed, "; "), maxFailureMessage)
		setCondition(&t.Status.Conditions, t.Generation, workspacesv1alpha1.ConditionIsolated, metav1.ConditionFalse, workspacesv1alpha1.ReasonNotIsolated, msg)
		// Someone else's object breaks isolation: a person must remove it. Its watch event brings the next pass;
		// the slow recheck is a fallback.
		s.notIsolated = &stalledError{Reason: workspacesv1alpha1.ReasonNotIsolated, Recheck: notIsolatedRecheck,
			Message: fmt.Sprintf("isolation does not hold: %s; remove or fix what the checks name", msg)}
		return nil
	}
	setCondition(&t.Status.Conditions, t.Generation, workspacesv1alpha1.ConditionIsolated, metav1.ConditionTrue, workspacesv1alpha1.ReasonIsolated,
		"default-deny NetworkPolicies, Pod Security restricted, ResourceQuota and LimitRange in place; isolation checks ISO-001..009 pass")
	return nil
}

// reconcileRoleBindings binds members to their tenant roles and removes bindings no role needs any more.
func (r *TenantReconciler) reconcileRoleBindings(ctx context.Context, s *tenantScope) error {
	t := s.tenant
	desired := desiredRoleBindings(t, s.namespace)
	for name, rb := range desired {
		if err := applyExact(ctx, r.Client, name, s.namespace, rb, rbacv1ac.ExtractRoleBinding, roleBindingSubjectsOf); err != nil {
			return fmt.Errorf("applying RoleBinding %s: %w", name, err)
		}
	}
	existing := &rbacv1.RoleBindingList{}
	if err := r.List(ctx, existing, client.InNamespace(s.namespace), client.MatchingLabels{
		workspacesv1alpha1.TenantLabel: t.Name, workspacesv1alpha1.ComponentLabel: componentRBAC,
	}); err != nil {
		return fmt.Errorf("listing RoleBindings: %w", err)
	}
	for i := range existing.Items {
		rb := &existing.Items[i]
		if _, keep := desired[rb.Name]; keep {
			continue
		}
		logf.FromContext(ctx).Info("removing a member's access", "tenant", t.Name, "namespace", s.namespace, "roleBinding", rb.Name,
			"reason", "no member of the Tenant's current spec and lifecycle needs it")
		if err := r.Delete(ctx, rb); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("removing RoleBinding %s: %w", rb.Name, err)
		}
	}
	return nil
}

// reconcileHMACKey creates the tenant's HMAC key once. An existing key is never replaced; only its labels are
// restored if someone removed them.
func (r *TenantReconciler) reconcileHMACKey(ctx context.Context, s *tenantScope) error {
	t := s.tenant
	key := client.ObjectKey{Name: contract.HMACKeySecret, Namespace: s.namespace}
	secret := &corev1.Secret{}
	err := r.Get(ctx, key, secret)
	if apierrors.IsNotFound(err) {
		err = r.APIReader.Get(ctx, key, secret)
	}
	switch {
	case apierrors.IsNotFound(err):
		raw := make([]byte, hmacKeyBytes)
		if _, err := rand.Read(raw); err != nil {
			return fmt.Errorf("generating HMAC key: %w", err)
		}
		if err := r.Create(ctx, desiredHMACKey(t, s.namespace, raw), client.FieldOwner(FieldOwner)); client.IgnoreAlreadyExists(err) != nil {
			return fmt.Errorf("creating HMAC key Secret: %w", err)
		}
		r.Recorder.Eventf(t, nil, corev1.EventTypeNormal, workspacesv1alpha1.ReasonHMACKeyCreated, "Reconcile",
			"created HMAC key Secret %s/%s for pseudonymizing subject identifiers", s.namespace, contract.HMACKeySecret)
		return nil
	case err != nil:
		return fmt.Errorf("reading HMAC key Secret: %w", err)
	}
	want := tenantLabels(t.Name, componentHMACKey)
	missing := false
	for k, v := range want {
		if secret.Labels[k] != v {
			missing = true
		}
	}
	if !missing {
		return nil
	}
	base := secret.DeepCopy()
	if secret.Labels == nil {
		secret.Labels = map[string]string{}
	}
	for k, v := range want {
		secret.Labels[k] = v
	}
	return r.Patch(ctx, secret, client.MergeFrom(base), client.FieldOwner(FieldOwner))
}

// reconcileSecretStore stamps the tenant's SecretStore from the configured template, scoped to the tenant's
// own path of the secret backend, and mirrors the store's Ready condition into SecretStoreReady.
func (r *TenantReconciler) reconcileSecretStore(ctx context.Context, s *tenantScope) error {
	t := s.tenant
	tmpl := r.Config.SecretStore
	if tmpl == nil {
		setCondition(&t.Status.Conditions, t.Generation, workspacesv1alpha1.ConditionSecretStoreReady, metav1.ConditionFalse, workspacesv1alpha1.ReasonStoreNotConfigured,
			"the operator configuration has no secretStore template, so Integrations cannot get credentials")
		return nil
	}
	spec, prefix := tmpl.Stamp(t.Name)
	if err := r.reconcileDatabaseCredentials(ctx, s, prefix); err != nil {
		return err
	}
	desired, err := eso.Object(eso.SecretStoreGVK, metav1.ObjectMeta{
		Name: tmpl.Name, Namespace: s.namespace, Labels: tenantLabels(t.Name, componentSecretStore),
	}, spec)
	if err != nil {
		return err
	}
	live, err := applyUnstructured(ctx, r.Client, desired)
	if err != nil {
		return fmt.Errorf("applying SecretStore %s: %w", tmpl.Name, err)
	}
	status, reason, msg := metav1.ConditionUnknown, workspacesv1alpha1.ReasonStorePending, "waiting for the External Secrets Operator to validate the store"
	if c := eso.Ready(live); c != nil {
		status, reason, msg = metav1.ConditionStatus(c.Status), c.Reason, c.Message
		if reason == "" {
			reason = workspacesv1alpha1.ReasonStorePending
		}
	}
	setCondition(&t.Status.Conditions, t.Generation, workspacesv1alpha1.ConditionSecretStoreReady, status, reason, msg)
	return nil
}

// setStatus writes phase and the summary conditions from the pass's outcome, with a Warning event when the
// tenant newly stalls.
func (r *TenantReconciler) setStatus(s *tenantScope, err error) {
	t := s.tenant
	prevStalled := stalledMessage(t.Status.Conditions)
	t.Status.Phase = tenantPhase(t, r.Now())
	if t.DeletionTimestamp.IsZero() {
		meta.RemoveStatusCondition(&t.Status.Conditions, workspacesv1alpha1.ConditionDeletionBlocked)
	}
	o := outcome{err: err, readyReason: s.readyReason, readyMessage: s.readyMessage}
	if o.readyMessage == "" {
		o.readyMessage = tenantReadyMessage(t)
	}
	summarize(&t.Status.Conditions, &t.Status.ObservedGeneration, t.Generation, o)
	warnNewlyStalled(r.Recorder, t, prevStalled, err)
}

// SetupWithManager registers the controller: Tenants drive it, and every managed child maps back to its
// Tenant by label, so an edited or deleted child is put back.
func (r *TenantReconciler) SetupWithManager(mgr ctrl.Manager, opts controller.Options) error {
	if r.Now == nil {
		r.Now = time.Now
	}
	r.Client = newOperatorClient(r.Client, r.APIReader)
	b := ctrl.NewControllerManagedBy(mgr).
		For(&workspacesv1alpha1.Tenant{}, builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		WithOptions(opts).
		Named("tenant")
	for _, obj := range []client.Object{
		&corev1.Namespace{}, &corev1.Secret{}, &corev1.ServiceAccount{}, &corev1.ConfigMap{}, &batchv1.CronJob{}, &batchv1.Job{},
		eso.New(eso.SecretStoreGVK),
	} {
		b = b.Watches(obj, handler.EnqueueRequestsFromMapFunc(requestForTenantLabel))
	}
	// Kinds the isolation checks look at, cached whoever made them: anything in a tenant's namespace
	// re-checks that tenant at once.
	for _, obj := range []client.Object{
		&networkingv1.NetworkPolicy{}, &corev1.ResourceQuota{}, &corev1.LimitRange{}, &rbacv1.RoleBinding{},
		eso.New(eso.ExternalSecretGVK),
	} {
		b = b.Watches(obj, handler.EnqueueRequestsFromMapFunc(r.requestForWorkspaceObject))
	}
	// Pods: those of others, when what the privilege check reads of them changes (the cache keeps only that).
	b = b.Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(r.requestForWorkspaceObject), builder.WithPredicates(foreignPodChecked))
	return b.Complete(r)
}

// foreignPodChecked passes the events of Pods the operator did not make that can change the privilege check's
// verdict: one appears or goes, or its phase or checked fields change (a Pod's status changes often; those
// updates are dropped here).
var foreignPodChecked = predicate.Funcs{
	CreateFunc:  func(e event.CreateEvent) bool { return !managedByOperator(e.Object) },
	DeleteFunc:  func(e event.DeleteEvent) bool { return !managedByOperator(e.Object) },
	GenericFunc: func(event.GenericEvent) bool { return false },
	UpdateFunc: func(e event.UpdateEvent) bool {
		old, oldOK := e.ObjectOld.(*corev1.Pod)
		pod, ok := e.ObjectNew.(*corev1.Pod)
		return ok && oldOK && !managedByOperator(pod) &&
			(old.Status.Phase != pod.Status.Phase || !equality.Semantic.DeepEqual(old.Spec, pod.Spec))
	},
}

// requestForWorkspaceObject maps an object the operator manages by its tenant label, and any other object
// by the tenant whose namespace it is in.
func (r *TenantReconciler) requestForWorkspaceObject(ctx context.Context, obj client.Object) []reconcile.Request {
	if managedByOperator(obj) {
		return requestForTenantLabel(ctx, obj)
	}
	ns := &corev1.Namespace{}
	if obj.GetNamespace() == "" || r.Get(ctx, client.ObjectKey{Name: obj.GetNamespace()}, ns) != nil {
		return nil
	}
	return requestForTenantLabel(ctx, ns)
}

func tenantStatus(t *workspacesv1alpha1.Tenant) any { return t.Status }
