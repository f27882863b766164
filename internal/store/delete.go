package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// DeleteCounts is what Purge or Retention did in one category.
type DeleteCounts struct {
	// Deleted is how many records were deleted (for an order's address: cleared).
	Deleted int64
	// Held is how many records were due for deletion but kept by a legal hold.
	Held int64
}

// DeleteResult is the report of Purge or Retention, by category; categories with nothing to report are absent.
type DeleteResult struct {
	Categories map[string]DeleteCounts
	// SchemaDropped is set when a whole-tenant purge with nothing held dropped the tenant's schema.
	SchemaDropped bool
}

func (r *DeleteResult) add(category string, c DeleteCounts) {
	if c == (DeleteCounts{}) {
		return
	}
	sum := r.Categories[category]
	sum.Deleted += c.Deleted
	sum.Held += c.Held
	r.Categories[category] = sum
}

// age is how old a record is for retention: the platform's last change, or our last change when the platform
// sends no time.
const age = "coalesce(updated_at, synced_at)"

// expiry says which records are due: those of integration ("" for all) older than the cutoff of their category.
// A category without a cutoff is not due at all; purge uses +infinity for every category.
type expiry struct {
	integration string
	cutoff      map[string]pgtype.Timestamptz
}

// deleteDue deletes the due records of every table, keeping held categories, inside the caller's transaction.
func deleteDue(ctx context.Context, tx pgx.Tx, t tenantTables, due expiry, held map[string]bool) (DeleteResult, error) {
	res := DeleteResult{Categories: map[string]DeleteCounts{}}
	for _, d := range []struct{ table, category string }{
		{t.products, CategoryProducts},
		{t.shipments, CategoryShipping},
		{t.returns, CategorySupport},
	} {
		cut, ok := due.cutoff[d.category]
		if !ok {
			continue
		}
		where := fmt.Sprintf(`($1 = '' OR integration = $1) AND %s < $2`, age)
		var n int64
		if held[d.category] {
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+d.table+` WHERE `+where, due.integration, cut).Scan(&n); err != nil {
				return res, fmt.Errorf("store: count held %s records: %w", d.category, err)
			}
			res.add(d.category, DeleteCounts{Held: n})
			continue
		}
		tag, err := tx.Exec(ctx, `DELETE FROM `+d.table+` WHERE `+where, due.integration, cut)
		if err != nil {
			return res, fmt.Errorf("store: delete %s records: %w", d.category, err)
		}
		res.add(d.category, DeleteCounts{Deleted: tag.RowsAffected()})
	}
	if err := deleteDueOrders(ctx, tx, t, due, held, &res); err != nil {
		return res, err
	}
	return res, nil
}

// deleteDueOrders handles orders, whose rows carry two categories. An order row is deleted when the order is due
// and not held and its address, if any, may go too; a due address on a kept row is cleared instead. An address
// lives no longer than its order unless shipping is held; a shipping hold keeps the whole row of an order that has
// an address, so the order counts as held too.
func deleteDueOrders(ctx context.Context, tx pgx.Tx, t tenantTables, due expiry, held map[string]bool, res *DeleteResult) error {
	orderCut, orderRule := due.cutoff[CategoryOrders]
	shipCut, shipRule := due.cutoff[CategoryShipping]
	if !orderRule && !shipRule {
		return nil
	}
	var deleted, ordersDue, addrGone, addrHeld int64
	err := tx.QueryRow(ctx, fmt.Sprintf(`
		WITH c AS (
			SELECT id, %[2]s AS has_address,
				($2 AND %[3]s < $3) AS order_due,
				%[2]s AND (($4 AND %[3]s < $5) OR ($2 AND %[3]s < $3 AND NOT $6)) AS address_due
			FROM %[1]s
			WHERE ($1 = '' OR integration = $1) AND (($2 AND %[3]s < $3) OR ($4 AND %[3]s < $5))
			FOR UPDATE
		), del AS (
			DELETE FROM %[1]s o USING c
			WHERE o.id = c.id AND c.order_due AND NOT $6 AND (NOT c.has_address OR NOT $7)
			RETURNING o.id
		), cleared AS (
			UPDATE %[1]s o SET ship_address_line1 = NULL, ship_address_line2 = NULL, ship_city = NULL,
				ship_postal_code = NULL, ship_region = NULL, ship_country = NULL
			FROM c
			WHERE o.id = c.id AND c.address_due AND NOT $7 AND NOT (c.order_due AND NOT $6)
			RETURNING o.id
		)
		SELECT (SELECT count(*) FROM del),
			(SELECT count(*) FROM c WHERE order_due),
			(SELECT count(*) FROM c WHERE address_due AND NOT $7),
			(SELECT count(*) FROM c WHERE address_due AND $7)`, t.orders, hasAddress, age),
		due.integration, orderRule, orderCut, shipRule, shipCut, held[CategoryOrders], held[CategoryShipping],
	).Scan(&deleted, &ordersDue, &addrGone, &addrHeld)
	if err != nil {
		return fmt.Errorf("store: delete orders: %w", err)
	}
	res.add(CategoryOrders, DeleteCounts{Deleted: deleted, Held: ordersDue - deleted})
	res.add(CategoryShipping, DeleteCounts{Deleted: addrGone, Held: addrHeld})
	return nil
}
