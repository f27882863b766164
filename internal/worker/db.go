package worker

import (
	"context"
	"errors"
	"fmt"

	"github.com/alitok/workspace-operator/internal/contract"
	"github.com/alitok/workspace-operator/internal/store"
)

// openStore reads the DSN from its file and connects. Errors name the file, and the database's host, port,
// database and user, never the password.
func (r *runner) openStore(ctx context.Context, dsnFile string) (*store.Store, error) {
	dsn, err := r.readDSN(dsnFile)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, dsn)
	switch {
	case errors.Is(err, store.ErrInvalidDSN):
		return nil, inputError("database DSN file %s is malformed: %v", dsnFile, err)
	case errors.Is(err, store.ErrUnreachable):
		return nil, fail(contract.ReasonDBUnreachable, err)
	case err != nil:
		return nil, fail(contract.ReasonDBError, err)
	}
	return st, nil
}

// noSchema reports whether err says the tenant has no schema: nothing was ever synced for it, or a whole-tenant
// purge dropped it. For the data-subject tasks and retention that means there is nothing to act on, which is an
// answer, not a failure.
func noSchema(err error) bool { return errors.Is(err, store.ErrTenantNotFound) }

// dbError marks a store error that is not the caller's input as a database failure.
func dbError(what string, err error) error {
	var f *failure
	if errors.As(err, &f) {
		return err
	}
	reason, _ := classify(err)
	if reason == contract.ReasonInternal {
		reason = contract.ReasonDBError
	}
	return fail(reason, fmt.Errorf("%s: %w", what, err))
}
