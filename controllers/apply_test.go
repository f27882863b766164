package controllers

import (
	"encoding/json"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
