package store

import (
	"context"
	"testing"
)

// Locate is the lookup a Restriction request runs: which records of the subject exist, without their content.
func TestLocate(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	tenant := newTenant(t, s)
	seed(t, s, tenant)

	t.Run("lists every record of the subject, orders with addresses also under shipping", func(t *testing.T) {
		refs, err := s.Locate(ctx, tenant, []string{alice}, Scope{})
		if err != nil {
			t.Fatal(err)
		}
		sameMap(t, "by category", CountByCategory(refs), map[string]int{CategoryOrders: 3, CategoryShipping: 4, CategorySupport: 1})
		want := RecordRef{Category: CategoryOrders, Table: "orders", Integration: aliexp, ExternalID: "o1"}
		if refs[0] != want {
			t.Errorf("first ref = %+v, want %+v", refs[0], want)
		}
	})

	tests := []struct {
		name  string
		scope Scope
		want  map[string]int
	}{
		{"scope to an integration", Scope{Integrations: []string{tiktok}}, map[string]int{CategoryOrders: 2, CategoryShipping: 2, CategorySupport: 1}},
		{"scope to shipping", Scope{Categories: []string{CategoryShipping}}, map[string]int{CategoryShipping: 4}},
		{"scope to an integration without the subject", Scope{Integrations: []string{"amazon"}}, map[string]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refs, err := s.Locate(ctx, tenant, []string{alice}, tt.scope)
			if err != nil {
				t.Fatal(err)
			}
			sameMap(t, "by category", CountByCategory(refs), tt.want)
		})
	}

	t.Run("an unknown subject has no records", func(t *testing.T) {
		refs, err := s.Locate(ctx, tenant, []string{Pseudonymize(testKey, KindEmail, "nobody@example.com")}, Scope{})
		if err != nil || len(refs) != 0 {
			t.Errorf("Locate = %v, %v", refs, err)
		}
	})
}
