package controllers

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

// setCondition sets one condition, stamped with the object's generation. Its transition time changes only
// when its status does.
func setCondition(conds *[]metav1.Condition, generation int64, typ string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(conds, metav1.Condition{
		Type: typ, Status: status, Reason: reason, Message: message, ObservedGeneration: generation,
	})
}

// outcome is how a reconcile pass ended, as the summary conditions need it.
type outcome struct {
	// err is the pass's error: a stalledError for bad input, a waitError while waiting, anything else for a
	// transient failure.
	err error
	// readyReason and readyMessage describe a pass that finished; readyReason is Succeeded when empty.
	readyReason, readyMessage string
}

// summarize sets Ready, Reconciling and Stalled from a pass's outcome, kstatus style: Reconciling and Stalled
// are present only while true, and observedGeneration moves unless the pass failed.
func summarize(conds *[]metav1.Condition, observedGeneration *int64, generation int64, o outcome) {
	s, isStalled := asStalled(o.err)
	w, isWaiting := asWaiting(o.err)
	switch {
	case isStalled:
		setCondition(conds, generation, workspacesv1alpha1.ConditionStalled, metav1.ConditionTrue, s.Reason, s.Message)
		setCondition(conds, generation, workspacesv1alpha1.ConditionReady, metav1.ConditionFalse, s.Reason, s.Message)
		meta.RemoveStatusCondition(conds, workspacesv1alpha1.ConditionReconciling)
		*observedGeneration = generation
	case isWaiting:
		reason := w.Reason
		if reason == "" {
			reason = workspacesv1alpha1.ReasonProgressing
		}
		setCondition(conds, generation, workspacesv1alpha1.ConditionReconciling, metav1.ConditionTrue, reason, w.Message)
		setCondition(conds, generation, workspacesv1alpha1.ConditionReady, metav1.ConditionFalse, reason, w.Message)
		meta.RemoveStatusCondition(conds, workspacesv1alpha1.ConditionStalled)
		*observedGeneration = generation
	case o.err != nil:
		msg := o.err.Error()
		setCondition(conds, generation, workspacesv1alpha1.ConditionReconciling, metav1.ConditionTrue, workspacesv1alpha1.ReasonReconcileFailed, msg)
		setCondition(conds, generation, workspacesv1alpha1.ConditionReady, metav1.ConditionFalse, workspacesv1alpha1.ReasonReconcileFailed, msg)
		meta.RemoveStatusCondition(conds, workspacesv1alpha1.ConditionStalled)
	default:
		reason := o.readyReason
		if reason == "" {
			reason = workspacesv1alpha1.ReasonSucceeded
		}
		setCondition(conds, generation, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, reason, o.readyMessage)
		meta.RemoveStatusCondition(conds, workspacesv1alpha1.ConditionReconciling)
		meta.RemoveStatusCondition(conds, workspacesv1alpha1.ConditionStalled)
		*observedGeneration = generation
	}
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
