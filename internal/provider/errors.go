// Package provider holds what the platform clients (tiktokshop, aliexpress) share: the kinds of failure a sync
// task reacts to, whichever platform it talks to.
package provider

import (
	"errors"
	"fmt"
)

// Kinds of failure, for errors.Is. A sync task reacts to the kind, not to platform codes: refresh the token on
// ErrTokenExpired, ask a person to re-authorize on ErrReauthorize and other ErrUnauthorized, ask for scopes or
// permissions on ErrForbidden, come back later on ErrRateLimited and ErrUnavailable, and report ErrMalformedResponse
// as a platform defect. Each client's classify says which of its platform's answers map to which kind.
var (
	// ErrUnauthorized: the platform refused the credentials (HTTP 401, an invalid, expired or revoked token, a bad
	// signature).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrTokenExpired: the access token has expired, by the platform's word or by its known expiry. It is also
	// ErrUnauthorized.
	ErrTokenExpired = fmt.Errorf("%w: access token expired", ErrUnauthorized)
	// ErrReauthorize: a token refresh was refused because the refresh token itself expired or was revoked, so no new
	// access token can be had without a person: the seller must authorize the app again. It is also ErrUnauthorized.
	ErrReauthorize = fmt.Errorf("%w: refresh token expired or revoked; re-authorize the seller account", ErrUnauthorized)
	// ErrForbidden: the app or token may not make the call (HTTP 403, a missing scope or permission, an IP
	// allow-list).
	ErrForbidden = errors.New("forbidden")
	// ErrRateLimited: too many requests (HTTP 429 or a rate-limit code), still so after the retries.
	ErrRateLimited = errors.New("rate limited")
	// ErrUnavailable: the platform failed (5xx, an internal or service-provider error, a transport failure), still
	// so after the retries.
	ErrUnavailable = errors.New("service unavailable")
	// ErrMalformedResponse: a response was not the JSON the client understands. The client's Error names the page.
	ErrMalformedResponse = errors.New("malformed response")
)
