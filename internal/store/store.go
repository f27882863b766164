package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is a connection pool to the database holding every tenant's schema. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

// ErrUnreachable is returned by Open when no connection to the database can be made.
var ErrUnreachable = errors.New("store: database unreachable")

// ErrInvalidDSN is returned by Open for a DSN that cannot be parsed.
var ErrInvalidDSN = errors.New("store: invalid database DSN")

// defaultConnectTimeout bounds a connection attempt when the DSN sets none: without it a firewalled host hangs
// a worker until the kernel gives up, minutes later.
const defaultConnectTimeout = 10 * time.Second

// Open connects to the database at dsn and checks that it answers. Errors name the host, port, database and user
// but never the password.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx redacts passwords only on a best-effort basis for malformed DSNs, so none of its text is repeated.
		return nil, fmt.Errorf("%w: it cannot be parsed (text not shown: it may hold a password)", ErrInvalidDSN)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	where := fmt.Sprintf("%s:%d database %q user %q", cfg.ConnConfig.Host, cfg.ConnConfig.Port,
		cfg.ConnConfig.Database, cfg.ConnConfig.User)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: cannot set up a pool for %s: %s", where, redact(err, cfg.ConnConfig.Password))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			// The server answered: wrong credentials, missing database and the like.
			return nil, fmt.Errorf("store: database at %s refused the connection: %s (SQLSTATE %s)",
				where, pgErr.Message, pgErr.Code)
		}
		return nil, fmt.Errorf("%w: %s: %s", ErrUnreachable, where, redact(err, cfg.ConnConfig.Password))
	}
	return &Store{pool: pool}, nil
}

// redact returns err's text with the password masked. pgx does not put passwords in connection errors, but a
// cause further down (a proxy, a resolver) might echo its input.
func redact(err error, password string) string {
	msg := err.Error()
	if password != "" {
		msg = strings.ReplaceAll(msg, password, "xxxxx")
	}
	return msg
}

// Close closes every connection of the pool.
func (s *Store) Close() { s.pool.Close() }

// inTx runs fn in a read-committed transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// snapshotTx is for reads that must see one consistent state across several queries.
var snapshotTx = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
