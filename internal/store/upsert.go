package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// upsertBatch is how many records go into one INSERT. The records travel as one array per column, so the
// statement has a fixed number of parameters whatever the batch size; the bound only caps memory per round trip.
const upsertBatch = 1000

type colKind int

const (
	textCol    colKind = iota // text; "" is NULL
	numericCol                // decimal string into numeric; "" is NULL
	timeCol                   // timestamptz; the zero time is NULL
	intCol                    // integer
)

// column is one synced column of a table and how to read it from a record.
type column[R any] struct {
	name string
	kind colKind
	// guard is an SQL condition on the stored row (alias t) under which a sync may overwrite the column; empty
	// means always. It keeps erased personal data from coming back with the next sync.
	guard string
	get   func(R) any
}

// upsertSpec describes how records of type R are written to one table.
type upsertSpec[R any] struct {
	table func(tenantTables) string
	// name is the bare table name, as recorded in erased_records.
	name    string
	id      func(R) string
	subject func(R) string
	columns []column[R]
	// suppress skips records that erasure deleted, so a re-sync does not bring them back.
	suppress bool
}

// statement builds the batched upsert. $1 is the integration, $2 the external ids, then one array per column.
// DO UPDATE ... WHERE writes only rows whose content differs, so RowsAffected counts real changes.
func (u upsertSpec[R]) statement(t tenantTables) string {
	var names, arrays, exprs, sets, plainOld, plainNew, guarded []string
	for i, c := range u.columns {
		p := i + 3
		names = append(names, c.name)
		switch c.kind {
		case textCol:
			arrays = append(arrays, fmt.Sprintf("$%d::text[]", p))
			exprs = append(exprs, fmt.Sprintf("nullif(u.%s, '')", c.name))
		case numericCol:
			arrays = append(arrays, fmt.Sprintf("$%d::text[]", p))
			exprs = append(exprs, fmt.Sprintf("nullif(u.%s, '')::numeric", c.name))
		case timeCol:
			arrays = append(arrays, fmt.Sprintf("$%d::timestamptz[]", p))
			exprs = append(exprs, "u."+c.name)
		case intCol:
			arrays = append(arrays, fmt.Sprintf("$%d::int4[]", p))
			exprs = append(exprs, "u."+c.name)
		}
		if c.guard == "" {
			sets = append(sets, fmt.Sprintf("%s = EXCLUDED.%s", c.name, c.name))
			plainOld = append(plainOld, "t."+c.name)
			plainNew = append(plainNew, "EXCLUDED."+c.name)
			continue
		}
		sets = append(sets, fmt.Sprintf("%s = CASE WHEN %s THEN EXCLUDED.%s ELSE t.%s END", c.name, c.guard, c.name, c.name))
		guarded = append(guarded, fmt.Sprintf("(%s AND t.%s IS DISTINCT FROM EXCLUDED.%s)", c.guard, c.name, c.name))
	}
	changed := append([]string{fmt.Sprintf("ROW(%s) IS DISTINCT FROM ROW(%s)",
		strings.Join(plainOld, ", "), strings.Join(plainNew, ", "))}, guarded...)
	where := ""
	if u.suppress {
		where = fmt.Sprintf(`WHERE NOT EXISTS (SELECT 1 FROM %s e
			WHERE e.table_name = '%s' AND e.integration = $1 AND e.external_id = u.external_id)`, t.erased, u.name)
	}
	return fmt.Sprintf(`INSERT INTO %s AS t (integration, external_id, %s, synced_at)
		SELECT $1, u.external_id, %s, now()
		FROM unnest($2::text[], %s) AS u(external_id, %s)
		%s
		ON CONFLICT (integration, external_id) DO UPDATE SET %s, synced_at = now()
		WHERE %s`,
		u.table(t), strings.Join(names, ", "),
		strings.Join(exprs, ", "),
		strings.Join(arrays, ", "), strings.Join(names, ", "),
		where,
		strings.Join(sets, ", "),
		strings.Join(changed, " OR "))
}

// args lays out a batch as the statement's column arrays.
func (u upsertSpec[R]) args(integration string, rows []R) []any {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = u.id(r)
	}
	args := []any{integration, ids}
	for _, c := range u.columns {
		switch c.kind {
		case textCol, numericCol:
			a := make([]string, len(rows))
			for i, r := range rows {
				a[i] = strings.TrimSpace(c.get(r).(string))
			}
			args = append(args, a)
		case timeCol:
			a := make([]pgtype.Timestamptz, len(rows))
			for i, r := range rows {
				if ts := c.get(r).(time.Time); !ts.IsZero() {
					a[i] = pgtype.Timestamptz{Time: ts, Valid: true}
				}
			}
			args = append(args, a)
		case intCol:
			a := make([]int32, len(rows))
			for i, r := range rows {
				a[i] = int32(c.get(r).(int))
			}
			args = append(args, a)
		}
	}
	return args
}

// upsert writes rows of one integration and returns how many rows were inserted or really changed. All batches
// go in one transaction, so a failed call leaves the tenant as it was and can simply be retried.
func upsert[R any](ctx context.Context, s *Store, tenant, integration string, spec upsertSpec[R], rows []R) (int, error) {
	if integration == "" {
		return 0, fmt.Errorf("store: upsert %s: empty integration name", spec.name)
	}
	for i, r := range rows {
		if spec.id(r) == "" {
			return 0, fmt.Errorf("store: upsert %s: record %d has no external id", spec.name, i)
		}
		if p := spec.subject(r); p != "" && !validPseudonym(p) {
			return 0, fmt.Errorf("store: upsert %s: record %d: %w", spec.name, i, ErrInvalidPseudonym)
		}
	}
	rows = lastPerID(rows, spec.id)
	written := 0
	err := s.tenantTx(ctx, tenant, func(tx pgx.Tx, t tenantTables) error {
		sql := spec.statement(t)
		for start := 0; start < len(rows); start += upsertBatch {
			batch := rows[start:min(start+upsertBatch, len(rows))]
			tag, err := tx.Exec(ctx, sql, spec.args(integration, batch)...)
			if err != nil {
				return fmt.Errorf("store: upsert %s of integration %q: %w", spec.name, integration, err)
			}
			written += int(tag.RowsAffected())
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return written, nil
}

// lastPerID keeps the last record of each external id. PostgreSQL refuses to update one row twice in a
// statement, and a platform page may repeat a record that changed while it was being listed.
func lastPerID[R any](rows []R, id func(R) string) []R {
	seen := make(map[string]bool, len(rows))
	out := make([]R, 0, len(rows))
	for i := len(rows) - 1; i >= 0; i-- {
		if k := id(rows[i]); !seen[k] {
			seen[k] = true
			out = append(out, rows[i])
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}
