package store

import (
	"os"
	"testing"

	"github.com/alitok/workspace-operator/internal/pgtest"
)

// The package's tests share one throwaway PostgreSQL server (internal/pgtest), started here and stopped when they
// end. Each test works in tenants of its own, so tests do not see each other's data.
var (
	testDSN   string
	testSetup error
)

func TestMain(m *testing.M) {
	pg, err := pgtest.Start()
	testSetup = err
	if err == nil {
		testDSN = pg.DSN()
	}
	code := m.Run()
	pg.Stop()
	os.Exit(code)
}

// requireDB fails the test when the server could not be started. Failing, not skipping: a machine without
// PostgreSQL must not pass the storage tests by running none of them.
func requireDB(tb testing.TB) {
	tb.Helper()
	if testSetup != nil {
		tb.Fatalf("no test database: %v", testSetup)
	}
}

// freePort returns a loopback port nothing listens on.
func freePort() (int, error) { return pgtest.FreePort() }
