package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

// Condition reasons shared by the reconcilers.
const (
	ReasonSucceeded       = "Succeeded"
	ReasonProgressing     = "Progressing"
	ReasonReconcileFailed = "ReconcileFailed"
)

// stalledError is bad input: the reconciler cannot progress until a person changes something. It becomes
// Stalled=True with its reason and message, a Warning event, and no retry.
type stalledError struct {
	Reason  string
	Message string
}

func (e *stalledError) Error() string { return e.Message }

func stalled(reason, format string, args ...any) error {
	return &stalledError{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// asStalled returns the stalledError in err's chain, if any.
func asStalled(err error) (*stalledError, bool) {
	var s *stalledError
	ok := errors.As(err, &s)
	return s, ok
}

// setCondition sets one condition, stamped with the object's generation. Its transition time changes only
// when its status does.
func setCondition(conds *[]metav1.Condition, generation int64, typ string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(conds, metav1.Condition{
		Type: typ, Status: status, Reason: reason, Message: message, ObservedGeneration: generation,
	})
}

// outcome is how a reconcile pass ended, as the summary conditions need it.
type outcome struct {
	// err is the pass's error: a stalledError for bad input, anything else for a transient failure.
	err error
	// waiting, when not empty, says what the pass is waiting for (the resource is not yet ready).
	waiting string
	// readyMessage is the Ready message of a pass that finished.
	readyMessage string
	// readyReason is the Ready reason of a pass that finished; Succeeded when empty.
	readyReason string
}

// summarize sets Ready, Reconciling and Stalled from a pass's outcome, kstatus style: Reconciling and Stalled
// are present only while true, and observedGeneration moves only when a pass succeeded.
func summarize(conds *[]metav1.Condition, observedGeneration *int64, generation int64, o outcome) {
	switch s, isStalled := asStalled(o.err); {
	case isStalled:
		setCondition(conds, generation, workspacesv1alpha1.ConditionStalled, metav1.ConditionTrue, s.Reason, s.Message)
		setCondition(conds, generation, workspacesv1alpha1.ConditionReady, metav1.ConditionFalse, s.Reason, s.Message)
		meta.RemoveStatusCondition(conds, workspacesv1alpha1.ConditionReconciling)
		*observedGeneration = generation
	case o.err != nil:
		msg := o.err.Error()
		setCondition(conds, generation, workspacesv1alpha1.ConditionReconciling, metav1.ConditionTrue, ReasonReconcileFailed, msg)
		setCondition(conds, generation, workspacesv1alpha1.ConditionReady, metav1.ConditionFalse, ReasonReconcileFailed, msg)
		meta.RemoveStatusCondition(conds, workspacesv1alpha1.ConditionStalled)
	case o.waiting != "":
		setCondition(conds, generation, workspacesv1alpha1.ConditionReconciling, metav1.ConditionTrue, ReasonProgressing, o.waiting)
		setCondition(conds, generation, workspacesv1alpha1.ConditionReady, metav1.ConditionFalse, ReasonProgressing, o.waiting)
		meta.RemoveStatusCondition(conds, workspacesv1alpha1.ConditionStalled)
		*observedGeneration = generation
	default:
		reason := o.readyReason
		if reason == "" {
			reason = ReasonSucceeded
		}
		setCondition(conds, generation, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, reason, o.readyMessage)
		meta.RemoveStatusCondition(conds, workspacesv1alpha1.ConditionReconciling)
		meta.RemoveStatusCondition(conds, workspacesv1alpha1.ConditionStalled)
		*observedGeneration = generation
	}
}

// requeue collects the earliest time the steps of one pass asked to be woken at.
type requeue struct {
	result ctrl.Result
}

func (q *requeue) requeueAfter(d time.Duration) {
	if d <= 0 {
		d = time.Second
	}
	if q.result.RequeueAfter == 0 || d < q.result.RequeueAfter {
		q.result.RequeueAfter = d
	}
}

// patchStatus writes obj's status when it differs from base's, and only then: a pass that changed nothing
// sends nothing.
func patchStatus[T client.Object](ctx context.Context, c client.Client, base, obj T, status func(T) any) error {
	if equality.Semantic.DeepEqual(status(base), status(obj)) {
		return nil
	}
	return client.IgnoreNotFound(c.Status().Patch(ctx, obj, client.MergeFrom(base)))
}

// stalledMessage is the message of the Stalled condition, "" when there is none.
func stalledMessage(conds []metav1.Condition) string {
	if c := meta.FindStatusCondition(conds, workspacesv1alpha1.ConditionStalled); c != nil {
		return c.Message
	}
	return ""
}

// warnNewlyStalled emits a Warning event when err stalls obj with a message its status did not carry before
// the pass, so a stalled object rechecked later does not repeat the same event.
func warnNewlyStalled(rec recorder.EventRecorder, obj runtime.Object, before string, err error) {
	if st, ok := asStalled(err); ok && st.Message != before {
		rec.Eventf(obj, nil, corev1.EventTypeWarning, st.Reason, "Reconcile", st.Message)
	}
}
