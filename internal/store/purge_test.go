package store

import (
	"context"
	"testing"
)

func TestPurge(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	type counts = map[string]DeleteCounts

	// otherIntegrationIntact checks that purging tiktok left aliexpress alone.
	otherIntegrationIntact := func(t *testing.T, tenant string) {
		t.Helper()
		for _, table := range []string{"products", "orders", "shipments"} {
			if n := count(t, s, tenant, table, "integration = $1", aliexp); n != 1 {
				t.Errorf("aliexpress %s = %d, want 1", table, n)
			}
		}
	}

	tests := []struct {
		name        string
		integration string
		held        map[string]bool
		want        counts
		wantSecond  counts
		wantDropped bool
		check       func(t *testing.T, tenant string)
	}{
		{
			name:        "one integration, nothing held: all its records go",
			integration: tiktok,
			want: counts{
				CategoryProducts: {Deleted: 2}, CategoryOrders: {Deleted: 3},
				CategoryShipping: {Deleted: 4}, CategorySupport: {Deleted: 2},
			},
			wantSecond: counts{},
			check: func(t *testing.T, tenant string) {
				for _, table := range []string{"products", "orders", "shipments", "returns"} {
					if n := count(t, s, tenant, table, "integration = $1", tiktok); n != 0 {
						t.Errorf("tiktok %s left: %d", table, n)
					}
				}
				otherIntegrationIntact(t, tenant)
			},
		},
		{
			name:        "one integration, orders held: orders kept, their addresses cleared",
			integration: tiktok,
			held:        map[string]bool{CategoryOrders: true},
			want: counts{
				CategoryProducts: {Deleted: 2}, CategoryOrders: {Held: 3},
				CategoryShipping: {Deleted: 4}, CategorySupport: {Deleted: 2},
			},
			wantSecond: counts{CategoryOrders: {Held: 3}},
			check: func(t *testing.T, tenant string) {
				if n := count(t, s, tenant, "orders", "integration = $1 AND buyer_name IS NOT NULL AND NOT "+hasAddress, tiktok); n != 3 {
					t.Errorf("held orders without address = %d, want 3", n)
				}
				otherIntegrationIntact(t, tenant)
			},
		},
		{
			name:        "one integration, shipping held: orders carrying an address stay with it",
			integration: tiktok,
			held:        map[string]bool{CategoryShipping: true},
			want: counts{
				CategoryProducts: {Deleted: 2}, CategoryOrders: {Deleted: 1, Held: 2},
				CategoryShipping: {Held: 4}, CategorySupport: {Deleted: 2},
			},
			wantSecond: counts{CategoryOrders: {Held: 2}, CategoryShipping: {Held: 4}},
			check: func(t *testing.T, tenant string) {
				if n := count(t, s, tenant, "orders", "integration = $1 AND "+hasAddress, tiktok); n != 2 {
					t.Errorf("orders with held address = %d, want 2", n)
				}
				if n := count(t, s, tenant, "shipments", "integration = $1", tiktok); n != 2 {
					t.Errorf("held shipments = %d, want 2", n)
				}
			},
		},
		{
			name: "whole tenant, nothing held: the schema is dropped",
			want: counts{
				CategoryProducts: {Deleted: 3}, CategoryOrders: {Deleted: 4},
				CategoryShipping: {Deleted: 6}, CategorySupport: {Deleted: 2},
			},
			wantSecond:  counts{},
			wantDropped: true,
			check: func(t *testing.T, tenant string) {
				if schemaPresent(t, s, tenant) {
					t.Error("schema still there")
				}
			},
		},
		{
			name: "whole tenant, support held: the schema stays with the held returns",
			held: map[string]bool{CategorySupport: true},
			want: counts{
				CategoryProducts: {Deleted: 3}, CategoryOrders: {Deleted: 4},
				CategoryShipping: {Deleted: 6}, CategorySupport: {Held: 2},
			},
			wantSecond: counts{CategorySupport: {Held: 2}},
			check: func(t *testing.T, tenant string) {
				if n := count(t, s, tenant, "returns", ""); n != 2 {
					t.Errorf("held returns = %d, want 2", n)
				}
				for _, table := range []string{"products", "orders", "shipments"} {
					if n := count(t, s, tenant, table, ""); n != 0 {
						t.Errorf("%s left: %d", table, n)
					}
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tenant := newTenant(t, s)
			seed(t, s, tenant)
			got, err := s.Purge(ctx, tenant, tt.integration, tt.held)
			if err != nil {
				t.Fatal(err)
			}
			sameMap(t, "first run", got.Categories, tt.want)
			if got.SchemaDropped != tt.wantDropped {
				t.Errorf("SchemaDropped = %v, want %v", got.SchemaDropped, tt.wantDropped)
			}
			tt.check(t, tenant)
			again, err := s.Purge(ctx, tenant, tt.integration, tt.held)
			if err != nil {
				t.Fatal(err)
			}
			sameMap(t, "second run", again.Categories, tt.wantSecond)
			if again.SchemaDropped {
				t.Error("second run dropped a schema again")
			}
		})
	}

	t.Run("a dropped tenant can be set up again, empty", func(t *testing.T) {
		tenant := newTenant(t, s)
		seed(t, s, tenant)
		if _, err := s.Purge(ctx, tenant, "", nil); err != nil {
			t.Fatal(err)
		}
		if err := s.EnsureSchema(ctx, tenant); err != nil {
			t.Fatal(err)
		}
		if n := count(t, s, tenant, "orders", ""); n != 0 {
			t.Errorf("orders after re-creation = %d", n)
		}
	})

	t.Run("an unknown held category is rejected and nothing is deleted", func(t *testing.T) {
		tenant := newTenant(t, s)
		seed(t, s, tenant)
		if _, err := s.Purge(ctx, tenant, "", map[string]bool{"Orders": true}); err == nil {
			t.Fatal("Purge accepted an unknown category")
		}
		if !schemaPresent(t, s, tenant) || count(t, s, tenant, "orders", "") != 4 {
			t.Error("a rejected purge deleted data")
		}
	})
}
