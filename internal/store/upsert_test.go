package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestUpsert(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()

	t.Run("first sync writes every record, an identical re-sync writes none", func(t *testing.T) {
		tenant := newTenant(t, s)
		orders := []Order{
			{ExternalID: "o1", Status: "PAID", TotalAmount: "10.00", PlacedAt: day(1), BuyerPseudonym: alice, BuyerName: "Alice"},
			{ExternalID: "o2", Status: "UNPAID", TotalAmount: "2"},
		}
		for run, want := range []int{2, 0} {
			n, err := s.UpsertOrders(ctx, tenant, tiktok, orders)
			if err != nil || n != want {
				t.Errorf("run %d: written = %d, %v; want %d", run+1, n, err, want)
			}
		}
		if n := count(t, s, tenant, "orders", ""); n != 2 {
			t.Errorf("orders in database = %d, want 2", n)
		}
	})

	t.Run("a re-sync writes only the records that changed", func(t *testing.T) {
		tenant := newTenant(t, s)
		seed(t, s, tenant)
		n, err := s.UpsertShipments(ctx, tenant, tiktok, []Shipment{
			{ExternalID: "s1", OrderExternalID: "o1", Status: "DELIVERED", Carrier: "DHL", TrackingNumber: "TRK1",
				BuyerPseudonym: alice, RecipientName: "Alice A", RecipientPhone: "+49 30 1", Address: addr("Alicestr. 1"), UpdatedAt: day(1)},
			{ExternalID: "s3", OrderExternalID: "o3", Status: "DELIVERED", Carrier: "DHL", TrackingNumber: "TRK3",
				BuyerPseudonym: bob, RecipientName: "Bob B", Address: addr("Bobweg 2"), UpdatedAt: day(4)},
		})
		if err != nil || n != 1 {
			t.Errorf("written = %d, %v; want 1 (only s3 changed)", n, err)
		}
		if got := text(t, s, tenant, "shipments", "status", tiktok, "s3"); got != "DELIVERED" {
			t.Errorf("s3 status = %s, want DELIVERED", got)
		}
	})

	t.Run("an amount written with another scale is not a change", func(t *testing.T) {
		tenant := newTenant(t, s)
		seed(t, s, tenant)
		n, err := s.UpsertProducts(ctx, tenant, tiktok, []Product{
			{ExternalID: "p1", Title: "Mug", PriceAmount: "9.9", Currency: "EUR", Quantity: 3, UpdatedAt: day(0)},
		})
		if err != nil || n != 0 {
			t.Errorf("written = %d, %v; want 0", n, err)
		}
	})

	t.Run("the same external id in two integrations is two records", func(t *testing.T) {
		tenant := newTenant(t, s)
		seed(t, s, tenant)
		if n := count(t, s, tenant, "products", "external_id = 'p1'"); n != 2 {
			t.Errorf("products p1 = %d, want one per integration", n)
		}
	})

	t.Run("a record repeated within one call is written once, last version wins", func(t *testing.T) {
		tenant := newTenant(t, s)
		n, err := s.UpsertReturns(ctx, tenant, tiktok, []Return{
			{ExternalID: "r1", Status: "REQUESTED"}, {ExternalID: "r1", Status: "APPROVED"},
		})
		if err != nil || n != 1 {
			t.Errorf("written = %d, %v; want 1", n, err)
		}
		if got := text(t, s, tenant, "returns", "status", tiktok, "r1"); got != "APPROVED" {
			t.Errorf("status = %s, want APPROVED", got)
		}
	})

	t.Run("calls larger than a batch write every record once", func(t *testing.T) {
		tenant := newTenant(t, s)
		rows := make([]Product, 2*upsertBatch+500)
		for i := range rows {
			rows[i] = Product{ExternalID: fmt.Sprintf("p%d", i), Title: "t", Quantity: i}
		}
		for run, want := range []int{len(rows), 0} {
			n, err := s.UpsertProducts(ctx, tenant, aliexp, rows)
			if err != nil || n != want {
				t.Errorf("run %d: written = %d, %v; want %d", run+1, n, err, want)
			}
		}
		if n := count(t, s, tenant, "products", ""); n != len(rows) {
			t.Errorf("products = %d, want %d", n, len(rows))
		}
	})

	t.Run("empty strings and zero times are stored as NULL", func(t *testing.T) {
		tenant := newTenant(t, s)
		if _, err := s.UpsertOrders(ctx, tenant, tiktok, []Order{{ExternalID: "o1", Status: "UNPAID"}}); err != nil {
			t.Fatal(err)
		}
		if n := count(t, s, tenant, "orders", "buyer_pseudonym IS NULL AND buyer_name IS NULL AND total_amount IS NULL AND updated_at IS NULL AND NOT "+hasAddress); n != 1 {
			t.Errorf("order with NULLs = %d, want 1", n)
		}
	})

	rejected := []struct {
		name   string
		call   func(tenant string) (int, error)
		wantIs error
	}{
		{"a raw email as pseudonym is rejected without echoing it", func(tenant string) (int, error) {
			return s.UpsertOrders(ctx, tenant, tiktok, []Order{{ExternalID: "o1", BuyerPseudonym: "carol@example.com"}})
		}, ErrInvalidPseudonym},
		{"a record without external id is rejected", func(tenant string) (int, error) {
			return s.UpsertProducts(ctx, tenant, tiktok, []Product{{Title: "x"}})
		}, nil},
		{"an empty integration is rejected", func(tenant string) (int, error) {
			return s.UpsertShipments(ctx, tenant, "", []Shipment{{ExternalID: "s1"}})
		}, nil},
		{"a malformed amount fails the whole call", func(tenant string) (int, error) {
			return s.UpsertProducts(ctx, tenant, tiktok, []Product{{ExternalID: "ok"}, {ExternalID: "bad", PriceAmount: "12,50"}})
		}, nil},
	}
	for _, tt := range rejected {
		t.Run(tt.name, func(t *testing.T) {
			tenant := newTenant(t, s)
			n, err := tt.call(tenant)
			if err == nil || n != 0 {
				t.Fatalf("written = %d, %v; want an error", n, err)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %q is not %v", err, tt.wantIs)
			}
			if strings.Contains(err.Error(), "carol") {
				t.Errorf("error shows the identifier: %q", err)
			}
			for _, table := range []string{"products", "orders", "shipments"} {
				if n := count(t, s, tenant, table, ""); n != 0 {
					t.Errorf("%s has %d rows after a rejected call", table, n)
				}
			}
		})
	}
}
