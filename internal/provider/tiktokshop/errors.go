package tiktokshop

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/alitok/workspace-operator/internal/provider"
	"github.com/alitok/workspace-operator/internal/provider/httpretry"
)

// Kinds of failure, for errors.Is: the ones every platform client shares (package provider), so a sync task
// handles them once. TikTok Shop: a token the platform calls expired (105002) is ErrTokenExpired; an invalid or
// revoked token or a bad signature ErrUnauthorized; a missing scope ErrForbidden; a refresh refused for its refresh
// token ErrReauthorize.
var (
	ErrUnauthorized      = provider.ErrUnauthorized
	ErrTokenExpired      = provider.ErrTokenExpired
	ErrReauthorize       = provider.ErrReauthorize
	ErrForbidden         = provider.ErrForbidden
	ErrRateLimited       = provider.ErrRateLimited
	ErrUnavailable       = provider.ErrUnavailable
	ErrMalformedResponse = provider.ErrMalformedResponse
)

// Error is a failed call. It never holds the app secret, the access token or a signature: the platform's message is
// scrubbed of them and the request URL is left out.
type Error struct {
	// Op is the call, e.g. "POST /order/202309/orders/search".
	Op string
	// Page is the 1-based page of a listing the call fetched; zero outside listings.
	Page int
	// HTTPStatus is the response status; zero when no response arrived.
	HTTPStatus int
	// Code and Message are the platform's error code and message, when it sent them.
	Code    int
	Message string
	// RequestID is the platform's request ID, for support tickets.
	RequestID string
	// RetryAfter is the wait the platform asked for when rate limiting; zero when it named none.
	RetryAfter time.Duration
	// Kind is one of the Err… kinds above, or nil for other platform errors (e.g. a bad parameter).
	Kind error
	// Err is the underlying cause (transport or decoding error), if any.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("tiktokshop: ")
	b.WriteString(e.Op)
	if e.Page > 0 {
		fmt.Fprintf(&b, " page %d", e.Page)
	}
	if e.Kind != nil {
		b.WriteString(": ")
		b.WriteString(e.Kind.Error())
	}
	var details []string
	if e.HTTPStatus != 0 && e.HTTPStatus != http.StatusOK {
		details = append(details, fmt.Sprintf("HTTP %d", e.HTTPStatus))
	}
	if e.Code != 0 {
		details = append(details, fmt.Sprintf("code %d", e.Code))
	}
	if e.Message != "" {
		details = append(details, fmt.Sprintf("%q", e.Message))
	}
	if e.RequestID != "" {
		details = append(details, "request "+e.RequestID)
	}
	if e.RetryAfter > 0 {
		details = append(details, "retry after "+e.RetryAfter.String())
	}
	if len(details) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(details, ", "))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap exposes Kind and Err to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// Platform codes, from the Open API's common errors page. Codes not listed are reported with a nil Kind.
const (
	codeOK               = 0
	codeRateLimited      = 36009002
	codeInternalError    = 36009003
	codeInvalidParams    = 36009004 // overloaded: also used for a bad or missing access token; see classify
	codeTokenInvalid     = 105001
	codeTokenExpired     = 105002
	codeTokenRevoked     = 105003
	codeNoScope          = 105005
	codeSignatureInvalid = 106001
	codeAuthFailed       = 36004004
	codeNoAuthRecord     = 36004005 // the auth host's "can not find related auth record"; see classifyRefresh
	codeNoPermission     = 36009033
)

// classify maps an HTTP status and platform code to a Kind, and says whether another attempt may succeed.
func classify(status, code int, message string) (kind error, retry bool) { //nolint:revive // kind classifies the platform's failure (a Kind for errors.Is); classify itself cannot fail
	switch code {
	case codeRateLimited:
		return ErrRateLimited, true
	case codeInternalError:
		return ErrUnavailable, true
	case codeTokenExpired:
		return ErrTokenExpired, false
	case codeTokenInvalid, codeTokenRevoked, codeSignatureInvalid, codeAuthFailed:
		return ErrUnauthorized, false
	case codeNoScope, codeNoPermission:
		return ErrForbidden, false
	case codeInvalidParams:
		// The platform reuses this code for "Invalid credentials. The `x-tts-access-token` header is invalid."
		if m := strings.ToLower(message); strings.Contains(m, "access_token") || strings.Contains(m, "access-token") {
			return ErrUnauthorized, false
		}
	}
	switch {
	case status == http.StatusUnauthorized:
		return ErrUnauthorized, false
	case status == http.StatusForbidden:
		return ErrForbidden, false
	case status == http.StatusTooManyRequests:
		return ErrRateLimited, true
	case status >= 500:
		return ErrUnavailable, httpretry.RetryableStatus(status)
	}
	return nil, false
}
