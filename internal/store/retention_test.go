package store

import (
	"context"
	"testing"
	"time"
)

func TestRetention(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	now := day(10)
	type counts = map[string]DeleteCounts

	tests := []struct {
		name       string
		keepDays   map[string]int
		held       map[string]bool
		want       counts
		wantSecond counts
		check      func(t *testing.T, tenant string)
	}{
		{
			name:       "products older than their rule are deleted, newer ones kept",
			keepDays:   map[string]int{CategoryProducts: 5},
			want:       counts{CategoryProducts: {Deleted: 2}},
			wantSecond: counts{},
			check: func(t *testing.T, tenant string) {
				if n := count(t, s, tenant, "products", ""); n != 1 {
					t.Errorf("products left = %d, want p2 only", n)
				}
			},
		},
		{
			name:       "expired orders go, and their addresses with them",
			keepDays:   map[string]int{CategoryOrders: 5},
			want:       counts{CategoryOrders: {Deleted: 3}, CategoryShipping: {Deleted: 3}},
			wantSecond: counts{},
			check: func(t *testing.T, tenant string) {
				if n := count(t, s, tenant, "orders", ""); n != 1 {
					t.Errorf("orders left = %d, want the day-8 order", n)
				}
				if n := count(t, s, tenant, "shipments", ""); n != 3 {
					t.Errorf("shipments = %d, want 3 (no shipping rule)", n)
				}
			},
		},
		{
			name:       "a shipping rule deletes shipments and clears order addresses, keeping the orders",
			keepDays:   map[string]int{CategoryShipping: 5},
			want:       counts{CategoryShipping: {Deleted: 6}},
			wantSecond: counts{},
			check: func(t *testing.T, tenant string) {
				if n := count(t, s, tenant, "orders", "NOT "+hasAddress); n != 4 {
					t.Errorf("orders without address = %d, want all 4", n)
				}
			},
		},
		{
			name:       "held shipping keeps the expired orders that carry an address",
			keepDays:   map[string]int{CategoryOrders: 5},
			held:       map[string]bool{CategoryShipping: true},
			want:       counts{CategoryOrders: {Held: 3}, CategoryShipping: {Held: 3}},
			wantSecond: counts{CategoryOrders: {Held: 3}, CategoryShipping: {Held: 3}},
			check: func(t *testing.T, tenant string) {
				if n := count(t, s, tenant, "orders", hasAddress); n != 3 {
					t.Errorf("orders with address = %d, want 3", n)
				}
			},
		},
		{
			name:       "held orders are kept while expired shipping data goes",
			keepDays:   map[string]int{CategoryOrders: 5, CategoryShipping: 5},
			held:       map[string]bool{CategoryOrders: true},
			want:       counts{CategoryOrders: {Held: 3}, CategoryShipping: {Deleted: 6}},
			wantSecond: counts{CategoryOrders: {Held: 3}},
			check: func(t *testing.T, tenant string) {
				if n := count(t, s, tenant, "orders", ""); n != 4 {
					t.Errorf("orders = %d, want 4", n)
				}
			},
		},
		{
			name:       "rules for categories without tables delete nothing",
			keepDays:   map[string]int{CategorySupport: 5, CategoryLogs: 0, CategoryAccountProfile: 1},
			want:       counts{CategorySupport: {Deleted: 2}},
			wantSecond: counts{},
			check:      func(t *testing.T, tenant string) {},
		},
		{
			name:       "no rules, nothing deleted",
			keepDays:   nil,
			want:       counts{},
			wantSecond: counts{},
			check: func(t *testing.T, tenant string) {
				if n := count(t, s, tenant, "orders", ""); n != 4 {
					t.Errorf("orders = %d", n)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tenant := newTenant(t, s)
			seed(t, s, tenant)
			got, err := s.Retention(ctx, tenant, tt.keepDays, tt.held, now)
			if err != nil {
				t.Fatal(err)
			}
			sameMap(t, "first run", got.Categories, tt.want)
			tt.check(t, tenant)
			again, err := s.Retention(ctx, tenant, tt.keepDays, tt.held, now)
			if err != nil {
				t.Fatal(err)
			}
			sameMap(t, "second run", again.Categories, tt.wantSecond)
		})
	}

	t.Run("a record without a platform time ages from when it was synced", func(t *testing.T) {
		tenant := newTenant(t, s)
		if _, err := s.UpsertProducts(ctx, tenant, tiktok, []Product{
			{ExternalID: "fresh"}, {ExternalID: "old", UpdatedAt: time.Now().AddDate(0, 0, -30)},
		}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Retention(ctx, tenant, map[string]int{CategoryProducts: 7}, nil, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		sameMap(t, "counts", got.Categories, counts{CategoryProducts: {Deleted: 1}})
		if got := text(t, s, tenant, "products", "external_id", tiktok, "fresh"); got != "fresh" {
			t.Error("the just-synced product was deleted")
		}
	})

	invalid := []struct {
		name     string
		keepDays map[string]int
		held     map[string]bool
	}{
		{"an unknown category", map[string]int{"order": 1}, nil},
		{"negative days", map[string]int{CategoryOrders: -1}, nil},
		{"an unknown held category", map[string]int{CategoryOrders: 1}, map[string]bool{"x": true}},
	}
	for _, tt := range invalid {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			tenant := newTenant(t, s)
			seed(t, s, tenant)
			if _, err := s.Retention(ctx, tenant, tt.keepDays, tt.held, now); err == nil {
				t.Fatal("Retention succeeded")
			}
			if n := count(t, s, tenant, "orders", ""); n != 4 {
				t.Errorf("orders = %d after a rejected call", n)
			}
		})
	}
}
