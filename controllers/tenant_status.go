package controllers

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

// tenantPhase derives the phase from the lifecycle and the closure record.
func tenantPhase(t *workspacesv1alpha1.Tenant, now time.Time) workspacesv1alpha1.TenantPhase {
	switch t.GetLifecycle() {
	case workspacesv1alpha1.LifecycleSuspended:
		return workspacesv1alpha1.TenantPhaseSuspended
	case workspacesv1alpha1.LifecycleClosed:
		c := t.Status.Closure
		switch {
		case c != nil && c.PurgedAt != nil:
			return workspacesv1alpha1.TenantPhaseClosed
		case c != nil && c.PurgeAfter != nil && (!now.Before(c.PurgeAfter.Time) || t.PurgeConfirmed()):
			return workspacesv1alpha1.TenantPhasePurging
		default:
			return workspacesv1alpha1.TenantPhaseClosing
		}
	default:
		return workspacesv1alpha1.TenantPhaseActive
	}
}

// tenantReadyMessage is the Ready message of a live tenant whose pass finished. It claims isolation only
// when the Isolated condition does.
func tenantReadyMessage(t *workspacesv1alpha1.Tenant) string {
	var caveat string
	switch c := meta.FindStatusCondition(t.Status.Conditions, workspacesv1alpha1.ConditionIsolated); {
	case c == nil || c.Status == metav1.ConditionUnknown:
		caveat = "isolation checks not run yet (see the Isolated condition)"
	case c.Status == metav1.ConditionFalse:
		caveat = "isolation checks fail (see the Isolated condition)"
	}
	if t.GetLifecycle() == workspacesv1alpha1.LifecycleSuspended {
		msg := fmt.Sprintf("suspended: workspace %s kept, members have read access only, no work runs", t.Status.Namespace)
		if caveat != "" {
			msg += "; " + caveat
		}
		return msg
	}
	if caveat != "" {
		return fmt.Sprintf("workspace %s is ready, but %s", t.Status.Namespace, caveat)
	}
	return fmt.Sprintf("workspace %s is isolated and ready", t.Status.Namespace)
}
