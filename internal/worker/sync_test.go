package worker

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alitok/workspace-operator/internal/contract"
	"github.com/alitok/workspace-operator/internal/provider/tiktokshop/tiktokshoptest"
)

// buyer is a data subject of the fake platforms.
type buyer struct {
	id, email, name string
}

func newBuyer(f *fixture, name string) buyer {
	b := buyer{id: "u-" + name + "-" + randomHex(4), email: name + "." + randomHex(4) + "@example.com",
		name: strings.ToUpper(name[:1]) + name[1:] + " Example"}
	f.forbid(b.id, b.email)
	return b
}

func syncArgs(f *fixture, provider, feature, integration, baseURL, credsDir string, extra ...string) []string {
	return append([]string{"sync", "--tenant=" + f.tenant, "--integration=" + integration, "--provider=" + provider,
		"--feature=" + feature, "--account-id=" + testShopID, "--credentials-dir=" + credsDir,
		"--database-dsn-file=" + f.dsnFile, "--hmac-key-file=" + f.keyFile, "--api-base-url=" + baseURL}, extra...)
}

func TestSyncTikTokOrdersWritesOnceAndSkipsRestrictedBuyers(t *testing.T) {
	f := newFixture(t)
	tt := newFakeTikTok(t)
	alice, bob, carol := newBuyer(f, "alice"), newBuyer(f, "bob"), newBuyer(f, "carol")
	carol.id = "" // known by email only
	day := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	tt.Seed(tiktokshoptest.FeatureOrders,
		tiktokshoptest.Order("o1", alice.tiktok(), "DELIVERED", day),
		tiktokshoptest.Order("o2", bob.tiktok(), "SHIPPED", day),
		tiktokshoptest.Order("o3", carol.tiktok(), "UNPAID", day),
		tiktokshoptest.Order("o4", alice.tiktok(), "AWAITING_SHIPMENT", day))
	expires := time.Now().Add(72 * time.Hour).Truncate(time.Second)
	args := syncArgs(f, "TikTokShop", "orders", "tiktok-shop", tt.url, tt.credentials(f, true, expires))
	pAlice, pBob, pCarol := f.pseudonym("TikTokShop", alice.id), f.pseudonym("TikTokShop", bob.id), f.pseudonym("email", carol.email)
	f.forbid(pAlice, pBob, pCarol)

	first := f.run(args...).ok(t)
	if first.count("counts", "fetched") != 4 || first.count("counts", "written") != 4 || first.count("counts", "skippedRestricted") != 0 {
		t.Errorf("first sync counts = %v, want 4 fetched, 4 written", first.result["counts"])
	}
	if got := countRows(t, f.tenant, "orders", "integration = 'tiktok-shop'"); got != 4 {
		t.Errorf("orders stored = %d, want 4", got)
	}
	for _, c := range []struct{ id, pseudonym string }{{"o1", pAlice}, {"o2", pBob}, {"o3", pCarol}, {"o4", pAlice}} {
		if got := column(t, f.tenant, "orders", "buyer_pseudonym", "tiktok-shop", c.id); got != c.pseudonym {
			t.Errorf("order %s is stored under the wrong pseudonym", c.id)
		}
	}
	if got := column(t, f.tenant, "orders", "ship_address_line1", "tiktok-shop", "o1"); got != "Examplestr. 1" {
		t.Errorf("o1 address = %q", got)
	}
	cursor, err := time.Parse(time.RFC3339, first.result["cursor"].(string))
	if err != nil || time.Since(cursor) > time.Minute {
		t.Errorf("cursor = %v (%v), want about now", first.result["cursor"], err)
	}
	if first.result["tokenExpiresAt"] != expires.UTC().Format(time.RFC3339) {
		t.Errorf("tokenExpiresAt = %v, want %s", first.result["tokenExpiresAt"], expires.UTC().Format(time.RFC3339))
	}
	if !strings.Contains(first.stdout, "fetched 4, written 4") {
		t.Errorf("summary = %q", first.stdout)
	}
	// Two pages of two: the second asked for by the first's token, every request signed (the fake checks).
	var tokens []string
	for _, r := range tt.Requests() {
		tokens = append(tokens, r.Query.Get("page_token"))
	}
	if strings.Join(tokens, ",") != ",page-2" {
		t.Errorf("page tokens sent = %q, want [\"\", page-2]", tokens)
	}

	second := f.run(args...).ok(t)
	if second.count("counts", "fetched") != 4 || second.count("counts", "written") != 0 {
		t.Errorf("second sync counts = %v, want 4 fetched, 0 written", second.result["counts"])
	}

	// Bob restricts processing; his order changes at the platform, and dave, also restricted, orders for the
	// first time. Neither reaches the database; the others are unchanged and not rewritten.
	dave := newBuyer(f, "dave")
	pDave := f.pseudonym("TikTokShop", dave.id)
	f.forbid(pDave)
	tt.Seed(tiktokshoptest.FeatureOrders,
		tiktokshoptest.Order("o1", alice.tiktok(), "DELIVERED", day),
		tiktokshoptest.Order("o2", bob.tiktok(), "DELIVERED", day.Add(time.Hour)),
		tiktokshoptest.Order("o3", carol.tiktok(), "UNPAID", day),
		tiktokshoptest.Order("o4", alice.tiktok(), "AWAITING_SHIPMENT", day),
		tiktokshoptest.Order("o5", dave.tiktok(), "UNPAID", day))
	list, _ := json.Marshal([]string{pBob, pDave})
	restricted := f.run(append(args, "--restriction-list="+f.write("restrictions.json", string(list)),
		"--since="+first.result["cursor"].(string))...).ok(t)
	if restricted.count("counts", "fetched") != 5 || restricted.count("counts", "written") != 0 ||
		restricted.count("counts", "skippedRestricted") != 2 {
		t.Errorf("restricted sync counts = %v, want 5 fetched, 0 written, 2 skipped", restricted.result["counts"])
	}
	if got := column(t, f.tenant, "orders", "status", "tiktok-shop", "o2"); got != "SHIPPED" {
		t.Errorf("restricted buyer's order was updated: status %s", got)
	}

	// The same restrictions as the operator mounts them: the restriction-list ConfigMap as a folder, one file
	// per request, made with PseudonymizeSubject from the subject Secrets' buyer IDs.
	dir := t.TempDir()
	for name, buyer := range map[string]string{"dr-bob.json": bob.id, "dr-dave.json": dave.id} {
		entry, _ := json.Marshal(PseudonymizeSubject(f.key, "", "TikTokShop:"+buyer))
		if err := os.WriteFile(filepath.Join(dir, name), entry, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "..data"), 0o700); err != nil {
		t.Fatal(err)
	}
	fromDir := f.run(append(args, "--restriction-dir="+dir, "--since="+first.result["cursor"].(string))...).ok(t)
	if fromDir.count("counts", "skippedRestricted") != 2 || fromDir.count("counts", "written") != 0 {
		t.Errorf("sync with --restriction-dir counts = %v, want the same 2 skipped", fromDir.result["counts"])
	}
	if missing := f.run(append(args, "--restriction-dir="+filepath.Join(dir, "absent"))...); missing.exit == 0 {
		t.Error("a missing restriction folder did not fail the sync")
	}
	if got := countRows(t, f.tenant, "orders", "external_id = 'o5'"); got != 0 {
		t.Errorf("restricted buyer's new order was stored")
	}
	// The cursor went out as the lower bound of the listing.
	last := tt.Requests()[len(tt.Requests())-1]
	var filter map[string]any
	_ = json.Unmarshal([]byte(last.Body), &filter)
	if filter["update_time_ge"] != float64(cursor.Unix()) {
		t.Errorf("--since sent as update_time_ge = %v, want %d", filter["update_time_ge"], cursor.Unix())
	}
}

func TestSyncTikTokOtherFeatures(t *testing.T) {
	f := newFixture(t)
	tt := newFakeTikTok(t)
	ts := time.Now().Add(-time.Hour).Unix()
	tt.Seed(tiktokshoptest.FeatureProducts,
		map[string]any{"id": "p1", "title": "Mug", "status": "ACTIVATE", "update_time": ts, "skus": []map[string]any{
			{"id": "s1", "seller_sku": "MUG-1", "price": map[string]any{"currency": "EUR", "sale_price": "9.90"},
				"inventory": []map[string]any{{"quantity": 3}, {"quantity": 2}}},
			{"id": "s2", "seller_sku": "MUG-2", "inventory": []map[string]any{{"quantity": 1}}}}},
		map[string]any{"id": "p2", "title": "Cap", "status": "DRAFT", "update_time": ts})
	tt.Seed(tiktokshoptest.FeatureFulfillment,
		map[string]any{"id": "pk1", "status": "IN_TRANSIT", "tracking_number": "TRK1", "shipping_provider_name": "DHL",
			"update_time": ts, "orders": []map[string]any{{"id": "o1"}}})
	tt.Seed(tiktokshoptest.FeatureReturns,
		map[string]any{"return_id": "r1", "order_id": "o1", "return_status": "RETURN_OR_REFUND_REQUEST_PENDING",
			"return_type": "REFUND", "return_reason": "broken", "update_time": ts,
			"refund_amount": map[string]any{"currency": "EUR", "refund_total": "9.90"}})
	creds := tt.credentials(f, true, time.Time{})

	for _, c := range []struct {
		feature, table string
		n              int
	}{{"products", "products", 2}, {"fulfillment", "shipments", 1}, {"returns", "returns", 1}} {
		args := syncArgs(f, "TikTokShop", c.feature, "tiktok-shop", tt.url, creds)
		first := f.run(args...).ok(t)
		if first.count("counts", "fetched") != c.n || first.count("counts", "written") != c.n {
			t.Errorf("%s: counts = %v, want %d fetched and written", c.feature, first.result["counts"], c.n)
		}
		if got := countRows(t, f.tenant, c.table, ""); got != c.n {
			t.Errorf("%s: %d rows in %s, want %d", c.feature, got, c.table, c.n)
		}
		if _, ok := first.result["tokenExpiresAt"]; ok {
			t.Errorf("%s: tokenExpiresAt reported without an expiry file", c.feature)
		}
		if again := f.run(args...).ok(t); again.count("counts", "written") != 0 {
			t.Errorf("%s: second sync wrote %d", c.feature, again.count("counts", "written"))
		}
	}
	if got := column(t, f.tenant, "products", "quantity", "tiktok-shop", "p1"); got != "6" {
		t.Errorf("p1 quantity = %s, want 6 (all SKUs)", got)
	}
	if got := column(t, f.tenant, "products", "price_amount", "tiktok-shop", "p1"); got != "9.90" {
		t.Errorf("p1 price = %s", got)
	}
	if got := column(t, f.tenant, "shipments", "order_external_id", "tiktok-shop", "pk1"); got != "o1" {
		t.Errorf("pk1 order = %s", got)
	}
	if got := column(t, f.tenant, "returns", "refund_amount", "tiktok-shop", "r1"); got != "9.90" {
		t.Errorf("r1 refund = %s", got)
	}
}

func TestSyncTikTokFindsTheShopCipherByAccountID(t *testing.T) {
	f := newFixture(t)
	tt := newFakeTikTok(t)
	tt.Seed(tiktokshoptest.FeatureOrders, tiktokshoptest.Order("o1", newBuyer(f, "alice").tiktok(), "UNPAID", time.Now().Add(-time.Hour)))
	creds := tt.credentials(f, false, time.Time{})

	r := f.run(syncArgs(f, "TikTokShop", "orders", "tiktok-shop", tt.url, creds)...).ok(t)
	if r.count("counts", "written") != 1 {
		t.Errorf("counts = %v", r.result["counts"])
	}
	if seen := tt.Requests(); len(seen) == 0 || seen[0].Path != tiktokshoptest.PathShops {
		t.Errorf("first request = %+v, want the authorized-shops call", seen)
	}

	args := syncArgs(f, "TikTokShop", "orders", "tiktok-shop", tt.url, creds)
	args[5] = "--account-id=999"
	f.run(args...).failed(t, ExitFailed, contract.ReasonAccountNotAuthorized)
}

func TestSyncAliExpress(t *testing.T) {
	f := newFixture(t)
	ae := newFakeAliExpress(t)
	alice, bob := newBuyer(f, "alice"), newBuyer(f, "bob")
	pAlice, pBob := f.pseudonym("AliExpress", alice.id), f.pseudonym("AliExpress", bob.id)
	f.forbid(pAlice, pBob)
	at := time.Now().Add(-24 * time.Hour).Truncate(time.Second)
	ae.AddOrder("3051000000000000001", alice.aliexpress(), "WAIT_SELLER_SEND_GOODS", at)
	ae.AddOrder("3051000000000000002", bob.aliexpress(), "WAIT_SELLER_SEND_GOODS", at)
	ae.AddOrder("3051000000000000003", alice.aliexpress(), "WAIT_SELLER_SEND_GOODS", at)
	ae.AddProduct("1005001", "Lamp", at)
	ae.AddIssue("77", "3051000000000000002", bob.aliexpress(), "processing", at)
	creds := ae.credentials(f)

	for _, c := range []struct {
		feature, table string
		n              int
	}{{"orders", "orders", 3}, {"fulfillment", "shipments", 3}, {"products", "products", 1}, {"returns", "returns", 1}} {
		args := syncArgs(f, "AliExpress", c.feature, "aliexpress-main", ae.url, creds)
		first := f.run(args...).ok(t)
		if first.count("counts", "fetched") != c.n || first.count("counts", "written") != c.n {
			t.Errorf("%s: counts = %v, want %d fetched and written", c.feature, first.result["counts"], c.n)
		}
		if got := countRows(t, f.tenant, c.table, ""); got != c.n {
			t.Errorf("%s: %d rows in %s, want %d", c.feature, got, c.table, c.n)
		}
		if again := f.run(args...).ok(t); again.count("counts", "written") != 0 {
			t.Errorf("%s: second sync wrote %d", c.feature, again.count("counts", "written"))
		}
	}
	if got := countRows(t, f.tenant, "orders", "buyer_pseudonym = $1", pAlice); got != 2 {
		t.Errorf("alice's orders = %d, want 2", got)
	}
	if got := countRows(t, f.tenant, "shipments", "buyer_pseudonym = $1 AND city = 'Berlin'", pBob); got != 1 {
		t.Errorf("bob's shipments with address = %d, want 1", got)
	}
	if got := countRows(t, f.tenant, "returns", "buyer_pseudonym = $1", pBob); got != 1 {
		t.Errorf("bob's returns = %d, want 1", got)
	}
}
