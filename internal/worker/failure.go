package worker

import (
	"errors"
	"fmt"
	"sort"
	"strings"

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

// Reasons of a failed Result, for the operator to act on without parsing messages.
const (
	ReasonUsage                = "UsageError"           // an unknown task or flag, a missing or bad flag value
	ReasonInvalidInput         = "InvalidInput"         // a missing or malformed input file
	ReasonUnauthorized         = "Unauthorized"         // the platform refused the credentials: re-authorize
	ReasonTokenExpired         = "TokenExpired"         // the access token has expired: refresh it
	ReasonForbidden            = "Forbidden"            // the token lacks a scope the feature needs
	ReasonAccountNotAuthorized = "AccountNotAuthorized" // the token is not authorized for --account-id
	ReasonRateLimited          = "RateLimited"          // still rate limited after the retries: come back later
	ReasonProviderUnavailable  = "ProviderUnavailable"  // the platform failed, still so after the retries
	ReasonProviderMalformed    = "ProviderMalformedResponse"
	ReasonProviderError        = "ProviderError" // any other platform error
	ReasonDBUnreachable        = "DatabaseUnreachable"
	ReasonDBError              = "DatabaseError"
	ReasonExportTooLarge       = "ExportTooLarge"
	ReasonExportOutput         = "ExportOutputFailed" // --output could not be written
	ReasonExportSecret         = "ExportSecretFailed" // --export-secret could not be patched
	ReasonInternal             = "InternalError"
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
	return &failure{reason: ReasonUsage, exit: ExitUsage, err: fmt.Errorf(format, args...)}
}

// inputError reports a missing or malformed input file. Messages name the file, never its content.
func inputError(format string, args ...any) error {
	return fail(ReasonInvalidInput, fmt.Errorf(format, args...))
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
		return ReasonTokenExpired, ExitFailed
	case errors.Is(err, provider.ErrUnauthorized):
		return ReasonUnauthorized, ExitFailed
	case errors.Is(err, provider.ErrForbidden):
		return ReasonForbidden, ExitFailed
	case errors.Is(err, provider.ErrRateLimited):
		return ReasonRateLimited, ExitFailed
	case errors.Is(err, provider.ErrUnavailable):
		return ReasonProviderUnavailable, ExitFailed
	case errors.Is(err, provider.ErrMalformedResponse):
		return ReasonProviderMalformed, ExitFailed
	case errors.Is(err, store.ErrUnreachable):
		return ReasonDBUnreachable, ExitFailed
	case errors.Is(err, store.ErrExportTooLarge):
		return ReasonExportTooLarge, ExitFailed
	case errors.Is(err, store.ErrUnknownField), errors.Is(err, store.ErrInvalidDSN):
		return ReasonInvalidInput, ExitFailed
	}
	var tt *tiktokshop.Error
	var ae *aliexpress.Error
	if errors.As(err, &tt) || errors.As(err, &ae) {
		return ReasonProviderError, ExitFailed
	}
	if strings.HasPrefix(err.Error(), "store:") {
		return ReasonDBError, ExitFailed
	}
	return ReasonInternal, ExitFailed
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
