package store

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var tenantSeq atomic.Int64

// testKey is the tenant HMAC key of the tests.
var testKey = []byte("test tenant key, not a real one")

// The fixture's data subjects.
var (
	alice = Pseudonymize(testKey, KindEmail, "alice@example.com")
	bob   = Pseudonymize(testKey, KindEmail, "bob@example.com")
)

const (
	tiktok = "tiktok-eu"
	aliexp = "aliexpress-main"
)

func openStore(t testing.TB) *Store {
	t.Helper()
	requireDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, testDSN)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

var nonLabel = regexp.MustCompile(`[^a-z0-9]+`)

// newTenant returns a fresh tenant, named after the test for readable failures, with its schema made.
func newTenant(t testing.TB, s *Store) string {
	t.Helper()
	slug := strings.Trim(nonLabel.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	name := fmt.Sprintf("t%d-%s", tenantSeq.Add(1), slug)
	if len(name) > 56 {
		name = strings.TrimRight(name[:56], "-")
	}
	if err := s.EnsureSchema(context.Background(), name); err != nil {
		t.Fatalf("EnsureSchema(%s): %v", name, err)
	}
	return name
}

func day(n int) time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n) }

func addr(street string) Address {
	return Address{Line1: street, City: "Berlin", PostalCode: "10115", Country: "DE"}
}

// seed writes the fixture: alice has orders, shipments and returns in two integrations, bob has his own in one,
// and there are products. Record dates are day(0) .. day(9).
func seed(t testing.TB, s *Store, tenant string) {
	t.Helper()
	ctx := context.Background()
	must := func(n int, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	must(s.UpsertProducts(ctx, tenant, tiktok, []Product{
		{ExternalID: "p1", Title: "Mug", PriceAmount: "9.90", Currency: "EUR", Quantity: 3, UpdatedAt: day(0)},
		{ExternalID: "p2", Title: "Cap", PriceAmount: "15", Currency: "EUR", Quantity: 1, UpdatedAt: day(9)},
	}))
	must(s.UpsertProducts(ctx, tenant, aliexp, []Product{{ExternalID: "p1", Title: "Lamp", UpdatedAt: day(0)}}))
	must(s.UpsertOrders(ctx, tenant, tiktok, []Order{
		{ExternalID: "o1", Status: "DELIVERED", TotalAmount: "24.90", Currency: "EUR", PlacedAt: day(0), UpdatedAt: day(1),
			BuyerPseudonym: alice, BuyerUserID: "tt-alice", BuyerName: "Alice A", BuyerEmail: "alice@example.com",
			BuyerPhone: "+49 30 1", ShippingAddress: addr("Alicestr. 1")},
		{ExternalID: "o2", Status: "UNPAID", TotalAmount: "5", Currency: "EUR", PlacedAt: day(8), UpdatedAt: day(8),
			BuyerPseudonym: alice, BuyerUserID: "tt-alice", BuyerName: "Alice A"},
		{ExternalID: "o3", Status: "SHIPPED", TotalAmount: "7", Currency: "EUR", PlacedAt: day(2), UpdatedAt: day(2),
			BuyerPseudonym: bob, BuyerUserID: "tt-bob", BuyerName: "Bob B", BuyerEmail: "bob@example.com",
			ShippingAddress: addr("Bobweg 2")},
	}))
	must(s.UpsertOrders(ctx, tenant, aliexp, []Order{
		{ExternalID: "o1", Status: "FINISH", TotalAmount: "3.50", Currency: "USD", UpdatedAt: day(1),
			BuyerPseudonym: alice, BuyerName: "Alice A", BuyerEmail: "alice@example.com", ShippingAddress: addr("Alicestr. 1")},
	}))
	must(s.UpsertShipments(ctx, tenant, tiktok, []Shipment{
		{ExternalID: "s1", OrderExternalID: "o1", Status: "DELIVERED", Carrier: "DHL", TrackingNumber: "TRK1",
			BuyerPseudonym: alice, RecipientName: "Alice A", RecipientPhone: "+49 30 1", Address: addr("Alicestr. 1"), UpdatedAt: day(1)},
		{ExternalID: "s3", OrderExternalID: "o3", Status: "IN_TRANSIT", Carrier: "DHL", TrackingNumber: "TRK3",
			BuyerPseudonym: bob, RecipientName: "Bob B", Address: addr("Bobweg 2"), UpdatedAt: day(2)},
	}))
	must(s.UpsertShipments(ctx, tenant, aliexp, []Shipment{
		{ExternalID: "s1", OrderExternalID: "o1", Status: "DELIVERED", BuyerPseudonym: alice, RecipientName: "Alice A",
			Address: addr("Alicestr. 1"), UpdatedAt: day(1)},
	}))
	must(s.UpsertReturns(ctx, tenant, tiktok, []Return{
		{ExternalID: "r1", OrderExternalID: "o1", Status: "REFUNDED", Type: "REFUND", Reason: "broken", RefundAmount: "24.90",
			Currency: "EUR", BuyerPseudonym: alice, BuyerName: "Alice A", BuyerEmail: "alice@example.com", UpdatedAt: day(3)},
		{ExternalID: "r3", OrderExternalID: "o3", Status: "REQUESTED", Type: "RETURN_AND_REFUND", BuyerPseudonym: bob,
			BuyerName: "Bob B", UpdatedAt: day(3)},
	}))
}

// count runs SELECT count(*) FROM the tenant's table WHERE cond.
func count(t testing.TB, s *Store, tenant, table, cond string, args ...any) int {
	t.Helper()
	schema, err := SchemaName(tenant)
	if err != nil {
		t.Fatal(err)
	}
	if cond == "" {
		cond = "true"
	}
	var n int
	q := fmt.Sprintf(`SELECT count(*) FROM %s WHERE %s`, tablesOf(schema).qualified(table), cond)
	if err := s.pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// text reads one text column of one row, "<null>" for NULL.
func text(t testing.TB, s *Store, tenant, table, column, integration, externalID string) string {
	t.Helper()
	schema, _ := SchemaName(tenant)
	var v *string
	q := fmt.Sprintf(`SELECT %s FROM %s WHERE integration = $1 AND external_id = $2`, column, tablesOf(schema).qualified(table))
	if err := s.pool.QueryRow(context.Background(), q, integration, externalID).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if v == nil {
		return "<null>"
	}
	return *v
}

func (t tenantTables) qualified(table string) string {
	switch table {
	case "products":
		return t.products
	case "orders":
		return t.orders
	case "shipments":
		return t.shipments
	case "returns":
		return t.returns
	case "erased_records":
		return t.erased
	case "schema_migrations":
		return t.migrated
	}
	panic("unknown table " + table)
}

func schemaPresent(t testing.TB, s *Store, tenant string) bool {
	t.Helper()
	schema, _ := SchemaName(tenant)
	var ok bool
	if err := s.pool.QueryRow(context.Background(),
		`SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func sameMap[V comparable](t testing.TB, what string, got, want map[string]V) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
		return
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v, want %v", what, got, want)
			return
		}
	}
}
