package controllers

import (
	"context"
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The summary of other writers is the same whether read from an object as the API server returns it (an apply's
// answer) or as the cache keeps it (slimManagedFields), so an object checked once is not read again.
func TestOthersWritesIsTheSameInTheCacheAndInFull(t *testing.T) {
	at := metav1.NewTime(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	entry := func(manager string, op metav1.ManagedFieldsOperationType, subresource, fields string) metav1.ManagedFieldsEntry {
		return metav1.ManagedFieldsEntry{Manager: manager, Operation: op, Subresource: subresource, Time: &at,
			APIVersion: "batch/v1", FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(fields)}
	}
	ours := entry(FieldOwner, metav1.ManagedFieldsOperationApply, "", `{"f:spec":{"f:schedule":{}}}`)
	ourPatch := entry(FieldOwner, metav1.ManagedFieldsOperationUpdate, "", `{"f:spec":{"f:suspend":{}}}`)
	status := entry("kube-controller-manager", metav1.ManagedFieldsOperationUpdate, "status", `{"f:status":{}}`)
	edit := entry("kubectl-edit", metav1.ManagedFieldsOperationUpdate, "", `{"f:metadata":{"f:annotations":{"f:team":{}}}}`)

	if got := othersWrites([]metav1.ManagedFieldsEntry{ours, ourPatch, status}); got != "" {
		t.Errorf("the operator's own entries and a status writer count as others: %q", got)
	}
	full := []metav1.ManagedFieldsEntry{ours, status, edit}
	slim := slimManagedFields(full)
	if len(slim) != 1 || slim[0].Manager != "kubectl-edit" {
		t.Fatalf("the cache keeps %+v, want kubectl-edit's entry only", slim)
	}
	if othersWrites(full) == "" || othersWrites(full) != othersWrites(slim) || othersWrites(slim) != othersWrites(slimManagedFields(slim)) {
		t.Errorf("summaries differ: full %q, cached %q, trimmed twice %q", othersWrites(full), othersWrites(slim), othersWrites(slimManagedFields(slim)))
	}
	// What kubectl-edit owns changes within the same second: the summary changes too.
	edit2 := entry("kubectl-edit", metav1.ManagedFieldsOperationUpdate, "", `{"f:spec":{"f:schedule":{}}}`)
	if othersWrites([]metav1.ManagedFieldsEntry{edit}) == othersWrites([]metav1.ManagedFieldsEntry{edit2}) {
		t.Error("a different set of fields by the same writer at the same second gives the same summary")
	}
	if _, err := json.Marshal(slim[0]); err != nil {
		t.Errorf("a cached entry no longer marshals (a patch from a cached object would fail): %v", err)
	}
}

// An object the operator does not have yet is created plainly (cheaper for the API server than an apply); when
// what the operator wants of it changes later, what the create set and the operator no longer wants goes, as it
// would had the object been applied from the start — while what others wrote (a label added by hand) and what the
// operator patched outside its applies (the restriction list's entries, written by the DataRequest controller)
// stay.
func TestCreatedObjectsLoseWhatTheOperatorNoLongerWants(t *testing.T) {
	needsCluster(t)
	ctx := context.Background()
	ns := "created-then-changed"
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = k8s.Delete(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	})
	c := newOperatorClient(k8s, k8s)
	key := client.ObjectKey{Namespace: ns, Name: "restrictions"}
	desired := func(labels map[string]string) *corev1ac.ConfigMapApplyConfiguration {
		return corev1ac.ConfigMap(key.Name, key.Namespace).WithLabels(labels)
	}
	apply := func(labels map[string]string) {
		t.Helper()
		if err := applyCached[corev1.ConfigMap](ctx, c, key.Name, key.Namespace, desired(labels), corev1ac.ExtractConfigMap); err != nil {
			t.Fatal(err)
		}
	}
	get := func() *corev1.ConfigMap {
		t.Helper()
		cm := &corev1.ConfigMap{}
		if err := k8s.Get(ctx, key, cm); err != nil {
			t.Fatal(err)
		}
		return cm
	}
	managers := func(cm *corev1.ConfigMap) map[string]bool {
		m := map[string]bool{}
		for _, e := range cm.ManagedFields {
			m[e.Manager+"/"+string(e.Operation)] = true
		}
		return m
	}

	apply(map[string]string{"a": "1", "b": "2"})
	cm := get()
	if got := managers(cm); len(got) != 1 || !got[CreateFieldManager+"/Update"] {
		t.Errorf("a new object was not created plainly: its writers are %v, want only %s/Update", got, CreateFieldManager)
	}
	if !strings.HasSuffix(cm.Annotations[AppliedAnnotation], createdMark) {
		t.Errorf("the created object's %s does not say it was created: %v", AppliedAnnotation, cm.Annotations)
	}
	rv := cm.ResourceVersion
	apply(map[string]string{"a": "1", "b": "2"})
	if get().ResourceVersion != rv {
		t.Error("applying the same configuration to the created object wrote it again")
	}
	// A pass whose cache does not show the object yet creates it, finds it exists, and reads it: no write.
	if applied, err := applyIfChanged(ctx, c, (*corev1.ConfigMap)(nil), desired(map[string]string{"a": "1", "b": "2"}), corev1ac.ExtractConfigMap); err != nil || applied {
		t.Errorf("applying over a cache that does not show the object yet: wrote %v, error %v; want no write", applied, err)
	}
	if get().ResourceVersion != rv {
		t.Error("applying over a cache that does not show the object yet wrote it")
	}

	// The DataRequest controller's entry, and a label someone adds by hand.
	if err := c.Patch(ctx, get(), client.RawPatch(types.MergePatchType, []byte(`{"data":{"subject-1":"restricted"}}`)), client.FieldOwner(FieldOwner)); err != nil {
		t.Fatal(err)
	}
	cm = get()
	cm.Labels["team"] = "privacy"
	if err := k8s.Update(ctx, cm, client.FieldOwner("kubectl-edit")); err != nil {
		t.Fatal(err)
	}

	// As if an earlier pass had handed the create's fields over and then failed to apply: the mark stays, and the
	// next apply still removes what the operator no longer wants.
	if err := handOverCreated(ctx, c, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": key.Name, "namespace": key.Namespace},
	}}); err != nil {
		t.Fatal(err)
	}
	for i, labels := range []map[string]string{
		{"a": "1", "c": "3"}, // b dropped, c added: the first change after the create
		{"a": "1"},           // c dropped: an object applied since
		{"a": "4", "d": "5"},
	} {
		apply(labels)
		cm = get()
		want := maps.Clone(labels)
		want["team"] = "privacy"
		if !maps.Equal(cm.Labels, want) {
			t.Errorf("change %d: labels %v, want %v (the operator's %v and the hand-added team)", i+1, cm.Labels, want, labels)
		}
		if cm.Data["subject-1"] != "restricted" {
			t.Errorf("change %d: the restriction entry the operator patched in is gone: %v", i+1, cm.Data)
		}
		if got := managers(cm); got[CreateFieldManager+"/Update"] || !got[FieldOwner+"/Apply"] {
			t.Errorf("change %d: writers %v, want the create's entry handed to %s/Apply", i+1, got, FieldOwner)
		}
		if strings.HasSuffix(cm.Annotations[AppliedAnnotation], createdMark) {
			t.Errorf("change %d: the object still reads as created and not applied since: %v", i+1, cm.Annotations)
		}
		rv = cm.ResourceVersion
		apply(labels)
		if get().ResourceVersion != rv {
			t.Errorf("change %d: applying the same configuration again wrote the object", i+1)
		}
	}
}
