package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// EraseCounts is what erasure found and did in one category.
type EraseCounts struct {
	// Found is how many of the subject's records in scope were found.
	Found int64
	// Erased is how many records were deleted.
	Erased int64
	// Anonymized is how many records were kept (orders, for accounting) with their personal data removed.
	Anonymized int64
	// Held is how many records a legal hold kept untouched.
	Held int64
}

// EraseResult is erasure's report, by category. Categories with nothing found are absent.
type EraseResult struct {
	Categories map[string]EraseCounts
}

// HeldCategories lists the categories in which a hold kept records, in the API's order.
func (r EraseResult) HeldCategories() []string {
	var out []string
	for _, c := range AllCategories {
		if r.Categories[c].Held > 0 {
			out = append(out, c)
		}
	}
	return out
}

func (r *EraseResult) add(category string, c EraseCounts) {
	if c == (EraseCounts{}) {
		return
	}
	sum := r.Categories[category]
	sum.Found += c.Found
	sum.Erased += c.Erased
	sum.Anonymized += c.Anonymized
	sum.Held += c.Held
	r.Categories[category] = sum
}

// Erase removes the personal data of the subjects known by subjectPseudonyms, within scope, except in held
// categories. Shipments and returns are deleted; orders are kept for accounting with the buyer columns (orders)
// and address columns (shipping) nulled and the pseudonym replaced by Tombstone once nothing personal is left.
// An order whose address is held keeps its pseudonym, so the held data stays findable for the hold and for a
// later erasure once the hold is lifted. Deleted records are remembered so a re-sync does not restore them.
//
// Erase is idempotent: run again, it erases and anonymizes nothing; records still held are reported as held.
func (s *Store) Erase(ctx context.Context, tenant string, subjectPseudonyms []string, scope Scope, held map[string]bool) (EraseResult, error) {
	res := EraseResult{Categories: map[string]EraseCounts{}}
	if err := checkSubjects(subjectPseudonyms); err != nil {
		return res, err
	}
	if err := scope.validate(); err != nil {
		return res, err
	}
	held, err := heldSet(held)
	if err != nil {
		return res, err
	}
	err = s.tenantTx(ctx, tenant, func(tx pgx.Tx, t tenantTables) error {
		if err := eraseOrders(ctx, tx, t, subjectPseudonyms, scope, held, &res); err != nil {
			return err
		}
		for _, d := range []struct{ table, name, category string }{
			{t.shipments, "shipments", CategoryShipping},
			{t.returns, "returns", CategorySupport},
		} {
			if !scope.includes(d.category) {
				continue
			}
			c, err := eraseRows(ctx, tx, t, d.table, d.name, subjectPseudonyms, scope, held[d.category])
			if err != nil {
				return err
			}
			res.add(d.category, c)
		}
		return nil
	})
	if err != nil {
		return EraseResult{Categories: map[string]EraseCounts{}}, err
	}
	return res, nil
}

// eraseRows deletes the subject's rows of a table whose records can go entirely, remembering their ids.
func eraseRows(ctx context.Context, tx pgx.Tx, t tenantTables, table, name string, subjects []string, scope Scope, held bool) (EraseCounts, error) {
	if held {
		var n int64
		err := tx.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE buyer_pseudonym = ANY($1) AND `+inIntegrations(2),
			subjects, scope.integrations()).Scan(&n)
		if err != nil {
			return EraseCounts{}, fmt.Errorf("store: erase: count held %s: %w", name, err)
		}
		return EraseCounts{Found: n, Held: n}, nil
	}
	var n int64
	err := tx.QueryRow(ctx, fmt.Sprintf(`
		WITH d AS (
			DELETE FROM %[1]s WHERE buyer_pseudonym = ANY($1) AND %[2]s
			RETURNING integration, external_id
		), r AS (
			INSERT INTO %[3]s (table_name, integration, external_id)
			SELECT '%[4]s', integration, external_id FROM d
			ON CONFLICT DO NOTHING
		)
		SELECT count(*) FROM d`, table, inIntegrations(2), t.erased, name),
		subjects, scope.integrations()).Scan(&n)
	if err != nil {
		return EraseCounts{}, fmt.Errorf("store: erase: delete %s: %w", name, err)
	}
	return EraseCounts{Found: n, Erased: n}, nil
}

// eraseOrders anonymizes the subject's orders. $3 says whether the buyer columns go, $4 whether the address
// columns go; the pseudonym becomes a tombstone once both parts are erased, now or earlier.
func eraseOrders(ctx context.Context, tx pgx.Tx, t tenantTables, subjects []string, scope Scope, held map[string]bool, res *EraseResult) error {
	inOrders, inShipping := scope.includes(CategoryOrders), scope.includes(CategoryShipping)
	if !inOrders && !inShipping {
		return nil
	}
	eraseBuyer := inOrders && !held[CategoryOrders]
	eraseAddress := inShipping && !held[CategoryShipping]
	var found, withAddress, buyersErased, addressesErased int64
	err := tx.QueryRow(ctx, fmt.Sprintf(`
		WITH target AS (
			SELECT id, buyer_erased_at IS NULL AS buyer_pending, address_erased_at IS NULL AS address_pending,
				%[2]s AS has_address
			FROM %[1]s
			WHERE buyer_pseudonym = ANY($1) AND %[3]s
			FOR UPDATE
		), changed AS (
			UPDATE %[1]s o SET
				buyer_user_id = CASE WHEN $3 THEN NULL ELSE o.buyer_user_id END,
				buyer_name = CASE WHEN $3 THEN NULL ELSE o.buyer_name END,
				buyer_email = CASE WHEN $3 THEN NULL ELSE o.buyer_email END,
				buyer_phone = CASE WHEN $3 THEN NULL ELSE o.buyer_phone END,
				buyer_erased_at = CASE WHEN $3 THEN coalesce(o.buyer_erased_at, now()) ELSE o.buyer_erased_at END,
				ship_address_line1 = CASE WHEN $4 THEN NULL ELSE o.ship_address_line1 END,
				ship_address_line2 = CASE WHEN $4 THEN NULL ELSE o.ship_address_line2 END,
				ship_city = CASE WHEN $4 THEN NULL ELSE o.ship_city END,
				ship_postal_code = CASE WHEN $4 THEN NULL ELSE o.ship_postal_code END,
				ship_region = CASE WHEN $4 THEN NULL ELSE o.ship_region END,
				ship_country = CASE WHEN $4 THEN NULL ELSE o.ship_country END,
				address_erased_at = CASE WHEN $4 THEN coalesce(o.address_erased_at, now()) ELSE o.address_erased_at END,
				buyer_pseudonym = CASE
					WHEN ($3 OR NOT tg.buyer_pending) AND ($4 OR NOT tg.address_pending) THEN '%[4]s'
					ELSE o.buyer_pseudonym END
			FROM target tg
			WHERE o.id = tg.id AND (($3 AND tg.buyer_pending) OR ($4 AND tg.address_pending))
			RETURNING tg.buyer_pending, tg.address_pending AND tg.has_address AS address_removed
		)
		SELECT (SELECT count(*) FROM target),
			(SELECT count(*) FROM target WHERE has_address),
			(SELECT count(*) FROM changed WHERE $3 AND buyer_pending),
			(SELECT count(*) FROM changed WHERE $4 AND address_removed)`,
		t.orders, hasAddress, inIntegrations(2), Tombstone),
		subjects, scope.integrations(), eraseBuyer, eraseAddress,
	).Scan(&found, &withAddress, &buyersErased, &addressesErased)
	if err != nil {
		return fmt.Errorf("store: erase: anonymize orders: %w", err)
	}
	if inOrders {
		c := EraseCounts{Found: found, Anonymized: buyersErased}
		if held[CategoryOrders] {
			c.Held = found
		}
		res.add(CategoryOrders, c)
	}
	if inShipping {
		c := EraseCounts{Found: withAddress, Anonymized: addressesErased}
		if held[CategoryShipping] {
			c.Held = withAddress
		}
		res.add(CategoryShipping, c)
	}
	return nil
}

// hasAddress is true for an order row that holds any part of a shipping address.
const hasAddress = `(ship_address_line1 IS NOT NULL OR ship_address_line2 IS NOT NULL OR ship_city IS NOT NULL
	OR ship_postal_code IS NOT NULL OR ship_region IS NOT NULL OR ship_country IS NOT NULL)`

// inIntegrations is the scope's integration filter on parameter $n: an empty array means every integration.
func inIntegrations(n int) string {
	return fmt.Sprintf("(cardinality($%[1]d::text[]) = 0 OR integration = ANY($%[1]d::text[]))", n)
}
