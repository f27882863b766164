package eso

import "testing"

func TestContainsIgnoresFieldsOnlyTheServerAdded(t *testing.T) {
	live := map[string]any{
		"spec": map[string]any{"refreshInterval": "1h", "target": map[string]any{"name": "s", "creationPolicy": "Owner", "deletionPolicy": "Delete"}},
		"list": []any{map[string]any{"a": int64(1), "b": "x"}},
	}
	cases := []struct {
		name string
		want map[string]any
		ok   bool
	}{
		{"subset", map[string]any{"spec": map[string]any{"target": map[string]any{"name": "s"}}}, true},
		{"numbers of another type", map[string]any{"list": []any{map[string]any{"a": float64(1)}}}, true},
		{"changed value", map[string]any{"spec": map[string]any{"refreshInterval": "2h"}}, false},
		{"missing field", map[string]any{"spec": map[string]any{"dataFrom": []any{}}}, false},
		{"list of another length", map[string]any{"list": []any{}}, false},
	}
	for _, tc := range cases {
		if got := Contains(live, tc.want); got != tc.ok {
			t.Errorf("%s: Contains = %v, want %v", tc.name, got, tc.ok)
		}
	}
}
