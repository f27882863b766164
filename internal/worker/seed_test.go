package worker

import (
	"context"
	"testing"
	"time"

	"github.com/alitok/workspace-operator/internal/store"
)

const (
	tiktokIntegration = "tiktok-shop"
	aliIntegration    = "aliexpress-main"
)

// subjects are the seeded data subjects: alice has records in both integrations, under her TikTok Shop buyer ID,
// her AliExpress buyer ID and her email; bob has his own.
type subjects struct {
	aliceTT, aliceAE, aliceEmail, bobTT, bobAE string
	// dir is alice's subject directory: her email and both buyer IDs.
	dir string
}

// seed writes the fixture's data through the store, as syncs would have, with old (400 days) and recent (1 day)
// records. Alice: orders o1 (with address), o2 (email pseudonym) and a1; shipment a1/LP1; return 77.
// Bob: order o3 (with address); return 78.
func seed(t *testing.T, f *fixture) subjects {
	t.Helper()
	s := subjects{aliceTT: "u-alice-" + randomHex(4), aliceAE: "ae-alice-" + randomHex(4),
		aliceEmail: "Alice." + randomHex(4) + "@Example.com", bobTT: "u-bob-" + randomHex(4), bobAE: "ae-bob-" + randomHex(4)}
	f.forbid(s.aliceTT, s.aliceAE, s.aliceEmail, s.bobTT, s.bobAE)
	pAliceTT, pAliceAE := f.pseudonym("TikTokShop", s.aliceTT), f.pseudonym("AliExpress", s.aliceAE)
	pAliceEmail, pBobTT, pBobAE := f.pseudonym("email", s.aliceEmail), f.pseudonym("TikTokShop", s.bobTT), f.pseudonym("AliExpress", s.bobAE)
	f.forbid(pAliceTT, pAliceAE, pAliceEmail, pBobTT, pBobAE)
	// The subject files as a DataRequest's Secret mounts them; the email in another case than the records',
	// since emails match case-insensitively.
	s.dir = f.dir + "/subject-alice"
	f.write("subject-alice/email", s.aliceEmail+"\n")
	f.write("subject-alice/buyer_ids", "TikTokShop:"+s.aliceTT+"\n\nAliExpress:"+s.aliceAE+"\n")

	old, recent := time.Now().AddDate(0, 0, -400), time.Now().AddDate(0, 0, -1)
	addr := store.Address{Line1: "Alicestr. 1", City: "Berlin", PostalCode: "10115", Country: "DE"}
	st := openStore(t)
	ctx := context.Background()
	must := func(_ int, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	if err := st.EnsureSchema(ctx, f.tenant); err != nil {
		t.Fatal(err)
	}
	must(st.UpsertProducts(ctx, f.tenant, tiktokIntegration, []store.Product{{ExternalID: "p1", Title: "Mug", UpdatedAt: old}}))
	must(st.UpsertOrders(ctx, f.tenant, tiktokIntegration, []store.Order{
		{ExternalID: "o1", Status: "DELIVERED", UpdatedAt: old, BuyerPseudonym: pAliceTT, BuyerUserID: s.aliceTT,
			BuyerName: "Alice A", ShippingAddress: addr},
		{ExternalID: "o2", Status: "UNPAID", UpdatedAt: recent, BuyerPseudonym: pAliceEmail, BuyerEmail: s.aliceEmail,
			BuyerName: "Alice A"},
		{ExternalID: "o3", Status: "SHIPPED", UpdatedAt: old, BuyerPseudonym: pBobTT, BuyerUserID: s.bobTT,
			BuyerName: "Bob B", ShippingAddress: addr},
	}))
	must(st.UpsertOrders(ctx, f.tenant, aliIntegration, []store.Order{
		{ExternalID: "a1", Status: "FINISH", UpdatedAt: recent, BuyerPseudonym: pAliceAE, BuyerUserID: s.aliceAE, BuyerName: "Alice A"},
	}))
	must(st.UpsertShipments(ctx, f.tenant, aliIntegration, []store.Shipment{
		{ExternalID: "a1/LP1", OrderExternalID: "a1", BuyerPseudonym: pAliceAE, RecipientName: "Alice A", Address: addr, UpdatedAt: recent},
	}))
	must(st.UpsertReturns(ctx, f.tenant, aliIntegration, []store.Return{
		{ExternalID: "77", OrderExternalID: "a1", Status: "processing", BuyerPseudonym: pAliceAE, BuyerName: "Alice A", UpdatedAt: old},
		{ExternalID: "78", OrderExternalID: "a9", Status: "processing", BuyerPseudonym: pBobAE, UpdatedAt: recent},
	}))
	return s
}

// subjectArgs are the flags of a data-subject task on alice.
func subjectArgs(f *fixture, s subjects, task string, extra ...string) []string {
	return append([]string{task, "--tenant=" + f.tenant, "--subject-dir=" + s.dir, "--hmac-key-file=" + f.keyFile,
		"--database-dsn-file=" + f.dsnFile}, extra...)
}
