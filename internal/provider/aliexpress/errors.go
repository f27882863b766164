package aliexpress

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/alitok/workspace-operator/internal/provider"
	"github.com/alitok/workspace-operator/internal/provider/httpretry"
)

// Kinds of failure, for errors.Is: the ones every platform client shares (package provider), so a sync task
// handles them once. AliExpress: the platform answers "invalid or expired" alike (IllegalAccessToken), which is
// ErrUnauthorized; ErrTokenExpired comes from the known expiry; an IP allow-list refusal is ErrForbidden; a refresh
// token the gateway calls invalid or expired (IllegalRefreshToken) is ErrReauthorize.
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
// scrubbed of them and the request is not quoted.
type Error struct {
	// Op is the API called, e.g. "aliexpress.trade.seller.orderlist.get", with a listing's filter in parentheses.
	Op string
	// Page is the 1-based page of a listing the call fetched; zero outside listings.
	Page int
	// HTTPStatus is the response status; zero when no response arrived.
	HTTPStatus int
	// Code, SubCode and Message are the platform's error, when it sent one.
	Code    string
	SubCode string
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
	b.WriteString("aliexpress: ")
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
	if e.Code != "" {
		details = append(details, "code "+e.Code)
	}
	if e.SubCode != "" {
		details = append(details, "sub-code "+e.SubCode)
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

// Platform codes. The IOP gateway names its errors; the older TOP protocol, still seen on some APIs, numbers them.
var (
	unauthorizedCodes = map[string]bool{
		"IllegalAccessToken":  true, // "The specified access token is invalid or expired"
		"IncompleteSignature": true, // wrong app secret, or a signing defect
		"26":                  true, // TOP: missing session
		"27":                  true, // TOP: invalid session
	}
	forbiddenCodes = map[string]bool{
		"AppWhiteIpLimit": true, // the caller's IP is not on the app's allow-list
		"11":              true, // TOP: insufficient ISV permissions
		"12":              true, // TOP: insufficient user permissions
	}
	rateLimitCodes = map[string]bool{
		"ApiCallLimit": true, // "… This ban will last N more seconds"
		"7":            true, // TOP: app call limited
	}
)

// codeIllegalRefreshToken is the token refresh's "The specified refresh token is invalid or expired": only the seller
// can mend it, by authorizing the app again.
const codeIllegalRefreshToken = "IllegalRefreshToken"

// banSeconds reads the wait out of a call-limit message.
var banSeconds = regexp.MustCompile(`(\d+) more seconds?`)

// classify maps an HTTP status and platform error to a Kind, says whether another attempt may succeed, and how long
// the platform asked to wait.
func classify(status int, code, subCode, message string) (kind error, retry bool, after time.Duration) { //nolint:revive,staticcheck // kind classifies the platform's failure (a Kind for errors.Is); classify itself cannot fail
	switch {
	case rateLimitCodes[code]:
		if m := banSeconds.FindStringSubmatch(message); m != nil {
			if n, err := strconv.Atoi(m[1]); err == nil {
				after = time.Duration(n) * time.Second
			}
		}
		return ErrRateLimited, true, after
	case code == codeIllegalRefreshToken:
		return ErrReauthorize, false, 0
	case unauthorizedCodes[code]:
		return ErrUnauthorized, false, 0
	case forbiddenCodes[code]:
		return ErrForbidden, false, 0
	case strings.HasPrefix(subCode, "isp."):
		// Service-provider failures (isp.remote-service-error, …) are the platform's, and usually pass.
		return ErrUnavailable, true, 0
	}
	switch {
	case status == http.StatusUnauthorized:
		return ErrUnauthorized, false, 0
	case status == http.StatusForbidden:
		return ErrForbidden, false, 0
	case status == http.StatusTooManyRequests:
		return ErrRateLimited, true, 0
	case status >= 500:
		return ErrUnavailable, httpretry.RetryableStatus(status), 0
	}
	return nil, false, 0
}
