package worker

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/alitok/workspace-operator/internal/contract"
	"github.com/alitok/workspace-operator/internal/provider"
	"github.com/alitok/workspace-operator/internal/provider/aliexpress"
	"github.com/alitok/workspace-operator/internal/provider/tiktokshop"
	"github.com/alitok/workspace-operator/internal/store"
)

// Exit codes of Main.
const (
	ExitOK     = 0
	ExitFailed = 1
	ExitUsage  = 2
)

// failure is an error with the reason and exit code it is reported with.
type failure struct {
	reason string
	exit   int
	err    error
}

func (f *failure) Error() string { return f.err.Error() }
func (f *failure) Unwrap() error { return f.err }

// fail marks err with the reason it is reported with; it exits with ExitFailed.
func fail(reason string, err error) error {
	return &failure{reason: reason, exit: ExitFailed, err: err}
}

// usageError reports a bad command line.
func usageError(format string, args ...any) error {
	return &failure{reason: contract.ReasonUsage, exit: ExitUsage, err: fmt.Errorf(format, args...)}
}

// inputError reports a missing or malformed input file. Messages name the file, never its content.
func inputError(format string, args ...any) error {
	return fail(contract.ReasonInvalidInput, fmt.Errorf(format, args...))
}

// classify returns the reason and exit code of err. Errors not marked by the worker itself are told by their kind.
func classify(err error) (reason string, exit int) {
	var f *failure
	if errors.As(err, &f) {
		return f.reason, f.exit
	}
	switch {
	// Expired before unauthorized: an expired token is also unauthorized, and refreshing is the cheaper fix.
	case errors.Is(err, provider.ErrTokenExpired):
		return contract.ReasonTokenExpired, ExitFailed
	case errors.Is(err, provider.ErrUnauthorized):
		return contract.ReasonUnauthorized, ExitFailed
	case errors.Is(err, provider.ErrForbidden):
		return contract.ReasonForbidden, ExitFailed
	case errors.Is(err, provider.ErrRateLimited):
		return contract.ReasonRateLimited, ExitFailed
	case errors.Is(err, provider.ErrUnavailable):
		return contract.ReasonProviderUnavailable, ExitFailed
	case errors.Is(err, provider.ErrMalformedResponse):
		return contract.ReasonProviderMalformed, ExitFailed
	case errors.Is(err, store.ErrUnreachable):
		return contract.ReasonDBUnreachable, ExitFailed
	case errors.Is(err, store.ErrExportTooLarge):
		return contract.ReasonExportTooLarge, ExitFailed
	case errors.Is(err, store.ErrUnknownField), errors.Is(err, store.ErrInvalidDSN):
		return contract.ReasonInvalidInput, ExitFailed
	}
	var tt *tiktokshop.Error
	var ae *aliexpress.Error
	if errors.As(err, &tt) || errors.As(err, &ae) {
		return contract.ReasonProviderError, ExitFailed
	}
	if strings.HasPrefix(err.Error(), "store:") {
		return contract.ReasonDBError, ExitFailed
	}
	return contract.ReasonInternal, ExitFailed
}

// redactor masks sensitive values in text the worker prints. Every secret, identifier and pseudonym the worker
// reads is registered as it is read. Errors are built not to contain them in the first place; this is the
// safety net for a message from a library (or a platform) that echoes its input.
type redactor struct {
	values []string
}

// minRedacted is the shortest value masked: masking a one- or two-character value would garble messages and
// protect nothing.
const minRedacted = 3

// add registers sensitive values.
func (r *redactor) add(values ...string) {
	for _, v := range values {
		if v = strings.TrimSpace(v); len(v) >= minRedacted {
			r.values = append(r.values, v)
		}
	}
}

// apply masks every registered value in s, longest first so that a value containing another is masked whole.
func (r *redactor) apply(s string) string {
	if len(r.values) == 0 {
		return s
	}
	vals := append([]string(nil), r.values...)
	sort.Slice(vals, func(i, j int) bool { return len(vals[i]) > len(vals[j]) })
	for _, v := range vals {
		s = strings.ReplaceAll(s, v, "[redacted]")
	}
	return s
}
