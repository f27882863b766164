package worker

import (
	"context"

	"github.com/alitok/workspace-operator/internal/store"
)

// deleteCounts is the report of purge and retention for one category.
type deleteCounts struct {
	Deleted int64 `json:"deleted"`
	Held    int64 `json:"held,omitempty"`
}

// reportDeletes fills the result from a purge or retention.
func (r *runner) reportDeletes(res store.DeleteResult) {
	counts := map[string]deleteCounts{}
	totals := map[string]int64{"deleted": 0, "held": 0}
	var held []string
	for _, c := range store.AllCategories {
		n, ok := res.Categories[c]
		if !ok {
			continue
		}
		counts[c] = deleteCounts{Deleted: n.Deleted, Held: n.Held}
		totals["deleted"] += n.Deleted
		totals["held"] += n.Held
		if n.Held > 0 {
			held = append(held, c)
		}
	}
	r.res.Counts, r.res.Totals, r.res.Held, r.res.SchemaDropped = counts, totals, held, res.SchemaDropped
}

// runPurge deletes an Integration's data, or the whole tenant's without --integration, except held categories.
// A tenant already purged reports nothing deleted.
func runPurge(ctx context.Context, r *runner, args []string) error {
	var tenant, integration, dsnFile string
	var held listFlag
	fs := r.newFlags("purge")
	fs.StringVar(&tenant, "tenant", "", "the Tenant (required)")
	fs.StringVar(&integration, "integration", "", "the Integration whose data is purged (default: the whole tenant's)")
	fs.Var(&held, "held-categories", "comma-separated data categories under a legal hold")
	fs.StringVar(&dsnFile, "database-dsn-file", "", "file holding the PostgreSQL DSN (required)")
	if err := r.parse(fs, args); err != nil {
		return err
	}
	r.res.Tenant, r.res.Integration = tenant, integration
	if err := required(map[string]string{"tenant": tenant, "database-dsn-file": dsnFile}); err != nil {
		return err
	}
	if err := checkTenant(tenant); err != nil {
		return err
	}
	if integration != "" {
		if err := checkIntegration("integration", integration); err != nil {
			return err
		}
	}
	if err := checkCategories("held-categories", held); err != nil {
		return err
	}
	st, err := r.openStore(ctx, dsnFile)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := st.Purge(ctx, tenant, integration, heldMap(held))
	if err != nil {
		return dbError("purge", err)
	}
	r.reportDeletes(res)
	return nil
}

// runRetention deletes records older than --keep's days of their category, except held categories.
func runRetention(ctx context.Context, r *runner, args []string) error {
	var tenant, keepFlag, dsnFile string
	var held listFlag
	fs := r.newFlags("retention")
	fs.StringVar(&tenant, "tenant", "", "the Tenant (required)")
	fs.StringVar(&keepFlag, "keep", "", "retention rules <category>=<days>, comma-separated, e.g. orders=2555,logs=30 (required)")
	fs.Var(&held, "held-categories", "comma-separated data categories under a legal hold")
	fs.StringVar(&dsnFile, "database-dsn-file", "", "file holding the PostgreSQL DSN (required)")
	if err := r.parse(fs, args); err != nil {
		return err
	}
	r.res.Tenant = tenant
	if err := required(map[string]string{"tenant": tenant, "database-dsn-file": dsnFile}); err != nil {
		return err
	}
	if err := checkTenant(tenant); err != nil {
		return err
	}
	keep, err := parseKeep(keepFlag)
	if err != nil {
		return err
	}
	if err := checkCategories("held-categories", held); err != nil {
		return err
	}
	st, err := r.openStore(ctx, dsnFile)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := st.Retention(ctx, tenant, keep, heldMap(held), r.env.now())
	if err != nil && !noSchema(err) {
		return dbError("retention", err)
	}
	r.reportDeletes(res)
	return nil
}
