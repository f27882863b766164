package controllers

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

// listReader serves lists from memory as the cache does with UnsafeDisableDeepCopy: the items' structs copied
// into the list, nothing below them.
type listReader struct {
	client.Reader
	tenants      []workspacesv1alpha1.Tenant
	integrations []workspacesv1alpha1.Integration
	cronJobs     []batchv1.CronJob
}

func (r *listReader) List(_ context.Context, list client.ObjectList, _ ...client.ListOption) error {
	switch l := list.(type) {
	case *workspacesv1alpha1.TenantList:
		l.Items = append(l.Items[:0], r.tenants...)
	case *workspacesv1alpha1.IntegrationList:
		l.Items = append(l.Items[:0], r.integrations...)
	case *batchv1.CronJobList:
		l.Items = append(l.Items[:0], r.cronJobs...)
	}
	return nil
}

// BenchmarkMetricsScrape is one scrape of the workspace metrics over 10,000 tenants, each with one Integration
// and a retention CronJob that has run: the collector and the registry's gathering, as the metrics endpoint
// does them.
func BenchmarkMetricsScrape(b *testing.B) {
	const n = 10000
	now := time.Now()
	r := &listReader{}
	for i := range n {
		name := fmt.Sprintf("t-%05d", i)
		r.tenants = append(r.tenants, workspacesv1alpha1.Tenant{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Status: workspacesv1alpha1.TenantStatus{Conditions: []metav1.Condition{
				{Type: workspacesv1alpha1.ConditionReady, Status: metav1.ConditionTrue},
				{Type: workspacesv1alpha1.ConditionIsolated, Status: metav1.ConditionTrue},
			}},
		})
		exp := metav1.NewTime(now.Add(time.Hour))
		r.integrations = append(r.integrations, workspacesv1alpha1.Integration{
			ObjectMeta: metav1.ObjectMeta{Name: "tiktok-shop", Namespace: "tenant-" + name},
			Status:     workspacesv1alpha1.IntegrationStatus{TokenExpiresAt: &exp},
		})
		last := metav1.NewTime(now.Add(-time.Hour))
		r.cronJobs = append(r.cronJobs, batchv1.CronJob{
			ObjectMeta: metav1.ObjectMeta{Name: "retention", Namespace: "tenant-" + name,
				Labels: map[string]string{workspacesv1alpha1.TenantLabel: name}},
			Status: batchv1.CronJobStatus{LastSuccessfulTime: &last},
		})
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewMetrics(r, time.Now, "tenant-"))
	b.ReportAllocs()
	for b.Loop() {
		families, err := reg.Gather()
		if err != nil {
			b.Fatal(err)
		}
		if len(families) != 5 {
			b.Fatalf("got %d metric families, want 5", len(families))
		}
	}
}
