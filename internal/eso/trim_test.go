package eso

import (
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestTrimForCacheKeepsWhatTheOperatorReads(t *testing.T) {
	store := map[string]any{"kind": "SecretStore", "name": "tenant-store"}
	for _, tc := range []struct {
		name       string
		kind       string
		spec       any
		status     map[string]any
		wantSpec   any
		wantStatus any
	}{{
		name: "ExternalSecret: store references in place, conditions without times",
		kind: "ExternalSecret",
		spec: map[string]any{
			"secretStoreRef":  store,
			"refreshInterval": "1h",
			"target":          map[string]any{"name": "creds", "creationPolicy": "Owner"},
			"data": []any{
				map[string]any{"secretKey": "token", "remoteRef": map[string]any{"key": "tenants/a/shop"}},
				map[string]any{"secretKey": "other", "remoteRef": map[string]any{"key": "x"}, "sourceRef": map[string]any{"storeRef": store}},
			},
			"dataFrom": []any{map[string]any{"sourceRef": map[string]any{"generatorRef": map[string]any{"kind": "Password"}}}},
		},
		status: map[string]any{
			"refreshTime": "2026-12-02T00:00:00Z", "binding": map[string]any{"name": "creds"},
			"conditions": []any{map[string]any{"type": "Ready", "status": "True", "reason": "SecretSynced", "message": "ok", "lastTransitionTime": "2026-12-02T00:00:00Z"}},
		},
		wantSpec: map[string]any{
			"secretStoreRef": store,
			"data":           []any{map[string]any{}, map[string]any{"sourceRef": map[string]any{"storeRef": store}}},
			"dataFrom":       []any{map[string]any{"sourceRef": map[string]any{"generatorRef": map[string]any{"kind": "Password"}}}},
		},
		wantStatus: map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": "True", "reason": "SecretSynced", "message": "ok"}}},
	}, {
		name:       "SecretStore: no spec, conditions only",
		kind:       "SecretStore",
		spec:       map[string]any{"provider": map[string]any{"fake": map[string]any{}}},
		status:     map[string]any{"capabilities": "ReadWrite", "conditions": []any{map[string]any{"type": "Ready", "status": "False"}}},
		wantStatus: map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": "False"}}},
	}, {
		name:       "PushSecret: which credentials it pushed stays",
		kind:       "PushSecret",
		spec:       map[string]any{"refreshInterval": "1h"},
		status:     map[string]any{"syncedResourceVersion": "12-abc", "syncedPushSecrets": map[string]any{"x": "y"}},
		wantStatus: map[string]any{"syncedResourceVersion": "12-abc"},
	}, {
		name: "SecretStore without status yet",
		kind: "SecretStore",
		spec: map[string]any{"provider": map[string]any{}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			u := &unstructured.Unstructured{Object: map[string]any{"kind": tc.kind, "metadata": map[string]any{"name": "n", "labels": map[string]any{"a": "b"}}, "spec": tc.spec}}
			if tc.status != nil {
				u.Object["status"] = tc.status
			}
			TrimForCache(u)
			if got := u.Object["spec"]; !reflect.DeepEqual(got, tc.wantSpec) {
				t.Errorf("spec = %v, want %v", got, tc.wantSpec)
			}
			if got := u.Object["status"]; !reflect.DeepEqual(got, tc.wantStatus) {
				t.Errorf("status = %v, want %v", got, tc.wantStatus)
			}
			if u.GetName() != "n" || u.GetLabels()["a"] != "b" {
				t.Errorf("metadata changed: %v", u.Object["metadata"])
			}
		})
	}
}

func TestTrimForCacheLeavesOtherKindsAlone(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{"kind": "ClusterSecretStore", "spec": map[string]any{"a": "b"}}}
	TrimForCache(u)
	if u.Object["spec"] == nil {
		t.Fatal("spec of a kind the operator does not cache was removed")
	}
}
