package worker

import (
	"context"
	"slices"
	"testing"

	"github.com/alitok/workspace-operator/internal/store"
)

func TestPurgeIntegrationThenTenant(t *testing.T) {
	f := newFixture(t)
	seed(t, f)
	purge := func(extra ...string) outcome {
		return f.run(append([]string{"purge", "--tenant=" + f.tenant, "--database-dsn-file=" + f.dsnFile}, extra...)...).ok(t)
	}

	r := purge("--integration=" + aliIntegration)
	// a1; shipment a1/LP1 (a1 itself has no address); returns 77 and 78.
	if r.count("counts", "orders", "deleted") != 1 || r.count("counts", "shipping", "deleted") != 1 ||
		r.count("counts", "support", "deleted") != 2 || r.count("totals", "deleted") != 4 {
		t.Errorf("counts = %v", r.result["counts"])
	}
	for _, table := range []string{"orders", "shipments", "returns"} {
		if n := countRows(t, f.tenant, table, "integration = $1", aliIntegration); n != 0 {
			t.Errorf("%d %s of the purged integration left", n, table)
		}
	}
	if n := countRows(t, f.tenant, "orders", "integration = $1", tiktokIntegration); n != 3 {
		t.Errorf("the other integration lost orders: %d left", n)
	}
	if again := purge("--integration=" + aliIntegration); again.count("totals", "deleted") != 0 {
		t.Errorf("second purge deleted %s", again.raw)
	}

	// The whole tenant, orders under a hold: the orders stay, but their addresses (shipping, not held) go.
	held := purge("--held-categories=orders")
	if !slices.Equal(held.held(), []string{"orders"}) || held.count("counts", "orders", "held") != 3 ||
		held.count("counts", "shipping", "deleted") != 2 || held.count("counts", "products", "deleted") != 1 ||
		held.result["schemaDropped"] != nil {
		t.Errorf("held purge = %s", held.raw)
	}
	if countRows(t, f.tenant, "orders", "ship_city IS NULL") != 3 || countRows(t, f.tenant, "products", "") != 0 {
		t.Error("held purge did not keep exactly the held orders, without addresses")
	}

	all := purge()
	if all.result["schemaDropped"] != true || all.count("counts", "orders", "deleted") != 3 {
		t.Errorf("tenant purge = %s", all.raw)
	}
	if schemaExists(t, f.tenant) {
		t.Error("schema still there after the tenant's purge")
	}
	if again := purge(); again.count("totals", "deleted") != 0 || again.result["schemaDropped"] != nil {
		t.Errorf("purging a purged tenant = %s", again.raw)
	}
}

func TestRetention(t *testing.T) {
	f := newFixture(t)
	seed(t, f)
	retention := func(extra ...string) outcome {
		return f.run(append([]string{"retention", "--tenant=" + f.tenant, "--database-dsn-file=" + f.dsnFile}, extra...)...).ok(t)
	}

	// Old records: product p1, orders o1 and o3 (both with an address), return 77. Support is held.
	r := retention("--keep=orders=365,support=30,logs=30", "--held-categories=support")
	if r.count("counts", "orders", "deleted") != 2 || r.count("counts", "support", "held") != 1 ||
		r.count("counts", "support", "deleted") != 0 || !slices.Equal(r.held(), []string{"support"}) {
		t.Errorf("retention = %s", r.raw)
	}
	if countRows(t, f.tenant, "orders", "") != 2 || countRows(t, f.tenant, "products", "") != 1 ||
		countRows(t, f.tenant, "returns", "") != 2 {
		t.Error("the database does not match the counts")
	}
	again := retention("--keep=orders=365,support=30,logs=30", "--held-categories=support")
	if again.count("totals", "deleted") != 0 || again.count("totals", "held") != 1 {
		t.Errorf("second retention = %s", again.raw)
	}
	lifted := retention("--keep=support=30")
	if lifted.count("counts", "support", "deleted") != 1 || len(lifted.held()) != 0 {
		t.Errorf("retention after the hold = %s", lifted.raw)
	}

	// A tenant without data: nothing to do, not a failure.
	other := *f
	other.tenant = newTenant(t)
	if r := other.run("retention", "--tenant="+other.tenant, "--database-dsn-file="+f.dsnFile, "--keep=orders=1").ok(t); r.count("totals", "deleted") != 0 {
		t.Errorf("retention of an empty tenant = %s", r.raw)
	}
}

func schemaExists(t *testing.T, tenant string) bool {
	t.Helper()
	schema, err := store.SchemaName(tenant)
	if err != nil {
		t.Fatal(err)
	}
	var ok bool
	if err := db(t).QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`,
		schema).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}
