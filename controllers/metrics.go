package controllers

import (
	"context"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

// Metrics reports the privacy team's figures on the manager's metrics endpoint. It reads the cache at
// scrape time, so the figures are never stale and no reconcile has to remember to update them.
type Metrics struct {
	reader          client.Reader
	now             func() time.Time
	namespacePrefix string

	requests, overdue, nextDeadline, lastRetention, tokenExpiry, tenantReady, tenantIsolated *prometheus.Desc
}

// NewMetrics returns the collector; register it with controller-runtime's metrics registry.
func NewMetrics(reader client.Reader, now func() time.Time, namespacePrefix string) *Metrics {
	return &Metrics{
		reader:          reader,
		now:             now,
		namespacePrefix: namespacePrefix,
		requests: prometheus.NewDesc("workspace_datarequests", "DataRequests by type and phase.",
			[]string{"type", "phase"}, nil),
		overdue: prometheus.NewDesc("workspace_datarequests_overdue", "Unfinished DataRequests past their due date.", nil, nil),
		nextDeadline: prometheus.NewDesc("workspace_datarequest_next_deadline_seconds",
			"Seconds until the nearest due date of an unfinished DataRequest (negative when past).", nil, nil),
		lastRetention: prometheus.NewDesc("workspace_tenant_retention_last_success_timestamp_seconds",
			"When each tenant's retention job last succeeded (Unix time).", []string{"tenant"}, nil),
		tokenExpiry: prometheus.NewDesc("workspace_integration_token_expiry_seconds",
			"Seconds until each Integration's platform access token expires (negative when expired), as its last sync reported.",
			[]string{"tenant", "integration"}, nil),
		tenantReady: prometheus.NewDesc("workspace_tenant_ready",
			"1 when the Tenant's Ready condition is True, else 0.", []string{"tenant"}, nil),
		tenantIsolated: prometheus.NewDesc("workspace_tenant_isolated",
			"1 when the Tenant's isolation checks pass (Isolated True), else 0 (broken, or not yet checked).", []string{"tenant"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.requests
	ch <- m.overdue
	ch <- m.nextDeadline
	ch <- m.lastRetention
	ch <- m.tokenExpiry
	ch <- m.tenantReady
	ch <- m.tenantIsolated
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Read-only: the cache's own objects, not copies (a scrape over thousands of tenants stays cheap).
	list := &workspacesv1alpha1.DataRequestList{}
	if err := m.reader.List(ctx, list, client.UnsafeDisableDeepCopy); err == nil {
		m.collectRequests(ch, list.Items)
	}
	cronJobs := &batchv1.CronJobList{}
	if err := m.reader.List(ctx, cronJobs, client.MatchingLabels{workspacesv1alpha1.ComponentLabel: componentRetention}, client.UnsafeDisableDeepCopy); err == nil {
		for _, cj := range cronJobs.Items {
			if t := cj.Status.LastSuccessfulTime; t != nil {
				ch <- prometheus.MustNewConstMetric(m.lastRetention, prometheus.GaugeValue, float64(t.Unix()), cj.Labels[workspacesv1alpha1.TenantLabel])
			}
		}
	}
	tenants := &workspacesv1alpha1.TenantList{}
	if err := m.reader.List(ctx, tenants, client.UnsafeDisableDeepCopy); err == nil {
		for _, t := range tenants.Items {
			ch <- prometheus.MustNewConstMetric(m.tenantReady, prometheus.GaugeValue, conditionValue(t.Status.Conditions, workspacesv1alpha1.ConditionReady), t.Name)
			ch <- prometheus.MustNewConstMetric(m.tenantIsolated, prometheus.GaugeValue, conditionValue(t.Status.Conditions, workspacesv1alpha1.ConditionIsolated), t.Name)
		}
	}
	integrations := &workspacesv1alpha1.IntegrationList{}
	if err := m.reader.List(ctx, integrations, client.UnsafeDisableDeepCopy); err == nil {
		now := m.now()
		for _, i := range integrations.Items {
			if t := i.Status.TokenExpiresAt; t != nil {
				tenant := strings.TrimPrefix(i.Namespace, m.namespacePrefix)
				ch <- prometheus.MustNewConstMetric(m.tokenExpiry, prometheus.GaugeValue, t.Sub(now).Seconds(), tenant, i.Name)
			}
		}
	}
}

func (m *Metrics) collectRequests(ch chan<- prometheus.Metric, items []workspacesv1alpha1.DataRequest) {
	type key struct{ typ, phase string }
	counts := map[key]int{}
	overdue := 0
	var nearest *time.Time
	now := m.now()
	for i := range items {
		dr := &items[i]
		phase := string(dr.Status.Phase)
		if phase == "" {
			phase = string(workspacesv1alpha1.RequestPhasePending)
		}
		counts[key{string(dr.Spec.Type), phase}]++
		if finished(dr) || dr.Status.DueAt == nil {
			continue
		}
		due := dr.Status.DueAt.Time
		if dr.Status.ExtendedDueAt != nil {
			due = dr.Status.ExtendedDueAt.Time
		}
		if now.After(due) {
			overdue++
		}
		if nearest == nil || due.Before(*nearest) {
			nearest = &due
		}
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(m.requests, prometheus.GaugeValue, float64(n), k.typ, k.phase)
	}
	ch <- prometheus.MustNewConstMetric(m.overdue, prometheus.GaugeValue, float64(overdue))
	if nearest != nil {
		ch <- prometheus.MustNewConstMetric(m.nextDeadline, prometheus.GaugeValue, nearest.Sub(now).Seconds())
	}
}

// conditionValue is 1 when the condition is True, else 0.
func conditionValue(conds []metav1.Condition, typ string) float64 {
	if meta.IsStatusConditionTrue(conds, typ) {
		return 1
	}
	return 0
}
