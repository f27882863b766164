package worker

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alitok/workspace-operator/internal/contract"
	"github.com/alitok/workspace-operator/internal/provider/tiktokshop/tiktokshoptest"
	"github.com/alitok/workspace-operator/internal/store"
)

func TestEraseHonoursHoldsAndIsIdempotent(t *testing.T) {
	f := newFixture(t)
	s := seed(t, f)

	first := f.run(subjectArgs(f, s, "erase", "--held-categories=support")...).ok(t)
	want := map[string]eraseCounts{
		"orders":   {Found: 3, Anonymized: 3},
		"shipping": {Found: 2, Erased: 1, Anonymized: 1},
		"support":  {Found: 1, Held: 1},
	}
	sameEraseCounts(t, first, want)
	if !slices.Equal(first.held(), []string{"support"}) {
		t.Errorf("held = %v, want [support]", first.held())
	}
	if first.count("totals", "found") != 6 || first.count("totals", "anonymized") != 4 || first.count("totals", "held") != 1 {
		t.Errorf("totals = %v", first.result["totals"])
	}
	// The database says what the counts say: alice's orders kept without her data, her shipment gone, her
	// return kept for the hold, bob untouched.
	for _, o := range []struct{ integration, id string }{{tiktokIntegration, "o1"}, {tiktokIntegration, "o2"}, {aliIntegration, "a1"}} {
		if got := column(t, f.tenant, "orders", "buyer_name", o.integration, o.id); got != "<null>" {
			t.Errorf("order %s buyer name = %q after erasure", o.id, got)
		}
		if got := column(t, f.tenant, "orders", "buyer_pseudonym", o.integration, o.id); got != store.Tombstone {
			t.Errorf("order %s pseudonym not tombstoned", o.id)
		}
	}
	if got := column(t, f.tenant, "orders", "ship_city", tiktokIntegration, "o1"); got != "<null>" {
		t.Errorf("o1 address kept: %q", got)
	}
	if countRows(t, f.tenant, "shipments", "") != 0 {
		t.Error("alice's shipment kept")
	}
	if got := column(t, f.tenant, "returns", "buyer_name", aliIntegration, "77"); got != "Alice A" {
		t.Errorf("held return changed: %q", got)
	}
	if got := column(t, f.tenant, "orders", "buyer_name", tiktokIntegration, "o3"); got != "Bob B" {
		t.Errorf("bob's order changed: %q", got)
	}

	again := f.run(subjectArgs(f, s, "erase", "--held-categories=support")...).ok(t)
	sameEraseCounts(t, again, map[string]eraseCounts{"support": {Found: 1, Held: 1}})
	if again.count("totals", "erased")+again.count("totals", "anonymized") != 0 {
		t.Errorf("second erasure changed records: %s", again.raw)
	}

	// The hold is lifted; erasure scoped to support takes the return.
	lifted := f.run(subjectArgs(f, s, "erase", "--categories=support", "--integrations="+aliIntegration)...).ok(t)
	sameEraseCounts(t, lifted, map[string]eraseCounts{"support": {Found: 1, Erased: 1}})
	if len(lifted.held()) != 0 || countRows(t, f.tenant, "returns", "external_id = '77'") != 0 {
		t.Errorf("return 77 not erased: %s", lifted.raw)
	}
	done := f.run(subjectArgs(f, s, "erase")...).ok(t)
	sameEraseCounts(t, done, map[string]eraseCounts{})
	if !strings.Contains(done.stdout, "found 0, erased 0, anonymized 0") {
		t.Errorf("summary = %q", done.stdout)
	}
}

func sameEraseCounts(t *testing.T, r outcome, want map[string]eraseCounts) {
	t.Helper()
	var got map[string]eraseCounts
	b, _ := json.Marshal(r.result["counts"])
	if err := json.Unmarshal(b, &got); err != nil || len(got) != len(want) {
		t.Errorf("counts = %s, want %+v", b, want)
		return
	}
	for c, w := range want {
		if got[c] != w {
			t.Errorf("counts = %s, want %+v", b, want)
			return
		}
	}
}

// TestEraseFindsWhatSyncWrote ties the two ends of the pseudonym contract: a buyer ID as the subject's
// buyer_ids file lists it finds the orders a sync stored for that buyer.
func TestEraseFindsWhatSyncWrote(t *testing.T) {
	f := newFixture(t)
	tt := newFakeTikTok(t)
	alice, bob := newBuyer(f, "alice"), newBuyer(f, "bob")
	at := time.Now().Add(-time.Hour)
	tt.Seed(tiktokshoptest.FeatureOrders, tiktokshoptest.Order("o1", alice.tiktok(), "UNPAID", at),
		tiktokshoptest.Order("o2", bob.tiktok(), "UNPAID", at), tiktokshoptest.Order("o3", alice.tiktok(), "UNPAID", at))
	f.forbid(f.pseudonym("TikTokShop", alice.id), f.pseudonym("TikTokShop", bob.id))
	f.run(syncArgs(f, "TikTokShop", "orders", "tiktok-shop", tt.url, tt.credentials(f, true, time.Time{}))...).ok(t)

	dir := filepath.Dir(f.write("subject/buyer_ids", "TikTokShop:"+alice.id+"\n"))
	r := f.run("erase", "--tenant="+f.tenant, "--subject-dir="+dir, "--hmac-key-file="+f.keyFile, "--database-dsn-file="+f.dsnFile).ok(t)
	if r.count("counts", "orders", "found") != 2 || r.count("counts", "orders", "anonymized") != 2 ||
		r.count("counts", "shipping", "anonymized") != 2 {
		t.Errorf("counts = %v, want alice's 2 orders and their addresses", r.result["counts"])
	}
	// The next sync brings nothing erased back.
	again := f.run(syncArgs(f, "TikTokShop", "orders", "tiktok-shop", tt.url, tt.credentials(f, true, time.Time{}))...).ok(t)
	if again.count("counts", "written") != 0 || column(t, f.tenant, "orders", "buyer_name", "tiktok-shop", "o1") != "<null>" {
		t.Errorf("re-sync restored erased data: %s", again.raw)
	}
}

func TestExport(t *testing.T) {
	f := newFixture(t)
	s := seed(t, f)
	out := filepath.Join(f.dir, "export.json")

	r := f.run(subjectArgs(f, s, "export", "--output="+out, "--held-categories=orders")...).ok(t)
	doc, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(doc)
	if r.result["sha256"] != hex.EncodeToString(sum[:]) || r.count("bytes") != len(doc) {
		t.Errorf("sha256/bytes = %v/%v, want those of the file (%d bytes)", r.result["sha256"], r.result["bytes"], len(doc))
	}
	var exported store.ExportDocument
	if err := json.Unmarshal(doc, &exported); err != nil {
		t.Fatal(err)
	}
	if len(exported.Orders) != 3 || len(exported.Shipping) != 2 || len(exported.Support) != 1 {
		t.Errorf("export holds %d orders, %d shipping, %d support records; want 3, 2, 1",
			len(exported.Orders), len(exported.Shipping), len(exported.Support))
	}
	if r.count("counts", "orders") != 3 || r.count("counts", "shipping") != 2 || r.count("counts", "support") != 1 ||
		r.count("totals", "records") != 6 {
		t.Errorf("counts = %v, totals = %v", r.result["counts"], r.result["totals"])
	}
	if !strings.Contains(string(doc), s.aliceTT) {
		t.Error("the export lacks the subject's own data")
	}
	if info, _ := os.Stat(out); info.Mode().Perm() != 0o600 {
		t.Errorf("export file mode %v, want 0600", info.Mode().Perm())
	}
	if _, ok := r.result["held"]; ok {
		t.Errorf("holds reported for an access request, which they do not restrict: %s", r.raw)
	}

	again := f.run(subjectArgs(f, s, "export", "--output="+out)...).ok(t)
	if again.result["sha256"] != r.result["sha256"] {
		t.Error("exporting unchanged data twice gave different documents")
	}
	scoped := f.run(subjectArgs(f, s, "export", "--output="+out, "--categories=support")...).ok(t)
	if scoped.count("totals", "records") != 1 {
		t.Errorf("scoped export counts = %v", scoped.result["counts"])
	}
	f.run(subjectArgs(f, s, "export", "--output="+out, "--max-bytes=200")...).failed(t, ExitFailed, contract.ReasonExportTooLarge)

	// A tenant that never synced has nothing on anyone: an empty export, not a failure.
	other := *f
	other.tenant = newTenant(t)
	empty := other.run(subjectArgs(&other, s, "export", "--output="+out)...).ok(t)
	if empty.count("totals", "records") != 0 {
		t.Errorf("empty export = %s", empty.raw)
	}
}

func TestRectify(t *testing.T) {
	f := newFixture(t)
	s := seed(t, f)
	f.write("subject-alice/corrections.json", `{"name": "Alice Corrected-4e2a", "city": "Hamburg-91bc"}`)
	f.forbid("Alice Corrected-4e2a", "Hamburg-91bc")

	r := f.run(subjectArgs(f, s, "rectify", "--held-categories=orders")...).ok(t)
	if r.count("counts", "orders") != 3 || r.count("counts", "shipping") != 2 || r.count("counts", "support") != 1 ||
		r.count("totals", "corrected") != 6 {
		t.Errorf("counts = %v, totals = %v; want orders 3, shipping 2, support 1", r.result["counts"], r.result["totals"])
	}
	if got := countRows(t, f.tenant, "orders", "buyer_name = 'Alice Corrected-4e2a'"); got != 3 {
		t.Errorf("orders corrected = %d, want 3", got)
	}
	if got := countRows(t, f.tenant, "orders", "ship_city = 'Hamburg-91bc'"); got != 1 {
		t.Errorf("order addresses corrected = %d, want 1", got)
	}
	if got := column(t, f.tenant, "orders", "buyer_name", tiktokIntegration, "o3"); got != "Bob B" {
		t.Errorf("bob's order changed: %q", got)
	}
	again := f.run(subjectArgs(f, s, "rectify")...).ok(t)
	if again.count("totals", "corrected") != 0 {
		t.Errorf("second rectification corrected %s", again.raw)
	}

	f.write("subject-alice/corrections.json", `{"shoe_size": "44"}`)
	f.run(subjectArgs(f, s, "rectify")...).failed(t, ExitFailed, contract.ReasonInvalidInput)
	f.write("subject-alice/corrections.json", `["Alice Corrected-4e2a"]`)
	r = f.run(subjectArgs(f, s, "rectify")...).failed(t, ExitFailed, contract.ReasonInvalidInput)
	if !strings.Contains(r.errorText(), "corrections.json is malformed") {
		t.Errorf("error = %q", r.errorText())
	}
	os.Remove(filepath.Join(s.dir, "corrections.json"))
	f.run(subjectArgs(f, s, "rectify")...).failed(t, ExitFailed, contract.ReasonInvalidInput)
}

func TestSubjectDirWithoutIdentifiers(t *testing.T) {
	f := newFixture(t)
	s := seed(t, f)
	for _, c := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"empty directory", nil, "holds no identifier"},
		{"blank files", map[string]string{"email": "\n", "buyer_ids": "\n  \n"}, "holds no identifier"},
		{"not an email", map[string]string{"email": "Alice Example 5f0c"}, "does not hold an email address"},
		{"bad buyer id line", map[string]string{"buyer_ids": "TikTokShop:u-1\nAmazon:zz-77d1\n"}, "line 2 is not <provider>:<buyer id>"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := f.with(t)
			dir := filepath.Join(f.dir, "subject-"+randomHex(4))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for name, content := range c.files {
				f.write(strings.TrimPrefix(filepath.Join(dir, name), f.dir+"/"), content)
			}
			f.forbid("Alice Example 5f0c", "zz-77d1")
			for _, args := range [][]string{{"erase"}, {"export", "--output=" + filepath.Join(dir, "out.json")}} {
				args = append(args, "--tenant="+f.tenant, "--subject-dir="+dir, "--hmac-key-file="+f.keyFile,
					"--database-dsn-file="+f.dsnFile)
				r := f.run(args...).failed(t, ExitFailed, contract.ReasonInvalidInput)
				if !strings.Contains(r.errorText(), c.want) || !strings.Contains(r.errorText(), dir) {
					t.Errorf("%s: error %q does not say %q about %s", args[0], r.errorText(), c.want, dir)
				}
			}
		})
	}
	// Nothing was touched.
	if countRows(t, f.tenant, "orders", "buyer_name IS NOT NULL") != 4 {
		t.Error("a failed request changed data")
	}
	_ = s
}
