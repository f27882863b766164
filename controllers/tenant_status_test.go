package controllers

import (
	"errors"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

func TestTenantPhaseFollowsLifecycleAndClosure(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *metav1.Time { return &metav1.Time{Time: now.Add(d)} }
	cases := []struct {
		name      string
		lifecycle workspacesv1alpha1.Lifecycle
		closure   *workspacesv1alpha1.ClosureStatus
		confirmed bool
		want      workspacesv1alpha1.TenantPhase
	}{
		{"unset lifecycle is Active", "", nil, false, workspacesv1alpha1.TenantPhaseActive},
		{"suspended", workspacesv1alpha1.LifecycleSuspended, nil, false, workspacesv1alpha1.TenantPhaseSuspended},
		{"closed, just seen", workspacesv1alpha1.LifecycleClosed, nil, false, workspacesv1alpha1.TenantPhaseClosing},
		{"closed, within grace", workspacesv1alpha1.LifecycleClosed, &workspacesv1alpha1.ClosureStatus{ClosedAt: at(-time.Hour), PurgeAfter: at(time.Hour)}, false, workspacesv1alpha1.TenantPhaseClosing},
		{"closed, purge confirmed", workspacesv1alpha1.LifecycleClosed, &workspacesv1alpha1.ClosureStatus{ClosedAt: at(-time.Hour), PurgeAfter: at(time.Hour)}, true, workspacesv1alpha1.TenantPhasePurging},
		{"closed, grace over", workspacesv1alpha1.LifecycleClosed, &workspacesv1alpha1.ClosureStatus{ClosedAt: at(-2 * time.Hour), PurgeAfter: at(0)}, false, workspacesv1alpha1.TenantPhasePurging},
		{"closed, purged", workspacesv1alpha1.LifecycleClosed, &workspacesv1alpha1.ClosureStatus{ClosedAt: at(-2 * time.Hour), PurgeAfter: at(-time.Hour), PurgedAt: at(-time.Minute)}, false, workspacesv1alpha1.TenantPhaseClosed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tn := newTenant("t", func(tn *workspacesv1alpha1.Tenant) {
				tn.Spec.Lifecycle = tc.lifecycle
				tn.Status.Closure = tc.closure
				if tc.confirmed {
					tn.Annotations = map[string]string{workspacesv1alpha1.ConfirmPurgeAnnotation: "t"}
				}
			})
			if got := tenantPhase(tn, now); got != tc.want {
				t.Errorf("phase = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestSummarizeSetsKstatusConditions(t *testing.T) {
	type want struct {
		ready, reconciling, stalled string // condition status, "" when absent
		readyReason                 string
		observedGeneration          int64
	}
	cases := []struct {
		name string
		o    outcome
		want want
	}{
		{"finished", outcome{readyMessage: "ok"}, want{"True", "", "", workspacesv1alpha1.ReasonSucceeded, 3}},
		{"finished with its own reason", outcome{readyReason: workspacesv1alpha1.ReasonClosed, readyMessage: "closed"}, want{"True", "", "", workspacesv1alpha1.ReasonClosed, 3}},
		{"bad input", outcome{err: stalled("RegionNotAllowed", "region x is not allowed")}, want{"False", "", "True", "RegionNotAllowed", 3}},
		{"transient failure keeps the last observed generation", outcome{err: errors.New("connection refused")}, want{"False", "True", "", workspacesv1alpha1.ReasonReconcileFailed, 2}},
		{"waiting", outcome{err: waiting(0, "", "namespace terminating")}, want{"False", "True", "", workspacesv1alpha1.ReasonProgressing, 3}},
		{"waiting with its own reason", outcome{err: waiting(time.Minute, workspacesv1alpha1.ReasonPurgeFailed, "retrying")}, want{"False", "True", "", workspacesv1alpha1.ReasonPurgeFailed, 3}},
	}
	status := func(conds []metav1.Condition, typ string) string {
		if c := meta.FindStatusCondition(conds, typ); c != nil {
			return string(c.Status)
		}
		return ""
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Start from a stalled, reconciling object: the summary must clear what no longer holds.
			conds := []metav1.Condition{
				{Type: workspacesv1alpha1.ConditionStalled, Status: metav1.ConditionTrue, Reason: "Old", LastTransitionTime: metav1.Now()},
				{Type: workspacesv1alpha1.ConditionReconciling, Status: metav1.ConditionTrue, Reason: "Old", LastTransitionTime: metav1.Now()},
			}
			observed := int64(2)
			summarize(&conds, &observed, 3, tc.o)
			got := want{
				ready: status(conds, workspacesv1alpha1.ConditionReady), reconciling: status(conds, workspacesv1alpha1.ConditionReconciling),
				stalled: status(conds, workspacesv1alpha1.ConditionStalled), observedGeneration: observed,
				readyReason: meta.FindStatusCondition(conds, workspacesv1alpha1.ConditionReady).Reason,
			}
			if tc.want.stalled == "" && tc.want.reconciling == "True" {
				// The old Stalled is gone, the Reconciling is the new one.
				if c := meta.FindStatusCondition(conds, workspacesv1alpha1.ConditionReconciling); c.Reason == "Old" {
					t.Errorf("Reconciling kept its old reason")
				}
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestSummarizeKeepsTransitionTimeWhenStatusHolds(t *testing.T) {
	var conds []metav1.Condition
	var observed int64
	summarize(&conds, &observed, 1, outcome{readyMessage: "ok"})
	first := meta.FindStatusCondition(conds, workspacesv1alpha1.ConditionReady).LastTransitionTime
	time.Sleep(1100 * time.Millisecond)
	summarize(&conds, &observed, 1, outcome{readyMessage: "ok"})
	if got := meta.FindStatusCondition(conds, workspacesv1alpha1.ConditionReady).LastTransitionTime; !got.Equal(&first) {
		t.Errorf("lastTransitionTime moved from %s to %s with no change: every pass would write status", first, got)
	}
}

func TestReadyMessageClaimsIsolationOnlyWhenIsolated(t *testing.T) {
	tn := newTenant("t")
	tn.Status.Namespace = "tenant-t"
	if got := tenantReadyMessage(tn); !strings.Contains(got, "isolation checks not run yet") {
		t.Errorf("no Isolated condition: message %q", got)
	}
	tn.Status.Conditions = []metav1.Condition{{Type: workspacesv1alpha1.ConditionIsolated, Status: metav1.ConditionUnknown}}
	if got := tenantReadyMessage(tn); !strings.Contains(got, "isolation checks not run yet") {
		t.Errorf("Isolated Unknown: message %q", got)
	}
	tn.Status.Conditions = []metav1.Condition{{Type: workspacesv1alpha1.ConditionIsolated, Status: metav1.ConditionFalse}}
	if got := tenantReadyMessage(tn); !strings.Contains(got, "isolation checks fail") {
		t.Errorf("Isolated False: message %q", got)
	}
	tn.Status.Conditions = []metav1.Condition{{Type: workspacesv1alpha1.ConditionIsolated, Status: metav1.ConditionTrue}}
	if got := tenantReadyMessage(tn); got != "workspace tenant-t is isolated and ready" {
		t.Errorf("isolated: message %q", got)
	}
	tn.Spec.Lifecycle = workspacesv1alpha1.LifecycleSuspended
	if got := tenantReadyMessage(tn); !strings.HasPrefix(got, "suspended:") || strings.Contains(got, "isolation checks fail") {
		t.Errorf("suspended and isolated: message %q", got)
	}
}
