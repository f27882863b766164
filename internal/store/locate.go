package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// RecordRef names one record of a data subject without its content.
type RecordRef struct {
	Category    string
	Table       string
	Integration string
	ExternalID  string
}

// Locate lists the subject's records within scope, without reading their personal data: what a Restriction
// request must mark, or what a caller checks before and after erasure. An order with an address is listed under
// orders and under shipping, as elsewhere. The list is sorted by category, table, integration and id.
func (s *Store) Locate(ctx context.Context, tenant string, pseudonyms []string, scope Scope) ([]RecordRef, error) {
	if err := checkSubjects(pseudonyms); err != nil {
		return nil, err
	}
	if err := scope.validate(); err != nil {
		return nil, err
	}
	var out []RecordRef
	err := s.tenantTxWith(ctx, tenant, snapshotTx, func(tx pgx.Tx, t tenantTables) error {
		var parts []string
		add := func(category, table, name, extra string) {
			if scope.includes(category) {
				parts = append(parts, fmt.Sprintf(`SELECT '%s', '%s', integration, external_id FROM %s
					WHERE buyer_pseudonym = ANY($1) AND %s%s`, category, name, table, inIntegrations(2), extra))
			}
		}
		add(CategoryOrders, t.orders, "orders", "")
		add(CategoryShipping, t.orders, "orders", " AND "+hasAddress)
		add(CategoryShipping, t.shipments, "shipments", "")
		add(CategorySupport, t.returns, "returns", "")
		if len(parts) == 0 {
			return nil
		}
		q := parts[0]
		for _, p := range parts[1:] {
			q += " UNION ALL " + p
		}
		rows, err := tx.Query(ctx, q+" ORDER BY 1, 2, 3, 4", pseudonyms, scope.integrations())
		if err != nil {
			return fmt.Errorf("store: locate: %w", err)
		}
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[RecordRef])
		if err != nil {
			return fmt.Errorf("store: locate: %w", err)
		}
		return nil
	})
	return out, err
}

// CountByCategory counts refs per category.
func CountByCategory(refs []RecordRef) map[string]int {
	out := map[string]int{}
	for _, r := range refs {
		out[r.Category]++
	}
	return out
}
