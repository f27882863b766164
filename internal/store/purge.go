package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// Purge deletes all data of one integration, or of the whole tenant when integration is empty, except records of
// held categories. A whole-tenant purge with nothing held drops the tenant's schema, so no table, index or erasure
// list is left behind. Purge is idempotent: a tenant already purged (schema gone) reports nothing and no error.
func (s *Store) Purge(ctx context.Context, tenant, integration string, held map[string]bool) (DeleteResult, error) {
	res := DeleteResult{Categories: map[string]DeleteCounts{}}
	schema, err := SchemaName(tenant)
	if err != nil {
		return res, err
	}
	held, err = heldSet(held)
	if err != nil {
		return res, err
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		// The schema lock keeps a concurrent EnsureSchema from recreating tables halfway through a drop.
		if err := lockSchema(ctx, tx, schema); err != nil {
			return err
		}
		ok, err := schemaExists(ctx, tx, schema)
		if err != nil || !ok {
			return err
		}
		t := tablesOf(schema)
		if integration == "" && len(held) == 0 {
			if res, err = countAll(ctx, tx, t); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DROP SCHEMA `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
				return fmt.Errorf("store: purge: drop schema %s: %w", schema, err)
			}
			res.SchemaDropped = true
			return nil
		}
		everything := pgtype.Timestamptz{InfinityModifier: pgtype.Infinity, Valid: true}
		due := expiry{integration: integration, cutoff: map[string]pgtype.Timestamptz{}}
		for _, c := range AllCategories {
			due.cutoff[c] = everything
		}
		res, err = deleteDue(ctx, tx, t, due, held)
		return err
	})
	if err != nil {
		return DeleteResult{Categories: map[string]DeleteCounts{}}, err
	}
	return res, nil
}

// countAll counts what a schema drop deletes, so a whole-tenant purge reports like any other.
func countAll(ctx context.Context, tx pgx.Tx, t tenantTables) (DeleteResult, error) {
	res := DeleteResult{Categories: map[string]DeleteCounts{}}
	var products, orders, addresses, shipments, returns int64
	err := tx.QueryRow(ctx, fmt.Sprintf(`SELECT (SELECT count(*) FROM %s), (SELECT count(*) FROM %s),
		(SELECT count(*) FROM %s WHERE %s), (SELECT count(*) FROM %s), (SELECT count(*) FROM %s)`,
		t.products, t.orders, t.orders, hasAddress, t.shipments, t.returns),
	).Scan(&products, &orders, &addresses, &shipments, &returns)
	if err != nil {
		return res, fmt.Errorf("store: purge: count records: %w", err)
	}
	res.add(CategoryProducts, DeleteCounts{Deleted: products})
	res.add(CategoryOrders, DeleteCounts{Deleted: orders})
	res.add(CategoryShipping, DeleteCounts{Deleted: addresses + shipments})
	res.add(CategorySupport, DeleteCounts{Deleted: returns})
	return res, nil
}
