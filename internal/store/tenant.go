package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ErrTenantNotFound is returned when a tenant has no schema: EnsureSchema was never run for it, or a whole-tenant
// Purge dropped it.
var ErrTenantNotFound = errors.New("store: tenant has no schema")

// tenantName is the operator's rule for Tenant names (a DNS label of at most 56 characters), which keeps
// "tenant_" + name within PostgreSQL's 63-byte identifier limit. DNS labels have no underscore, so replacing
// "-" by "_" maps distinct tenants to distinct schemas.
var tenantName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,54}[a-z0-9])?$`)

// SchemaName returns the PostgreSQL schema holding tenant's data, or an error for a name that is not a valid
// Tenant name.
func SchemaName(tenant string) (string, error) {
	if !tenantName.MatchString(tenant) {
		return "", fmt.Errorf("store: %q is not a valid tenant name (a DNS label of at most 56 characters)", tenant)
	}
	return "tenant_" + strings.ReplaceAll(tenant, "-", "_"), nil
}

// tenantTables holds the quoted, schema-qualified names of a tenant's tables, ready to put into SQL text.
type tenantTables struct {
	schema                                                 string
	products, orders, shipments, returns, erased, migrated string
}

func tablesOf(schema string) tenantTables {
	q := func(table string) string { return pgx.Identifier{schema, table}.Sanitize() }
	return tenantTables{
		schema:    schema,
		products:  q("products"),
		orders:    q("orders"),
		shipments: q("shipments"),
		returns:   q("returns"),
		erased:    q("erased_records"),
		migrated:  q("schema_migrations"),
	}
}

// schemaExists reports whether the schema is there, inside the caller's transaction.
func schemaExists(ctx context.Context, q pgx.Tx, schema string) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("store: look up schema %s: %w", schema, err)
	}
	return ok, nil
}

// tenantTx resolves tenant to its tables and runs fn in a read-committed transaction, failing with
// ErrTenantNotFound when the schema is missing.
func (s *Store) tenantTx(ctx context.Context, tenant string, fn func(pgx.Tx, tenantTables) error) error {
	return s.tenantTxWith(ctx, tenant, pgx.TxOptions{}, fn)
}

// tenantTxWith is tenantTx with the transaction's options.
func (s *Store) tenantTxWith(ctx context.Context, tenant string, opts pgx.TxOptions, fn func(pgx.Tx, tenantTables) error) error {
	schema, err := SchemaName(tenant)
	if err != nil {
		return err
	}
	return pgx.BeginTxFunc(ctx, s.pool, opts, func(tx pgx.Tx) error {
		ok, err := schemaExists(ctx, tx, schema)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: tenant %q (schema %s); run EnsureSchema first", ErrTenantNotFound, tenant, schema)
		}
		return fn(tx, tablesOf(schema))
	})
}
