package worker

import (
	"context"

	"github.com/alitok/workspace-operator/internal/contract"

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
func runPurge(ctx context.Context, r *runner, in *contract.Purge) error {
	r.res.Tenant, r.res.Integration = in.Tenant, in.Integration
	if err := checkTenant(in.Tenant); err != nil {
		return err
	}
	if in.Integration != "" {
		if err := checkIntegration("integration", in.Integration); err != nil {
			return err
		}
	}
	st, err := r.openStore(ctx, in.Database.Path)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := st.Purge(ctx, in.Tenant, in.Integration, heldMap(in.Held))
	if err != nil {
		return dbError("purge", err)
	}
	r.reportDeletes(res)
	return nil
}

// runRetention deletes records older than --keep's days of their category, except held categories.
func runRetention(ctx context.Context, r *runner, in *contract.Retention) error {
	r.res.Tenant = in.Tenant
	if err := checkTenant(in.Tenant); err != nil {
		return err
	}
	keep := make(map[string]int, len(in.Keep))
	for _, rule := range in.Keep {
		keep[string(rule.Category)] = rule.Days
	}
	st, err := r.openStore(ctx, in.Database.Path)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := st.Retention(ctx, in.Tenant, keep, heldMap(in.Held), r.env.now())
	if err != nil && !noSchema(err) {
		return dbError("retention", err)
	}
	r.reportDeletes(res)
	return nil
}
