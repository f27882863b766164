package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// Retention deletes records older than keepDays of their category (category -> days), measured from now, except
// in held categories. Categories without a rule are kept. Age is the platform's last change of the record, or when
// our copy last changed if the platform sends none. An order's address follows the shipping rule and never
// outlives its order. Retention is idempotent: run again at the same now, it deletes nothing; records still
// held are reported as held.
func (s *Store) Retention(ctx context.Context, tenant string, keepDays map[string]int, held map[string]bool, now time.Time) (DeleteResult, error) {
	res := DeleteResult{Categories: map[string]DeleteCounts{}}
	held, err := heldSet(held)
	if err != nil {
		return res, err
	}
	due := expiry{cutoff: map[string]pgtype.Timestamptz{}}
	for _, c := range sortedKeys(keepDays) {
		if err := checkCategories("retention rule", []string{c}); err != nil {
			return res, err
		}
		if keepDays[c] < 0 {
			return res, fmt.Errorf("store: retention rule for %s has negative keepDays %d", c, keepDays[c])
		}
		due.cutoff[c] = pgtype.Timestamptz{Time: now.AddDate(0, 0, -keepDays[c]), Valid: true}
	}
	err = s.tenantTx(ctx, tenant, func(tx pgx.Tx, t tenantTables) error {
		var err error
		res, err = deleteDue(ctx, tx, t, due, held)
		return err
	})
	if err != nil {
		return DeleteResult{Categories: map[string]DeleteCounts{}}, err
	}
	return res, nil
}
