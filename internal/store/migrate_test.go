package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestSchemaName(t *testing.T) {
	tests := []struct {
		tenant, want string
		wantErr      bool
	}{
		{"acme", "tenant_acme", false},
		{"acme-eu-1", "tenant_acme_eu_1", false},
		{"a2345678901234567890123456789012345678901234567890123456", "tenant_a2345678901234567890123456789012345678901234567890123456", false},
		{"a23456789012345678901234567890123456789012345678901234567", "", true}, // 57: schema name would pass 63 bytes
		{"Acme", "", true},
		{"acme_eu", "", true}, // would collide with acme-eu
		{"-acme", "", true},
		{`acme"; DROP SCHEMA public; --`, "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		got, err := SchemaName(tt.tenant)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("SchemaName(%q) = %q, %v; want %q, error %v", tt.tenant, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestEnsureSchema(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()

	t.Run("creates every table and records each migration once", func(t *testing.T) {
		tenant := newTenant(t, s)
		for _, table := range []string{"products", "orders", "shipments", "returns", "erased_records"} {
			count(t, s, tenant, table, "") // fails the test if the table is missing
		}
		if got, want := count(t, s, tenant, "schema_migrations", ""), len(migrations()); got != want {
			t.Errorf("schema_migrations has %d rows, want %d", got, want)
		}
	})

	t.Run("second run changes nothing", func(t *testing.T) {
		tenant := newTenant(t, s)
		seed(t, s, tenant)
		schema, _ := SchemaName(tenant)
		var before time.Time
		if err := s.pool.QueryRow(ctx, `SELECT max(applied_at) FROM `+tablesOf(schema).migrated).Scan(&before); err != nil {
			t.Fatal(err)
		}
		if err := s.EnsureSchema(ctx, tenant); err != nil {
			t.Fatal(err)
		}
		var after time.Time
		if err := s.pool.QueryRow(ctx, `SELECT max(applied_at) FROM `+tablesOf(schema).migrated).Scan(&after); err != nil {
			t.Fatal(err)
		}
		if !after.Equal(before) || count(t, s, tenant, "schema_migrations", "") != len(migrations()) {
			t.Errorf("migrations re-applied: applied_at %v -> %v", before, after)
		}
		if n := count(t, s, tenant, "orders", ""); n != 4 {
			t.Errorf("orders after second run = %d, want the 4 seeded", n)
		}
	})

	t.Run("concurrent runs on a new tenant all succeed and apply once", func(t *testing.T) {
		const tenant = "concurrent-schema"
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.EnsureSchema(ctx, tenant)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("run %d: %v", i, err)
			}
		}
		if got := count(t, s, tenant, "schema_migrations", ""); got != len(migrations()) {
			t.Errorf("schema_migrations has %d rows, want %d", got, len(migrations()))
		}
	})

	t.Run("invalid tenant name is rejected before any SQL", func(t *testing.T) {
		if err := s.EnsureSchema(ctx, `x"; DROP SCHEMA public; --`); err == nil {
			t.Fatal("EnsureSchema accepted an invalid tenant name")
		}
	})

	t.Run("operations on a tenant without schema say so", func(t *testing.T) {
		const tenant = "never-created"
		_, err := s.UpsertOrders(ctx, tenant, tiktok, []Order{{ExternalID: "o1"}})
		if !errors.Is(err, ErrTenantNotFound) {
			t.Errorf("UpsertOrders error = %v, want ErrTenantNotFound", err)
		}
		_, err = s.Erase(ctx, tenant, []string{alice}, Scope{}, nil)
		if !errors.Is(err, ErrTenantNotFound) {
			t.Errorf("Erase error = %v, want ErrTenantNotFound", err)
		}
	})
}
