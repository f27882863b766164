package store

import (
	"context"
	"errors"
	"testing"
)

func TestErase(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	type counts = map[string]EraseCounts

	// bobUntouched checks that erasing alice left the other subject alone.
	bobUntouched := func(t *testing.T, tenant string) {
		t.Helper()
		if got := text(t, s, tenant, "orders", "buyer_name", tiktok, "o3"); got != "Bob B" {
			t.Errorf("bob's order name = %s", got)
		}
		if n := count(t, s, tenant, "shipments", "buyer_pseudonym = $1", bob) + count(t, s, tenant, "returns", "buyer_pseudonym = $1", bob); n != 2 {
			t.Errorf("bob's shipments+returns = %d, want 2", n)
		}
	}

	tests := []struct {
		name       string
		scope      Scope
		held       map[string]bool
		want       counts
		wantSecond counts
		check      func(t *testing.T, tenant string)
	}{
		{
			name: "no hold: shipments and returns deleted, orders kept anonymized with a tombstone",
			want: counts{
				CategoryOrders:   {Found: 3, Anonymized: 3},
				CategoryShipping: {Found: 4, Erased: 2, Anonymized: 2},
				CategorySupport:  {Found: 1, Erased: 1},
			},
			wantSecond: counts{},
			check: func(t *testing.T, tenant string) {
				if n := count(t, s, tenant, "orders", ""); n != 4 {
					t.Errorf("orders = %d, want all 4 kept for accounting", n)
				}
				if n := count(t, s, tenant, "orders", "buyer_pseudonym = $1 AND buyer_user_id IS NULL AND buyer_name IS NULL "+
					"AND buyer_email IS NULL AND buyer_phone IS NULL AND NOT "+hasAddress, Tombstone); n != 3 {
					t.Errorf("tombstoned orders without personal data = %d, want 3", n)
				}
				if got := text(t, s, tenant, "orders", "total_amount::text", tiktok, "o1"); got != "24.90" {
					t.Errorf("erased order's total = %s, want 24.90 kept", got)
				}
				for _, table := range []string{"orders", "shipments", "returns"} {
					if n := count(t, s, tenant, table, "buyer_pseudonym = $1", alice); n != 0 {
						t.Errorf("%s still linked to alice: %d", table, n)
					}
				}
				if n := count(t, s, tenant, "erased_records", ""); n != 3 {
					t.Errorf("erased_records = %d, want the 2 shipments and 1 return", n)
				}
				bobUntouched(t, tenant)
			},
		},
		{
			name: "orders held: orders untouched, their addresses and other categories erased",
			held: map[string]bool{CategoryOrders: true},
			want: counts{
				CategoryOrders:   {Found: 3, Held: 3},
				CategoryShipping: {Found: 4, Erased: 2, Anonymized: 2},
				CategorySupport:  {Found: 1, Erased: 1},
			},
			wantSecond: counts{CategoryOrders: {Found: 3, Held: 3}},
			check: func(t *testing.T, tenant string) {
				if n := count(t, s, tenant, "orders", "buyer_pseudonym = $1 AND buyer_name = 'Alice A' AND NOT "+hasAddress, alice); n != 3 {
					t.Errorf("held orders with buyer kept and address cleared = %d, want 3", n)
				}
				bobUntouched(t, tenant)
			},
		},
		{
			name: "shipping held: shipments and order addresses kept and still findable, buyer columns erased",
			held: map[string]bool{CategoryShipping: true, CategoryLogs: true},
			want: counts{
				CategoryOrders:   {Found: 3, Anonymized: 3},
				CategoryShipping: {Found: 4, Held: 4},
				CategorySupport:  {Found: 1, Erased: 1},
			},
			wantSecond: counts{CategoryOrders: {Found: 3}, CategoryShipping: {Found: 4, Held: 4}},
			check: func(t *testing.T, tenant string) {
				if n := count(t, s, tenant, "orders", "buyer_pseudonym = $1 AND buyer_name IS NULL AND buyer_user_id IS NULL AND "+hasAddress, alice); n != 2 {
					t.Errorf("orders with address kept and buyer cleared = %d, want 2", n)
				}
				if n := count(t, s, tenant, "shipments", "buyer_pseudonym = $1 AND recipient_name = 'Alice A'", alice); n != 2 {
					t.Errorf("held shipments = %d, want 2 untouched", n)
				}
			},
		},
		{
			name:  "scope to one integration leaves the other's records",
			scope: Scope{Integrations: []string{tiktok}},
			want: counts{
				CategoryOrders:   {Found: 2, Anonymized: 2},
				CategoryShipping: {Found: 2, Erased: 1, Anonymized: 1},
				CategorySupport:  {Found: 1, Erased: 1},
			},
			wantSecond: counts{},
			check: func(t *testing.T, tenant string) {
				if got := text(t, s, tenant, "orders", "buyer_name", aliexp, "o1"); got != "Alice A" {
					t.Errorf("out-of-scope order name = %s", got)
				}
				if n := count(t, s, tenant, "shipments", "integration = $1 AND buyer_pseudonym = $2", aliexp, alice); n != 1 {
					t.Errorf("out-of-scope shipments = %d, want 1", n)
				}
			},
		},
		{
			name:       "scope to support erases returns only",
			scope:      Scope{Categories: []string{CategorySupport}},
			want:       counts{CategorySupport: {Found: 1, Erased: 1}},
			wantSecond: counts{},
			check: func(t *testing.T, tenant string) {
				if n := count(t, s, tenant, "orders", "buyer_pseudonym = $1 AND buyer_name IS NOT NULL", alice); n != 3 {
					t.Errorf("orders untouched = %d, want 3", n)
				}
			},
		},
		{
			name:  "scope to orders clears buyer columns but keeps addresses, so the order stays linked",
			scope: Scope{Categories: []string{CategoryOrders}},
			want:  counts{CategoryOrders: {Found: 3, Anonymized: 3}},
			// Found again: the orders still carry the subject's out-of-scope address.
			wantSecond: counts{CategoryOrders: {Found: 3}},
			check: func(t *testing.T, tenant string) {
				if n := count(t, s, tenant, "orders", "buyer_pseudonym = $1 AND buyer_name IS NULL AND "+hasAddress, alice); n != 2 {
					t.Errorf("orders with address kept = %d, want 2", n)
				}
				if n := count(t, s, tenant, "shipments", "buyer_pseudonym = $1", alice); n != 2 {
					t.Errorf("shipments = %d, want 2 untouched", n)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tenant := newTenant(t, s)
			seed(t, s, tenant)
			got, err := s.Erase(ctx, tenant, []string{alice}, tt.scope, tt.held)
			if err != nil {
				t.Fatal(err)
			}
			sameMap(t, "first run", got.Categories, tt.want)
			tt.check(t, tenant)
			again, err := s.Erase(ctx, tenant, []string{alice}, tt.scope, tt.held)
			if err != nil {
				t.Fatal(err)
			}
			sameMap(t, "second run", again.Categories, tt.wantSecond)
		})
	}

	t.Run("lifting a hold lets a later erasure finish the job", func(t *testing.T) {
		tenant := newTenant(t, s)
		seed(t, s, tenant)
		if _, err := s.Erase(ctx, tenant, []string{alice}, Scope{}, map[string]bool{CategoryShipping: true}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Erase(ctx, tenant, []string{alice}, Scope{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		sameMap(t, "after the hold", got.Categories, counts{
			CategoryOrders:   {Found: 3},
			CategoryShipping: {Found: 4, Erased: 2, Anonymized: 2},
		})
		if refs, err := s.Locate(ctx, tenant, []string{alice}, Scope{}); err != nil || len(refs) != 0 {
			t.Errorf("alice still has records: %v, %v", refs, err)
		}
	})

	t.Run("held categories are reported", func(t *testing.T) {
		tenant := newTenant(t, s)
		seed(t, s, tenant)
		got, err := s.Erase(ctx, tenant, []string{alice}, Scope{}, map[string]bool{CategorySupport: true, CategoryProducts: true, CategoryOrders: false})
		if err != nil {
			t.Fatal(err)
		}
		if h := got.HeldCategories(); len(h) != 1 || h[0] != CategorySupport {
			t.Errorf("HeldCategories = %v, want [support]: products hold nothing of alice's, orders is not held", h)
		}
	})

	t.Run("several pseudonyms of one subject, or several subjects, are erased together", func(t *testing.T) {
		tenant := newTenant(t, s)
		seed(t, s, tenant)
		got, err := s.Erase(ctx, tenant, []string{alice, bob}, Scope{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		sameMap(t, "counts", got.Categories, counts{
			CategoryOrders:   {Found: 4, Anonymized: 4},
			CategoryShipping: {Found: 6, Erased: 3, Anonymized: 3},
			CategorySupport:  {Found: 2, Erased: 2},
		})
	})

	t.Run("a re-sync after erasure restores nothing and writes nothing", func(t *testing.T) {
		tenant := newTenant(t, s)
		seed(t, s, tenant)
		if _, err := s.Erase(ctx, tenant, []string{alice}, Scope{}, nil); err != nil {
			t.Fatal(err)
		}
		// Record what the table holds, sync everything again, and compare.
		seed(t, s, tenant)
		for table, want := range map[string]int{"orders": 0, "shipments": 0, "returns": 0} {
			if n := count(t, s, tenant, table, "buyer_pseudonym = $1", alice); n != want {
				t.Errorf("%s linked to alice after re-sync = %d", table, n)
			}
		}
		if n := count(t, s, tenant, "orders", "buyer_name = 'Alice A' OR ship_address_line1 = 'Alicestr. 1'"); n != 0 {
			t.Errorf("orders with alice's data after re-sync = %d", n)
		}
		n, err := s.UpsertOrders(ctx, tenant, tiktok, []Order{{ExternalID: "o1", Status: "DELIVERED", TotalAmount: "24.90",
			Currency: "EUR", PlacedAt: day(0), UpdatedAt: day(1), BuyerPseudonym: alice, BuyerName: "Alice A"}})
		if err != nil || n != 0 {
			t.Errorf("re-sync of an erased order wrote %d, %v; want 0", n, err)
		}
		n, err = s.UpsertOrders(ctx, tenant, tiktok, []Order{{ExternalID: "o1", Status: "REFUNDED", BuyerPseudonym: alice, BuyerName: "Alice A"}})
		if err != nil || n != 1 {
			t.Errorf("status change of an erased order wrote %d, %v; want 1", n, err)
		}
		if got := text(t, s, tenant, "orders", "buyer_name", tiktok, "o1"); got != "<null>" {
			t.Errorf("erased name came back: %s", got)
		}
		if got := text(t, s, tenant, "orders", "buyer_pseudonym", tiktok, "o1"); got != Tombstone {
			t.Errorf("pseudonym came back: %s", got)
		}
	})

	invalid := []struct {
		name     string
		subjects []string
		scope    Scope
		held     map[string]bool
	}{
		{"a raw identifier instead of a pseudonym", []string{"alice@example.com"}, Scope{}, nil},
		{"no subject", nil, Scope{}, nil},
		{"an unknown category in scope", []string{alice}, Scope{Categories: []string{"payments"}}, nil},
		{"an unknown held category", []string{alice}, Scope{}, map[string]bool{"order": true}},
	}
	for _, tt := range invalid {
		t.Run("rejects "+tt.name+" and changes nothing", func(t *testing.T) {
			tenant := newTenant(t, s)
			seed(t, s, tenant)
			_, err := s.Erase(ctx, tenant, tt.subjects, tt.scope, tt.held)
			if err == nil {
				t.Fatal("Erase succeeded")
			}
			if tt.subjects != nil && tt.subjects[0] != alice && !errors.Is(err, ErrInvalidPseudonym) {
				t.Errorf("error = %v, want ErrInvalidPseudonym", err)
			}
			if n := count(t, s, tenant, "orders", "buyer_pseudonym = $1", alice); n != 3 {
				t.Errorf("alice's orders = %d, want 3", n)
			}
		})
	}
}
