package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// BenchmarkUpsertOrders measures a sync writing new orders in calls of 1,000, and a re-sync of unchanged ones.
func BenchmarkUpsertOrders(b *testing.B) {
	s := openStore(b)
	ctx := context.Background()
	const perCall = 1000
	batch := func(call int) []Order {
		rows := make([]Order, perCall)
		for i := range rows {
			n := call*perCall + i
			rows[i] = Order{ExternalID: fmt.Sprintf("o%d", n), Status: "PAID", TotalAmount: "19.99", Currency: "EUR",
				PlacedAt: day(n % 300), UpdatedAt: day(n % 300),
				BuyerPseudonym: Pseudonymize(testKey, KindEmail, fmt.Sprintf("buyer%d@example.com", n%5000)),
				BuyerName:      "Buyer Name", BuyerEmail: "buyer@example.com", BuyerPhone: "+49 30 0",
				ShippingAddress: addr("Street 1")}
		}
		return rows
	}
	b.Run("new", func(b *testing.B) {
		tenant := newTenant(b, s)
		calls := make([][]Order, b.N)
		for i := range calls {
			calls[i] = batch(i)
		}
		b.ResetTimer()
		for i := range b.N {
			if n, err := s.UpsertOrders(ctx, tenant, tiktok, calls[i]); err != nil || n != perCall {
				b.Fatalf("written %d, %v", n, err)
			}
		}
		b.ReportMetric(float64(b.N*perCall)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("unchanged", func(b *testing.B) {
		tenant := newTenant(b, s)
		rows := batch(0)
		if _, err := s.UpsertOrders(ctx, tenant, tiktok, rows); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for range b.N {
			if n, err := s.UpsertOrders(ctx, tenant, tiktok, rows); err != nil || n != 0 {
				b.Fatalf("written %d, %v", n, err)
			}
		}
		b.ReportMetric(float64(b.N*perCall)/b.Elapsed().Seconds(), "rows/s")
	})
}

const (
	bigTenant = "bench-million"
	bigOrders = 1_000_000
	bigBuyers = 200_000
)

var bigSeed struct {
	once sync.Once
	took time.Duration
	err  error
}

// seedMillion fills bigTenant once per process with 1,000,000 orders of 200,000 buyers (and their shipments
// and returns), generated inside the server, which takes seconds where a million upserts would take minutes.
func seedMillion(s *Store) error {
	bigSeed.once.Do(func() {
		start := time.Now()
		ctx := context.Background()
		if bigSeed.err = s.EnsureSchema(ctx, bigTenant); bigSeed.err != nil {
			return
		}
		schema, _ := SchemaName(bigTenant)
		t := tablesOf(schema)
		pseudonym := fmt.Sprintf(`encode(sha256(convert_to('buyer' || (i %% %d), 'UTF8')), 'hex')`, bigBuyers)
		for _, q := range []string{
			fmt.Sprintf(`INSERT INTO %s (integration, external_id, status, total_amount, currency, placed_at, updated_at,
				buyer_pseudonym, buyer_user_id, buyer_name, buyer_email, buyer_phone, ship_address_line1, ship_city,
				ship_postal_code, ship_country)
				SELECT 'tiktok-eu', 'o' || i, 'DELIVERED', 19.99, 'EUR', now() - i * interval '1 minute',
					now() - i * interval '1 minute', %s, 'u' || i, 'Buyer ' || i, 'b' || i || '@example.com',
					'+49 30 ' || i, 'Street ' || i, 'Berlin', '10115', 'DE'
				FROM generate_series(1, %d) AS i`, t.orders, pseudonym, bigOrders),
			fmt.Sprintf(`INSERT INTO %s (integration, external_id, order_external_id, status, buyer_pseudonym,
				recipient_name, address_line1, city, updated_at)
				SELECT 'tiktok-eu', 's' || i, 'o' || i, 'DELIVERED', %s, 'Buyer ' || i, 'Street ' || i, 'Berlin', now()
				FROM generate_series(1, %d, 3) AS i`, t.shipments, pseudonym, bigOrders),
			fmt.Sprintf(`INSERT INTO %s (integration, external_id, order_external_id, status, buyer_pseudonym,
				buyer_name, reason, updated_at)
				SELECT 'tiktok-eu', 'r' || i, 'o' || i, 'REFUNDED', %s, 'Buyer ' || i, 'damaged', now()
				FROM generate_series(1, %d, 20) AS i`, t.returns, pseudonym, bigOrders),
			`ANALYZE ` + t.orders + `, ` + t.shipments + `, ` + t.returns,
		} {
			if _, bigSeed.err = s.pool.Exec(ctx, q); bigSeed.err != nil {
				return
			}
		}
		bigSeed.took = time.Since(start)
	})
	return bigSeed.err
}

// BenchmarkEraseOneSubjectOfMillionOrders measures erasing one subject (5 orders, 2 shipments, 1 return) from a
// tenant holding 1,000,000 orders: the pseudonym indexes must keep it independent of the tenant's size.
func BenchmarkEraseOneSubjectOfMillionOrders(b *testing.B) {
	s := openStore(b)
	ctx := context.Background()
	if err := seedMillion(s); err != nil {
		b.Fatalf("seed: %v", err)
	}
	b.Logf("seeded %d orders in %v", bigOrders, bigSeed.took.Round(time.Millisecond))
	schema, _ := SchemaName(bigTenant)
	var orders int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM `+tablesOf(schema).orders).Scan(&orders); err != nil || orders < bigOrders {
		b.Fatalf("tenant holds %d orders, %v", orders, err)
	}
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		subject := Pseudonymize(testKey, KindEmail, fmt.Sprintf("bench-subject-%d-%d@example.com", b.N, i))
		var subjectOrders []Order
		for j := range 5 {
			subjectOrders = append(subjectOrders, Order{ExternalID: fmt.Sprintf("x%d-%d-%d", b.N, i, j), Status: "PAID", BuyerPseudonym: subject,
				BuyerName: "Subject", BuyerEmail: "subject@example.com", ShippingAddress: addr("Subjectstr. 1")})
		}
		ss := []Shipment{{ExternalID: fmt.Sprintf("x%d-%d-1", b.N, i), BuyerPseudonym: subject, RecipientName: "Subject"},
			{ExternalID: fmt.Sprintf("x%d-%d-2", b.N, i), BuyerPseudonym: subject, RecipientName: "Subject"}}
		rs := []Return{{ExternalID: fmt.Sprintf("x%d-%d", b.N, i), BuyerPseudonym: subject, BuyerName: "Subject"}}
		if _, err := s.UpsertOrders(ctx, bigTenant, tiktok, subjectOrders); err != nil {
			b.Fatal(err)
		}
		if _, err := s.UpsertShipments(ctx, bigTenant, tiktok, ss); err != nil {
			b.Fatal(err)
		}
		if _, err := s.UpsertReturns(ctx, bigTenant, tiktok, rs); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := s.Erase(ctx, bigTenant, []string{subject}, Scope{}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if res.Categories[CategoryOrders].Anonymized != 5 || res.Categories[CategoryShipping].Erased != 2 {
			b.Fatalf("erase result %+v", res)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/erase")
}
