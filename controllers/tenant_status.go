package controllers

import (
	"fmt"
	"time"

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

// tenantReadyMessage is the Ready message of a live tenant whose pass finished.
func tenantReadyMessage(t *workspacesv1alpha1.Tenant) string {
	if t.GetLifecycle() == workspacesv1alpha1.LifecycleSuspended {
		return fmt.Sprintf("suspended: workspace %s kept, members have read access only, no work runs", t.Status.Namespace)
	}
	return fmt.Sprintf("workspace %s is isolated and ready", t.Status.Namespace)
}
