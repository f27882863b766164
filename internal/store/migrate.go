package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one embedded SQL file, named NNNN_description.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order. A malformed file name is a build-time mistake,
// so it panics rather than being reported to a caller who cannot fix it.
func migrations() []migration {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		panic(err)
	}
	var out []migration
	for _, e := range entries {
		prefix, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(prefix)
		if !ok || err != nil || v <= 0 {
			panic(fmt.Sprintf("store: migration %s is not named NNNN_description.sql", e.Name()))
		}
		body, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			panic(err)
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out
}

// EnsureSchema creates tenant's schema if needed and applies the migrations it lacks, all in one transaction.
// Running it again changes nothing. Concurrent runs, from several workers starting at once, are serialized by a
// transaction-scoped advisory lock per schema, so none of them sees a half-made schema or races on CREATE.
func (s *Store) EnsureSchema(ctx context.Context, tenant string) error {
	schema, err := SchemaName(tenant)
	if err != nil {
		return err
	}
	t := tablesOf(schema)
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockSchema(ctx, tx, schema); err != nil {
			return err
		}
		stmts := []string{
			`CREATE SCHEMA IF NOT EXISTS ` + pgx.Identifier{schema}.Sanitize(),
			`CREATE TABLE IF NOT EXISTS ` + t.migrated + ` (
				version    integer PRIMARY KEY,
				name       text NOT NULL,
				applied_at timestamptz NOT NULL DEFAULT now())`,
			// Migrations name their tables unqualified; this places them in the tenant's schema.
			`SET LOCAL search_path TO ` + pgx.Identifier{schema}.Sanitize(),
		}
		for _, q := range stmts {
			if _, err := tx.Exec(ctx, q); err != nil {
				return fmt.Errorf("store: prepare schema %s: %w", schema, err)
			}
		}
		applied := map[int]bool{}
		rows, err := tx.Query(ctx, `SELECT version FROM `+t.migrated)
		if err != nil {
			return fmt.Errorf("store: read applied migrations of %s: %w", schema, err)
		}
		versions, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return fmt.Errorf("store: read applied migrations of %s: %w", schema, err)
		}
		for _, v := range versions {
			applied[int(v)] = true
		}
		for _, m := range migrations() {
			if applied[m.version] {
				continue
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("store: apply migration %s to %s: %w", m.name, schema, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO `+t.migrated+` (version, name) VALUES ($1, $2)`,
				m.version, m.name); err != nil {
				return fmt.Errorf("store: record migration %s in %s: %w", m.name, schema, err)
			}
		}
		return nil
	})
}

// lockSchema takes the per-schema advisory lock that EnsureSchema and a schema-dropping Purge hold, released at
// the end of the transaction.
func lockSchema(ctx context.Context, tx pgx.Tx, schema string) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('workspace-operator/store/schema:' || $1, 0))`,
		schema)
	if err != nil {
		return fmt.Errorf("store: lock schema %s: %w", schema, err)
	}
	return nil
}
