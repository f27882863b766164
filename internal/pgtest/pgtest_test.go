package pgtest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestStartServesQueriesAndStopCleansUp fails (not skips) without the Debian binaries, like its users must.
func TestStartServesQueriesAndStopCleansUp(t *testing.T) {
	s, err := Start()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopped := false
	defer func() {
		if !stopped {
			s.Stop()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.DSN())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
	_ = conn.Close(ctx)

	s.Stop()
	stopped = true
	if _, err := os.Stat(s.dir); !os.IsNotExist(err) {
		t.Errorf("server directory %s still there after Stop (%v)", s.dir, err)
	}
	if _, err := pgx.Connect(ctx, s.DSN()); err == nil {
		t.Error("server still answers after Stop")
	}
	var nilServer *Server
	nilServer.Stop() // must not panic
}
