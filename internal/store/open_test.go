package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestOpen(t *testing.T) {
	const password = "s3cr3t-pw"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	port, err := freePort() // nothing listens on it once freePort returns
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		dsn     string
		wantIs  error
		wantMsg string
	}{
		{"unreachable database is ErrUnreachable and names where it looked",
			fmt.Sprintf("postgres://app:%s@127.0.0.1:%d/alitok?connect_timeout=5", password, port),
			ErrUnreachable, fmt.Sprintf("127.0.0.1:%d", port)},
		{"unreachable database in key=value form hides the password too",
			fmt.Sprintf("host=127.0.0.1 port=%d user=app password=%s dbname=alitok connect_timeout=5", port, password),
			ErrUnreachable, `database "alitok"`},
		{"malformed DSN is ErrInvalidDSN without its text",
			fmt.Sprintf("postgres://app:%s@127.0.0.1:notaport/alitok", password), ErrInvalidDSN, "cannot be parsed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(ctx, tt.dsn)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, tt.wantIs) {
				t.Errorf("error %q is not %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("error shows the password: %q", err)
			}
		})
	}
	t.Run("missing database is refused by the server, not unreachable", func(t *testing.T) {
		requireDB(t)
		dsn := strings.Replace(testDSN, "/postgres?", "/no_such_db?", 1)
		s, err := Open(ctx, dsn)
		if err == nil {
			s.Close()
			t.Fatal("Open succeeded")
		}
		if errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "refused the connection") {
			t.Errorf("error = %q, want a refusal", err)
		}
	})
	t.Run("reachable database opens and answers", func(t *testing.T) {
		s := openStore(t)
		if err := s.pool.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
