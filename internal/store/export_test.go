package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestExport(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	tenant := newTenant(t, s)
	seed(t, s, tenant)
	const roomy = 1 << 20

	t.Run("returns the subject's records of every category and nobody else's", func(t *testing.T) {
		out, counts, err := s.Export(ctx, tenant, []string{alice}, Scope{}, roomy)
		if err != nil {
			t.Fatal(err)
		}
		sameMap(t, "counts", counts, map[string]int{CategoryOrders: 3, CategoryShipping: 4, CategorySupport: 1})
		var doc ExportDocument
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatalf("export is not JSON: %v", err)
		}
		if doc.Tenant != tenant || len(doc.Orders) != 3 || len(doc.Shipping) != 4 || len(doc.Support) != 1 {
			t.Fatalf("document = %s", out)
		}
		o := doc.Orders[1] // sorted by integration, then id: aliexpress o1, tiktok o1, tiktok o2
		if o.Integration != tiktok || o.ExternalID != "o1" || o.BuyerEmail != "alice@example.com" ||
			o.TotalAmount != "24.90" || o.PlacedAt == nil || !o.PlacedAt.Equal(day(0)) {
			t.Errorf("tiktok o1 = %+v", o)
		}
		if sh := doc.Shipping[0]; sh.Source != "shipment" || sh.Address.Line1 != "Alicestr. 1" {
			t.Errorf("first shipping record = %+v, want a shipment with its address", sh)
		}
		if sh := doc.Shipping[3]; sh.Source != "order" || sh.ExternalID != "o1" || sh.Address.PostalCode != "10115" {
			t.Errorf("last shipping record = %+v, want an order's address", sh)
		}
		if r := doc.Support[0]; r.Reason != "broken" || r.RefundAmount != "24.90" {
			t.Errorf("return = %+v", r)
		}
		if bytes.Contains(out, []byte("Bob")) || bytes.Contains(out, []byte(alice)) {
			t.Errorf("export shows another subject or the pseudonym: %s", out)
		}
		again, _, _ := s.Export(ctx, tenant, []string{alice}, Scope{}, roomy)
		if !bytes.Equal(out, again) {
			t.Error("two exports of unchanged data differ")
		}
	})

	scoped := []struct {
		name  string
		scope Scope
		want  map[string]int
	}{
		{"scope to one integration", Scope{Integrations: []string{aliexp}}, map[string]int{CategoryOrders: 1, CategoryShipping: 2}},
		{"scope to support", Scope{Categories: []string{CategorySupport}}, map[string]int{CategorySupport: 1}},
		{"scope to a category without tables", Scope{Categories: []string{CategoryLogs}}, map[string]int{}},
	}
	for _, tt := range scoped {
		t.Run(tt.name+" returns only what is in scope", func(t *testing.T) {
			out, counts, err := s.Export(ctx, tenant, []string{alice}, tt.scope, roomy)
			if err != nil {
				t.Fatal(err)
			}
			sameMap(t, "counts", counts, tt.want)
			if _, ok := tt.want[CategorySupport]; !ok && bytes.Contains(out, []byte("broken")) {
				t.Errorf("out-of-scope return exported: %s", out)
			}
		})
	}

	t.Run("past the size bound fails with ErrExportTooLarge and returns nothing", func(t *testing.T) {
		full, _, err := s.Export(ctx, tenant, []string{alice}, Scope{}, roomy)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Export(ctx, tenant, []string{alice}, Scope{}, len(full)); err != nil {
			t.Errorf("export of exactly the bound failed: %v", err)
		}
		for _, bound := range []int{len(full) - 1, 100} {
			out, counts, err := s.Export(ctx, tenant, []string{alice}, Scope{}, bound)
			if !errors.Is(err, ErrExportTooLarge) {
				t.Fatalf("bound %d: error = %v, want ErrExportTooLarge", bound, err)
			}
			if out != nil || counts != nil {
				t.Errorf("bound %d: partial export returned", bound)
			}
			if strings.Contains(err.Error(), "alice") || strings.Contains(err.Error(), "Alice") {
				t.Errorf("error shows personal data: %q", err)
			}
		}
	})

	t.Run("a non-positive bound is rejected", func(t *testing.T) {
		if _, _, err := s.Export(ctx, tenant, []string{alice}, Scope{}, 0); err == nil {
			t.Error("maxBytes 0 accepted")
		}
	})

	t.Run("after erasure nothing is exported", func(t *testing.T) {
		erased := newTenant(t, s)
		seed(t, s, erased)
		if _, err := s.Erase(ctx, erased, []string{alice}, Scope{}, nil); err != nil {
			t.Fatal(err)
		}
		out, counts, err := s.Export(ctx, erased, []string{alice}, Scope{}, roomy)
		if err != nil {
			t.Fatal(err)
		}
		sameMap(t, "counts", counts, map[string]int{})
		if bytes.Contains(out, []byte("Alice")) {
			t.Errorf("export after erasure = %s", out)
		}
	})
}
