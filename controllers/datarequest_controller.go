package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
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
	"github.com/alitok/workspace-operator/internal/contract"
	"github.com/alitok/workspace-operator/internal/worker"
)

// DataRequestFinalizer holds a DataRequest's deletion until a restriction it put in force is lifted and its
// export is removed.
const DataRequestFinalizer = "workspaces.alitok.ai/datarequest"

// stalledRecheck is how often a request stalled on a missing Tenant or subject Secret looks again: either may
// appear without the request changing.
const stalledRecheck = 5 * time.Minute

// DataRequestReconciler answers data-subject requests: it sets their deadlines, runs one worker Job per
// request (or puts a restriction in force), and records the result and its receipt.
type DataRequestReconciler struct {
	client.Client
	// APIReader reads the subject's Secret, which the cache does not hold.
	APIReader client.Reader
	Recorder  recorder.EventRecorder
	Config    *config.Config
	Now       func() time.Time
}

// +kubebuilder:rbac:groups=workspaces.alitok.ai,resources=datarequests,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=workspaces.alitok.ai,resources=datarequests/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=workspaces.alitok.ai,resources=datarequests/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=delete

// requestScope carries what the steps of one pass share.
type requestScope struct {
	dr        *workspacesv1alpha1.DataRequest
	tenant    *workspacesv1alpha1.Tenant
	namespace string
	region    string
	requeue
}

// Reconcile moves one DataRequest along and reports it in status.
func (r *DataRequestReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	dr := &workspacesv1alpha1.DataRequest{}
	if err := r.Get(ctx, req.NamespacedName, dr); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	p := newPatcher(r.Client, dr, requestStatus)
	defer p.done(ctx, dr, &result, &retErr)
	s := &requestScope{dr: dr}
	if !dr.DeletionTimestamp.IsZero() {
		if err := r.reconcileDelete(ctx, s); err != nil {
			return resultOf(s.requeue, err)
		}
		return ctrl.Result{}, p.removeFinalizer(ctx, dr, DataRequestFinalizer)
	}
	if err := p.addFinalizer(ctx, dr, DataRequestFinalizer); err != nil {
		return ctrl.Result{}, err
	}

	r.setDeadlines(s)
	prevStalled := stalledMessage(dr.Status.Conditions)
	err := r.reconcileRequest(ctx, s)
	r.setOverdue(s)
	r.setSummary(s, err)
	warnNewlyStalled(r.Recorder, dr, prevStalled, err)
	return resultOf(s.requeue, err)
}

// finished reports whether the request reached a final phase.
func finished(dr *workspacesv1alpha1.DataRequest) bool {
	switch dr.Status.Phase {
	case workspacesv1alpha1.RequestPhaseCompleted, workspacesv1alpha1.RequestPhaseBlocked,
		workspacesv1alpha1.RequestPhaseFailed, workspacesv1alpha1.RequestPhaseRejected:
		return true
	}
	return false
}

// setDeadlines records the acknowledgement and due dates from the jurisdiction, receipt and extension.
func (r *DataRequestReconciler) setDeadlines(s *requestScope) {
	d := DeadlinesOf(s.dr)
	s.dr.Status.AcknowledgeBy, s.dr.Status.DueAt, s.dr.Status.ExtendedDueAt = d.AcknowledgeBy, d.DueAt, d.ExtendedDueAt
}

// setOverdue sets Overdue, and asks to be woken at the due time rather than polling for it.
func (r *DataRequestReconciler) setOverdue(s *requestScope) {
	dr := s.dr
	due := dr.Status.DueAt.Time
	if dr.Status.ExtendedDueAt != nil {
		due = dr.Status.ExtendedDueAt.Time
	}
	now := r.Now()
	switch {
	case finished(dr) && dr.Status.Result != nil && dr.Status.Result.CompletedAt != nil && dr.Status.Result.CompletedAt.After(due):
		setCondition(&dr.Status.Conditions, dr.Generation, workspacesv1alpha1.ConditionOverdue, metav1.ConditionTrue, workspacesv1alpha1.ReasonOverdue,
			"answered after the due date "+due.Format(time.RFC3339))
	case finished(dr):
		setCondition(&dr.Status.Conditions, dr.Generation, workspacesv1alpha1.ConditionOverdue, metav1.ConditionFalse, workspacesv1alpha1.ReasonOnTime, "answered by the due date")
	case now.After(due):
		setCondition(&dr.Status.Conditions, dr.Generation, workspacesv1alpha1.ConditionOverdue, metav1.ConditionTrue, workspacesv1alpha1.ReasonOverdue,
			"not answered by the due date "+due.Format(time.RFC3339))
	default:
		setCondition(&dr.Status.Conditions, dr.Generation, workspacesv1alpha1.ConditionOverdue, metav1.ConditionFalse, workspacesv1alpha1.ReasonOnTime,
			"due "+due.Format(time.RFC3339))
		s.requeueAfter(due.Sub(now) + time.Second)
	}
}

// reconcileRequest runs the request to its end. A finished request only keeps its export's time to live.
func (r *DataRequestReconciler) reconcileRequest(ctx context.Context, s *requestScope) error {
	dr := s.dr
	if finished(dr) {
		if c := meta.FindStatusCondition(dr.Status.Conditions, workspacesv1alpha1.ConditionStalled); c != nil && c.Status == metav1.ConditionTrue {
			// A failed or rejected request stays so: say it again rather than report it Ready.
			return &stalledError{Reason: c.Reason, Message: c.Message}
		}
		return r.expireExport(ctx, s)
	}
	if dr.Status.Phase == "" {
		dr.Status.Phase = workspacesv1alpha1.RequestPhasePending
	}
	if err := r.resolveTenant(ctx, s); err != nil {
		return err
	}
	subject, err := r.readSubject(ctx, dr)
	if err != nil {
		return err
	}
	held := heldCategories(s.tenant, r.Now())
	switch dr.Spec.Type {
	case workspacesv1alpha1.RequestRestriction, workspacesv1alpha1.RequestObjection:
		return r.restrict(ctx, s, subject)
	case workspacesv1alpha1.RequestErasure:
		var open []workspacesv1alpha1.DataCategory
		for _, c := range targeted(dr.Spec.Scope) {
			if !slices.Contains(held, c) {
				open = append(open, c)
			}
		}
		if len(open) == 0 {
			dr.Status.Phase = workspacesv1alpha1.RequestPhaseBlocked
			msg := fmt.Sprintf("every targeted category (%s) is under a legal hold: nothing was erased; the request can be answered once the holds end",
				categoryList(targeted(dr.Spec.Scope)))
			setCondition(&dr.Status.Conditions, dr.Generation, workspacesv1alpha1.ConditionBlocked, metav1.ConditionTrue, workspacesv1alpha1.ReasonAllHeld, msg)
			now := metav1.NewTime(r.Now().UTC().Truncate(time.Second))
			dr.Status.Result = &workspacesv1alpha1.RequestResult{HeldCategories: targeted(dr.Spec.Scope), CompletedAt: &now}
			sum, err := receipt(dr.Status.Result)
			dr.Status.Result.ReceiptSHA256 = sum
			return err
		}
	case workspacesv1alpha1.RequestRectification:
		if len(subject[subjectCorrectionsKey]) == 0 {
			dr.Status.Phase = workspacesv1alpha1.RequestPhaseRejected
			return stalled(workspacesv1alpha1.ReasonNoCorrections, "the subject Secret has no %s key: a Rectification needs the corrections to apply", subjectCorrectionsKey)
		}
	}
	return r.runJob(ctx, s, subject, held)
}

// resolveTenant finds the request's Tenant and its live namespace.
func (r *DataRequestReconciler) resolveTenant(ctx context.Context, s *requestScope) error {
	t := &workspacesv1alpha1.Tenant{}
	if err := r.Get(ctx, client.ObjectKey{Name: s.dr.Spec.TenantRef.Name}, t); err != nil {
		if apierrors.IsNotFound(err) {
			return &stalledError{Reason: workspacesv1alpha1.ReasonTenantMissing, Recheck: stalledRecheck,
				Message: fmt.Sprintf("Tenant %q does not exist; check spec.tenantRef", s.dr.Spec.TenantRef.Name)}
		}
		return err
	}
	if c := t.Status.Closure; c != nil && c.PurgedAt != nil {
		return stalled(workspacesv1alpha1.ReasonTenantMissing, "Tenant %q was purged at %s: its data no longer exists", t.Name, c.PurgedAt.UTC().Format(time.RFC3339))
	}
	ns, err := namespaceName(r.Config, t.Name)
	if err != nil {
		return stalled(workspacesv1alpha1.ReasonTenantMissing, "%s", err)
	}
	region, err := residencyRegion(r.Config, t)
	if err != nil {
		return stalled(workspacesv1alpha1.ReasonTenantMissing, "Tenant %q: %s", t.Name, err)
	}
	s.tenant, s.namespace, s.region = t, ns, region
	return nil
}

// readSubject reads the subject's identifiers. They are never logged, evented or copied into status.
func (r *DataRequestReconciler) readSubject(ctx context.Context, dr *workspacesv1alpha1.DataRequest) (map[string][]byte, error) {
	ref := dr.Spec.Subject.SecretRef
	secret := &corev1.Secret{}
	if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, secret); err != nil {
		if apierrors.IsNotFound(err) {
			// It may be created after the request: look again, slowly.
			return nil, &stalledError{Reason: workspacesv1alpha1.ReasonSubjectMissing, Recheck: stalledRecheck,
				Message: fmt.Sprintf("subject Secret %s/%s does not exist", ref.Namespace, ref.Name)}
		}
		return nil, err
	}
	if len(strings.TrimSpace(string(secret.Data[subjectEmailKey]))) == 0 && len(strings.TrimSpace(string(secret.Data[subjectBuyerIDsKey]))) == 0 {
		dr.Status.Phase = workspacesv1alpha1.RequestPhaseRejected
		return nil, stalled(workspacesv1alpha1.ReasonNoIdentifiers, "subject Secret %s/%s has neither %q nor %q: there is no one to look for", ref.Namespace, ref.Name, subjectEmailKey, subjectBuyerIDsKey)
	}
	return secret.Data, nil
}

// restrict puts a Restriction or Objection in force: the subject's pseudonyms join the tenant's restriction
// list, which every sync reads, until the DataRequest is deleted.
func (r *DataRequestReconciler) restrict(ctx context.Context, s *requestScope, subject map[string][]byte) error {
	dr := s.dr
	key := &corev1.Secret{}
	if err := r.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: contract.HMACKeySecret}, key); err != nil {
		return fmt.Errorf("reading the tenant's HMAC key: %w", err)
	}
	pseudonyms := worker.PseudonymizeSubject(key.Data[contract.HMACKeyKey], string(subject[subjectEmailKey]), string(subject[subjectBuyerIDsKey]))
	entry, err := json.Marshal(pseudonyms)
	if err != nil {
		return err
	}
	patch, err := json.Marshal(map[string]any{"data": map[string]string{restrictionKey(dr.Name): string(entry)}})
	if err != nil {
		return err
	}
	cm := &corev1.ConfigMap{}
	cm.Name, cm.Namespace = contract.RestrictionListConfigMap, s.namespace
	if err := r.Patch(ctx, cm, client.RawPatch(types.MergePatchType, patch), client.FieldOwner(FieldOwner)); err != nil {
		return fmt.Errorf("adding to the restriction list: %w", err)
	}
	now := metav1.NewTime(r.Now().UTC().Truncate(time.Second))
	dr.Status.Phase = workspacesv1alpha1.RequestPhaseCompleted
	dr.Status.Result = &workspacesv1alpha1.RequestResult{CompletedAt: &now}
	sum, err := receipt(restrictReceipt{CompletedAt: now, DataRequest: dr.Name, RestrictedIdentifiers: len(pseudonyms),
		Task: "restrict", Tenant: s.tenant.Name})
	if err != nil {
		return err
	}
	dr.Status.Result.ReceiptSHA256 = sum
	r.Recorder.Eventf(dr, nil, corev1.EventTypeNormal, workspacesv1alpha1.ReasonRestrictionInForce, "Restrict",
		"restriction in force for %d identifier(s) in Tenant %s until this DataRequest is deleted", len(pseudonyms), s.tenant.Name)
	return nil
}

// restrictionKey is a request's key in the restriction list.
func restrictionKey(dr string) string { return requestObjectName(dr) + ".json" }

// runJob creates the request's Job once, with what it needs, and records its outcome when it ends.
func (r *DataRequestReconciler) runJob(ctx context.Context, s *requestScope, subject map[string][]byte, held []workspacesv1alpha1.DataCategory) error {
	dr := s.dr
	name := requestObjectName(dr.Name)
	job := &batchv1.Job{}
	err := r.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: name}, job)
	if apierrors.IsNotFound(err) {
		if len(dr.Status.Jobs) > 0 {
			// The Job ran and is gone (its time to live, or someone deleted it) before its result was read.
			dr.Status.Phase = workspacesv1alpha1.RequestPhaseFailed
			return stalled(workspacesv1alpha1.ReasonJobFailed, "Job %s/%s disappeared before its result was recorded; file a new DataRequest", s.namespace, name)
		}
		if err := r.createJob(ctx, s, subject, held); err != nil {
			return err
		}
		now := metav1.NewTime(r.Now().UTC().Truncate(time.Second))
		dr.Status.Jobs = []workspacesv1alpha1.JobRecord{{Name: name, Task: string(requestTask(dr.Spec.Type)), StartTime: &now}}
		dr.Status.Phase = workspacesv1alpha1.RequestPhaseRunning
		return waiting(0, workspacesv1alpha1.ReasonJobRunning, "Job %s is running", name)
	}
	if err != nil {
		return err
	}
	if len(dr.Status.Jobs) == 0 {
		// Created by an earlier pass whose status write was lost: adopt it rather than run a second.
		dr.Status.Jobs = []workspacesv1alpha1.JobRecord{{Name: name, Task: string(requestTask(dr.Spec.Type)), StartTime: job.Status.StartTime}}
	}
	dr.Status.Phase = workspacesv1alpha1.RequestPhaseRunning
	switch {
	case jobComplete(job):
		return r.recordResult(ctx, s, job, true)
	case jobFailed(job):
		return r.recordResult(ctx, s, job, false)
	}
	return waiting(0, workspacesv1alpha1.ReasonJobRunning, "Job %s is running", name)
}

func (r *DataRequestReconciler) createJob(ctx context.Context, s *requestScope, subject map[string][]byte, held []workspacesv1alpha1.DataCategory) error {
	dr, tenant := s.dr, s.tenant.Name
	copyOf := &corev1.Secret{Type: corev1.SecretTypeOpaque, Data: map[string][]byte{}}
	copyOf.Name, copyOf.Namespace, copyOf.Labels = subjectCopyName(dr.Name), s.namespace, requestLabels(tenant, dr.Name)
	for _, k := range []string{subjectEmailKey, subjectBuyerIDsKey, subjectCorrectionsKey} {
		if v, ok := subject[k]; ok {
			copyOf.Data[k] = v
		}
	}
	if err := r.Create(ctx, copyOf, client.FieldOwner(FieldOwner)); client.IgnoreAlreadyExists(err) != nil {
		return fmt.Errorf("handing the subject to the Job: %w", err)
	}
	sa := requestServiceAccount(dr, tenant, s.namespace)
	if dr.Spec.Type == workspacesv1alpha1.RequestAccess {
		if err := r.Create(ctx, exportSecret(r.Config, dr, tenant), client.FieldOwner(FieldOwner)); client.IgnoreAlreadyExists(err) != nil {
			return fmt.Errorf("creating the export Secret: %w", err)
		}
		if err := r.Apply(ctx, exportWriterRole(r.Config, dr, tenant), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
			return fmt.Errorf("granting the export: %w", err)
		}
		if err := r.Apply(ctx, exportWriterBinding(r.Config, dr, tenant, s.namespace), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
			return fmt.Errorf("granting the export: %w", err)
		}
	}
	if err := r.Apply(ctx, sa, client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		return fmt.Errorf("creating the Job's ServiceAccount: %w", err)
	}
	job, err := requestJob(r.Config, dr, tenant, s.namespace, s.region, held)
	if err != nil {
		return err
	}
	// Create, not apply: a second pass that missed the first one's status must fail here, not rewrite a Job.
	obj := &batchv1.Job{}
	raw, err := json.Marshal(job)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, obj); err != nil {
		return err
	}
	logf.FromContext(ctx).Info("starting the request's Job", "dataRequest", dr.Name, "type", dr.Spec.Type, "job", obj.Name, "namespace", obj.Namespace)
	if err := r.Create(ctx, obj, client.FieldOwner(FieldOwner)); client.IgnoreAlreadyExists(err) != nil {
		return fmt.Errorf("creating Job: %w", err)
	}
	return nil
}

// recordResult reads the finished Job's result from its Pod's termination message into status, with a
// SHA-256 receipt of the message, and removes the subject's copy.
func (r *DataRequestReconciler) recordResult(ctx context.Context, s *requestScope, job *batchv1.Job, succeeded bool) error {
	dr := s.dr
	message, err := terminationMessage(ctx, r.Client, job)
	if err != nil {
		return err
	}
	rec := &dr.Status.Jobs[0]
	rec.Succeeded = &succeeded
	rec.CompletionTime = job.Status.CompletionTime
	if rec.CompletionTime == nil {
		now := metav1.NewTime(r.Now().UTC().Truncate(time.Second))
		rec.CompletionTime = &now
	}
	res := &workspacesv1alpha1.RequestResult{CompletedAt: rec.CompletionTime}
	res.ReceiptSHA256 = JobReceipt(message)
	var wr contract.Result
	parseErr := json.Unmarshal([]byte(message), &wr)
	res.RecordsFound = wr.Totals["found"] + wr.Totals["records"]
	res.RecordsErased = wr.Totals["erased"]
	res.RecordsAnonymized = wr.Totals["anonymized"]
	res.RecordsCorrected = wr.Totals["corrected"]
	for _, h := range wr.Held {
		res.HeldCategories = append(res.HeldCategories, workspacesv1alpha1.DataCategory(h))
	}
	if dr.Spec.Type == workspacesv1alpha1.RequestAccess && succeeded {
		res.ExportSecret = r.Config.Privacy.ExportNamespace + "/" + exportSecretName(dr.Name)
	}
	dr.Status.Result = res

	if err := r.Delete(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: subjectCopyName(dr.Name), Namespace: s.namespace}}); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("removing the subject's copy: %w", err)
	}
	switch {
	case !succeeded || parseErr != nil || !wr.OK:
		dr.Status.Phase = workspacesv1alpha1.RequestPhaseFailed
		reason := wr.Error
		switch {
		case reason != "":
		case message != "":
			reason = "the Job left no readable result"
		default:
			// The Pod was killed or evicted before it could report: say what the cluster saw.
			if reason, err = jobFailure(ctx, r.Client, job); err != nil {
				return err
			}
		}
		return stalled(workspacesv1alpha1.ReasonJobFailed, "Job %s/%s failed: %s; file a new DataRequest once the cause is fixed", job.Namespace, job.Name, truncate(reason, maxFailureMessage))
	case len(res.HeldCategories) > 0:
		dr.Status.Phase = workspacesv1alpha1.RequestPhaseCompleted
		setCondition(&dr.Status.Conditions, dr.Generation, workspacesv1alpha1.ConditionBlocked, metav1.ConditionTrue, workspacesv1alpha1.ReasonPartiallyHeld,
			"legal holds kept these categories from the request: "+categoryList(res.HeldCategories))
	default:
		dr.Status.Phase = workspacesv1alpha1.RequestPhaseCompleted
		setCondition(&dr.Status.Conditions, dr.Generation, workspacesv1alpha1.ConditionBlocked, metav1.ConditionFalse, workspacesv1alpha1.ReasonNotHeld, "no legal hold applied")
	}
	r.Recorder.Eventf(dr, nil, corev1.EventTypeNormal, workspacesv1alpha1.ReasonCompleted, "Complete", "%s request answered; receipt sha256 %s", dr.Spec.Type, res.ReceiptSHA256)
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// restrictReceipt is what the receipt of a Restriction or Objection is the SHA-256 of; its fields in JSON key
// order.
type restrictReceipt struct {
	CompletedAt           metav1.Time `json:"completedAt"`
	DataRequest           string      `json:"dataRequest"`
	RestrictedIdentifiers int         `json:"restrictedIdentifiers"`
	Task                  string      `json:"task"`
	Tenant                string      `json:"tenant"`
}

// receipt is the SHA-256 of a value's JSON form: a result or a restriction's record.
func receipt[T *workspacesv1alpha1.RequestResult | restrictReceipt](v T) (string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("computing the receipt: %w", err)
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:]), nil
}

// expireExport deletes an Access export once its time to live has passed.
func (r *DataRequestReconciler) expireExport(ctx context.Context, s *requestScope) error {
	dr := s.dr
	res := dr.Status.Result
	if dr.Spec.Type != workspacesv1alpha1.RequestAccess || res == nil || res.ExportSecret == "" || res.CompletedAt == nil {
		return nil
	}
	expires := res.CompletedAt.Add(r.Config.Privacy.ExportTTL.Duration)
	if now := r.Now(); now.Before(expires) {
		s.requeueAfter(expires.Sub(now) + time.Second)
		return nil
	}
	logf.FromContext(ctx).Info("deleting an Access export", "dataRequest", dr.Name, "secret", res.ExportSecret, "reason", "its time to live has passed")
	if err := r.removeExport(ctx, dr); err != nil {
		return err
	}
	res.ExportSecret = ""
	r.Recorder.Eventf(dr, nil, corev1.EventTypeNormal, workspacesv1alpha1.ReasonExportExpired, "Expire", "export deleted after its time to live (%s)", r.Config.Privacy.ExportTTL.Duration)
	return nil
}

// removeExport deletes the export Secret and the Role that let the Job write it.
func (r *DataRequestReconciler) removeExport(ctx context.Context, dr *workspacesv1alpha1.DataRequest) error {
	ns, name := r.Config.Privacy.ExportNamespace, exportSecretName(dr.Name)
	var errs []error
	for _, obj := range []client.Object{&corev1.Secret{}, &rbacv1.RoleBinding{}, &rbacv1.Role{}} {
		obj.SetName(name)
		obj.SetNamespace(ns)
		if err := r.Delete(ctx, obj); client.IgnoreNotFound(err) != nil {
			errs = append(errs, err)
		}
	}
	return kerrors.NewAggregate(errs)
}

// reconcileDelete lifts a restriction the request put in force and removes its export, then lets it go.
func (r *DataRequestReconciler) reconcileDelete(ctx context.Context, s *requestScope) error {
	dr := s.dr
	if !controllerutil.ContainsFinalizer(dr, DataRequestFinalizer) {
		return nil
	}
	if dr.Spec.Type == workspacesv1alpha1.RequestRestriction || dr.Spec.Type == workspacesv1alpha1.RequestObjection {
		if ns, err := namespaceName(r.Config, dr.Spec.TenantRef.Name); err == nil {
			logf.FromContext(ctx).Info("lifting a restriction", "dataRequest", dr.Name, "namespace", ns, "reason", "the DataRequest was deleted")
			patch := []byte(fmt.Sprintf(`{"data":{%q:null}}`, restrictionKey(dr.Name)))
			cm := &corev1.ConfigMap{}
			cm.Name, cm.Namespace = contract.RestrictionListConfigMap, ns
			if err := r.Patch(ctx, cm, client.RawPatch(types.MergePatchType, patch)); client.IgnoreNotFound(err) != nil {
				return fmt.Errorf("lifting the restriction: %w", err)
			}
		}
	}
	if err := r.removeExport(ctx, dr); err != nil {
		return err
	}
	base := dr.DeepCopy()
	controllerutil.RemoveFinalizer(dr, DataRequestFinalizer)
	return client.IgnoreNotFound(r.Patch(ctx, dr, client.MergeFrom(base)))
}

// setSummary sets Ready, Reconciling and Stalled from the pass.
func (r *DataRequestReconciler) setSummary(s *requestScope, err error) {
	dr := s.dr
	o := outcome{err: err}
	switch dr.Status.Phase {
	case workspacesv1alpha1.RequestPhaseCompleted:
		o.readyReason, o.readyMessage = workspacesv1alpha1.ReasonCompleted, string(dr.Spec.Type)+" request answered"
		if dr.Spec.Type == workspacesv1alpha1.RequestRestriction || dr.Spec.Type == workspacesv1alpha1.RequestObjection {
			o.readyReason, o.readyMessage = workspacesv1alpha1.ReasonRestrictionInForce, "in force until this DataRequest is deleted"
		}
	case workspacesv1alpha1.RequestPhaseBlocked:
		o.readyReason, o.readyMessage = workspacesv1alpha1.ReasonAllHeld, "blocked: every targeted category is under a legal hold"
	}
	if dr.Status.Phase != workspacesv1alpha1.RequestPhaseBlocked && meta.FindStatusCondition(dr.Status.Conditions, workspacesv1alpha1.ConditionBlocked) == nil && finished(dr) {
		setCondition(&dr.Status.Conditions, dr.Generation, workspacesv1alpha1.ConditionBlocked, metav1.ConditionFalse, workspacesv1alpha1.ReasonNotHeld, "no legal hold applied")
	}
	summarize(&dr.Status.Conditions, &dr.Status.ObservedGeneration, dr.Generation, o)
}

// SetupWithManager registers the controller: DataRequests drive it, their Jobs and Pods wake it, and a
// Tenant's change (a hold ending, a tenant appearing) reaches its requests.
func (r *DataRequestReconciler) SetupWithManager(mgr ctrl.Manager, opts controller.Options) error {
	if r.Now == nil {
		r.Now = time.Now
	}
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &workspacesv1alpha1.DataRequest{}, tenantRefIndex,
		func(o client.Object) []string {
			return []string{o.(*workspacesv1alpha1.DataRequest).Spec.TenantRef.Name}
		}); err != nil {
		return err
	}
	byLabel := handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
		if name := o.GetLabels()[DataRequestLabel]; name != "" {
			return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: name}}}
		}
		return nil
	})
	return ctrl.NewControllerManagedBy(mgr).
		For(&workspacesv1alpha1.DataRequest{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&batchv1.Job{}, byLabel).
		Watches(&corev1.Pod{}, byLabel).
		Watches(&workspacesv1alpha1.Tenant{}, handler.EnqueueRequestsFromMapFunc(r.requestsOfTenant)).
		WithOptions(opts).
		Named("datarequest").
		Complete(r)
}

const tenantRefIndex = "spec.tenantRef.name"

func (r *DataRequestReconciler) requestsOfTenant(ctx context.Context, o client.Object) []reconcile.Request {
	list := &workspacesv1alpha1.DataRequestList{}
	if err := r.List(ctx, list, client.MatchingFields{tenantRefIndex: o.GetName()}); err != nil {
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for _, dr := range list.Items {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKey{Name: dr.Name}})
	}
	return out
}

func requestStatus(dr *workspacesv1alpha1.DataRequest) any { return dr.Status }
