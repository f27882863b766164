package controllers

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

const waitTimeout = 30 * time.Second

// eventually polls check until it returns nil, and fails the test with its last error after timeout.
func eventually(t *testing.T, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %v", timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// consistently checks that check keeps returning nil for the whole duration.
func consistently(t *testing.T, d time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if err := check(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func newTenant(name string, mutate ...func(*workspacesv1alpha1.Tenant)) *workspacesv1alpha1.Tenant {
	t := &workspacesv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: name}}
	for _, m := range mutate {
		m(t)
	}
	return t
}

func createTenant(t *testing.T, tn *workspacesv1alpha1.Tenant) {
	t.Helper()
	if err := k8s.Create(context.Background(), tn); err != nil {
		t.Fatalf("creating Tenant %s: %v", tn.Name, err)
	}
}

func getTenant(t *testing.T, name string) *workspacesv1alpha1.Tenant {
	t.Helper()
	tn := &workspacesv1alpha1.Tenant{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Name: name}, tn); err != nil {
		t.Fatalf("reading Tenant %s: %v", name, err)
	}
	return tn
}

// updateTenant applies mutate to the latest Tenant, retrying on conflicts.
func updateTenant(t *testing.T, name string, mutate func(*workspacesv1alpha1.Tenant)) {
	t.Helper()
	eventually(t, waitTimeout, func() error {
		tn := &workspacesv1alpha1.Tenant{}
		if err := k8s.Get(context.Background(), client.ObjectKey{Name: name}, tn); err != nil {
			return err
		}
		mutate(tn)
		return k8s.Update(context.Background(), tn)
	})
}

// conditionIs checks one condition of the Tenant, at its current generation.
func conditionIs(name, typ string, status metav1.ConditionStatus, reason string) func() error {
	return func() error {
		tn := &workspacesv1alpha1.Tenant{}
		if err := k8s.Get(context.Background(), client.ObjectKey{Name: name}, tn); err != nil {
			return err
		}
		c := meta.FindStatusCondition(tn.Status.Conditions, typ)
		switch {
		case c == nil:
			return fmt.Errorf("Tenant %s has no %s condition yet (conditions: %+v)", name, typ, tn.Status.Conditions)
		case c.Status != status || (reason != "" && c.Reason != reason):
			return fmt.Errorf("Tenant %s: %s=%s (%s: %s), want %s (%s); lifecycle %s, phase %s, closure %+v, generation %d",
				name, typ, c.Status, c.Reason, c.Message, status, reason, tn.GetLifecycle(), tn.Status.Phase, tn.Status.Closure, tn.Generation)
		case c.ObservedGeneration != tn.Generation:
			return fmt.Errorf("Tenant %s: %s is for generation %d, not %d", name, typ, c.ObservedGeneration, tn.Generation)
		}
		return nil
	}
}

func waitReady(t *testing.T, name string) *workspacesv1alpha1.Tenant {
	t.Helper()
	eventually(t, waitTimeout, conditionIs(name, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, ""))
	return getTenant(t, name)
}

// exists returns nil when the object exists and is not being deleted.
func exists(obj client.Object, name, namespace string) func() error {
	return func() error {
		if err := k8s.Get(context.Background(), client.ObjectKey{Name: name, Namespace: namespace}, obj); err != nil {
			return err
		}
		if obj.GetDeletionTimestamp() != nil {
			return fmt.Errorf("%T %s/%s is being deleted", obj, namespace, name)
		}
		return nil
	}
}

// gone returns nil once the object does not exist.
func gone(obj client.Object, name, namespace string) func() error {
	return func() error {
		err := k8s.Get(context.Background(), client.ObjectKey{Name: name, Namespace: namespace}, obj)
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		return fmt.Errorf("%T %s/%s still exists (deletionTimestamp %v, finalizers %v)", obj, namespace, name, obj.GetDeletionTimestamp(), obj.GetFinalizers())
	}
}

// eventFor returns nil once an event with reason regarding the Tenant exists, and returns its note.
func eventFor(name, reason string, note *string) func() error {
	return func() error {
		list := &eventsv1.EventList{}
		if err := k8s.List(context.Background(), list); err != nil {
			return err
		}
		for _, e := range list.Items {
			if e.Regarding.Kind == "Tenant" && e.Regarding.Name == name && e.Reason == reason {
				if note != nil {
					*note = e.Note
				}
				return nil
			}
		}
		return fmt.Errorf("no %s event for Tenant %s", reason, name)
	}
}

// deleteTenantForTest releases a Tenant the test is done with: it is closed with purge confirmed, so the
// finalizer lets it go once its namespace is gone.
func cleanupTenant(t *testing.T, name string) {
	t.Helper()
	t.Cleanup(func() {
		ctx := context.Background()
		tn := &workspacesv1alpha1.Tenant{}
		if err := k8s.Get(ctx, client.ObjectKey{Name: name}, tn); err != nil {
			return
		}
		base := tn.DeepCopy()
		tn.Spec.Lifecycle = workspacesv1alpha1.LifecycleClosed
		if tn.Annotations == nil {
			tn.Annotations = map[string]string{}
		}
		tn.Annotations[workspacesv1alpha1.ConfirmPurgeAnnotation] = name
		_ = k8s.Patch(ctx, tn, client.MergeFrom(base))
		_ = k8s.Delete(ctx, tn)
		completePurge(t, namespaceOf(name))
	})
}

// completePurge plays the kubelet for a closing tenant's purge Job, whenever it comes: it succeeds. It returns
// once the Tenant is gone, or after waitTimeout.
func completePurge(t *testing.T, ns string) {
	t.Helper()
	tenant := strings.TrimPrefix(ns, opConfig.NamespacePrefix)
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		if err := gone(&workspacesv1alpha1.Tenant{}, tenant, "")(); err == nil {
			return
		}
		job := &batchv1.Job{}
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: tenantPurgeJobName}, job); err == nil && !jobComplete(job) {
			_ = finishPods(ns, tenantPurgeJobName, corev1.PodSucceeded, `{"task":"purge","ok":true}`)
		}
		if err := gone(nsObj(), ns, "")(); err == nil && getTenantPurged(tenant) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// getTenantPurged reports whether the Tenant recorded its purge (or is gone).
func getTenantPurged(name string) bool {
	tn := &workspacesv1alpha1.Tenant{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Name: name}, tn); err != nil {
		return true
	}
	return tn.Status.Closure != nil && tn.Status.Closure.PurgedAt != nil
}

func namespaceOf(name string) string { return opConfig.NamespacePrefix + name }

func nsObj() *corev1.Namespace { return &corev1.Namespace{} }

// gatherMetrics collects a collector's gauges by name (labels summed).
func gatherMetrics(t *testing.T, c prometheus.Collector) map[string]float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			out[f.GetName()] += m.GetGauge().GetValue()
		}
	}
	return out
}

// tenantGauge reads one tenant's series of a gauge from the operator's metrics.
func tenantGauge(t *testing.T, name, tenant string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	if err := reg.Register(NewMetrics(k8s, clock.Now, opConfig.NamespacePrefix)); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "tenant" && l.GetValue() == tenant {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{tenant=%q}", name, tenant)
	return 0
}
