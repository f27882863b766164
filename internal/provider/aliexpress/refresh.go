package aliexpress

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/alitok/workspace-operator/internal/provider"
	"github.com/alitok/workspace-operator/internal/provider/httpretry"
)

// apiTokenRefresh is the system API that trades a refresh token for new tokens, served under /rest and signed like
// every call, but without an access token.
const apiTokenRefresh = "/auth/token/refresh"

// RefreshConfig configures RefreshToken. AppKey, AppSecret and RefreshToken are required.
type RefreshConfig struct {
	// BaseURL is the gateway origin, https://host without a path; DefaultBaseURL when empty. Plain http is refused:
	// the call carries the refresh token.
	BaseURL string
	// AppKey and AppSecret identify the app; the secret signs the call.
	AppKey, AppSecret string
	// RefreshToken is the seller's current refresh token.
	RefreshToken string
	// HTTPClient sends the request; when nil, one with 30s timeouts. Redirects are never followed.
	HTTPClient *http.Client
	// Retry governs retries of rate-limited and failed attempts; its zero value retries up to 5 attempts.
	Retry httpretry.Policy
	// Now is the clock for the request timestamp, and that the new expiries must lie ahead of; time.Now when nil.
	Now func() time.Time
}

func (c RefreshConfig) validate() error {
	var errs []error
	if c.AppKey == "" {
		errs = append(errs, errors.New("app key is empty"))
	}
	if c.AppSecret == "" {
		errs = append(errs, errors.New("app secret is empty"))
	}
	if c.RefreshToken == "" {
		errs = append(errs, errors.New("refresh token is empty"))
	}
	return errors.Join(errs...)
}

// Token is what a refresh grants (one type for every platform).
type Token = provider.Token

// errAnswerLost explains an ErrReauthorize that follows an attempt whose answer never arrived: the gateway may have
// granted new tokens then and retired the refresh token that the next attempt presented.
var errAnswerLost = errors.New("an earlier attempt got no answer; it may have replaced the refresh token")

// RefreshToken trades the seller's refresh token for a new access token and a new refresh token through the system
// API /auth/token/refresh (POST {BaseURL}/rest/auth/token/refresh, signed). On any error the caller keeps the tokens
// it has.
//
// Failures are *Error values: ErrReauthorize when the gateway calls the refresh token invalid or expired
// (IllegalRefreshToken), ErrUnauthorized for a bad signature (a wrong app secret), ErrRateLimited and ErrUnavailable
// after the retries, ErrMalformedResponse when the answer lacks a token or an expiry. Neither errors nor the
// request's form in them carry the secret or a token.
func RefreshToken(ctx context.Context, cfg RefreshConfig) (Token, error) {
	if err := cfg.validate(); err != nil {
		return Token{}, fmt.Errorf("aliexpress: refresh: %w", err)
	}
	base, err := origin(cfg.BaseURL)
	if err != nil {
		return Token{}, err
	}
	lost := false
	retry := cfg.Retry
	retry.OnRetry = func(attempt int, wait time.Duration, err error) {
		var e *Error
		if errors.As(err, &e) && e.HTTPStatus == 0 && errors.Is(err, ErrUnavailable) {
			lost = true
		}
		if cfg.Retry.OnRetry != nil {
			cfg.Retry.OnRetry(attempt, wait, err)
		}
	}
	c := &Client{base: base, creds: Credentials{AppKey: cfg.AppKey, AppSecret: cfg.AppSecret},
		hc: httpClient(cfg.HTTPClient), now: clock(cfg.Now), retry: retry,
		scrub: httpretry.Scrubber(cfg.AppSecret, cfg.RefreshToken)}
	r := call{api: apiTokenRefresh, params: map[string]string{"refresh_token": cfg.RefreshToken}}
	body, err := c.do(ctx, r)
	var e *Error
	switch {
	case err == nil:
	case lost && errors.Is(err, ErrReauthorize) && errors.As(err, &e):
		e.Err = errAnswerLost
	case errors.Is(err, ErrMalformedResponse) && !errors.Is(err, httpretry.ErrBodyTooLarge) && errors.As(err, &e):
		// A decoding error may quote a piece of the answer, which could be a token.
		e.Err = errors.New("the answer is not the gateway's JSON")
	}
	if err != nil {
		return Token{}, err
	}
	tok, err := decodeToken(body, c.now())
	if err != nil {
		return Token{}, &Error{Op: r.name(), HTTPStatus: http.StatusOK, RequestID: requestID(body, c.scrub),
			Kind: ErrMalformedResponse, Err: err}
	}
	return tok, nil
}

// decodeToken reads the refresh's answer. Both tokens and both expiries are required and must lie ahead of now:
// expire_time and refresh_token_valid_time are Unix milliseconds; without them, expires_in and refresh_expires_in
// (seconds left) count from now. The error names the fields that failed, never their values: encoding/json would
// quote them, and those are tokens.
func decodeToken(body json.RawMessage, now time.Time) (Token, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		return Token{}, errors.New("the answer is not a JSON object")
	}
	var bad []string
	text := func(name string) string {
		var s string
		if err := json.Unmarshal(fields[name], &s); err != nil || s == "" {
			bad = append(bad, name)
		}
		return s
	}
	instant := func(millis, secondsLeft string) time.Time {
		var t time.Time
		if ms, err := jsonInt(fields[millis]); err == nil && ms > 0 {
			t = ExpireTime(ms)
		} else if s, err := jsonInt(fields[secondsLeft]); err == nil && s > 0 {
			t = now.Add(time.Duration(s) * time.Second)
		}
		if !t.After(now) {
			bad = append(bad, millis+" (or "+secondsLeft+")")
		}
		return t
	}
	tok := Token{
		AccessToken: text("access_token"), AccessTokenExpiresAt: instant("expire_time", "expires_in"),
		RefreshToken: text("refresh_token"), RefreshTokenExpiresAt: instant("refresh_token_valid_time", "refresh_expires_in"),
	}
	if len(bad) > 0 {
		return Token{}, fmt.Errorf("the answer lacks, or has unusable, %s", strings.Join(bad, ", "))
	}
	return tok, nil
}

// jsonInt reads a JSON number or numeric string; absent or null is zero. Its error quotes nothing.
func jsonInt(raw json.RawMessage) (int64, error) {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	if s == "" || s == "null" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errors.New("not an integer")
	}
	return n, nil
}

// requestID is the answer's request_id, scrubbed, for an error about the answer.
func requestID(body json.RawMessage, scrub func(string) string) string {
	var v struct {
		RequestID string `json:"request_id"`
	}
	_ = json.Unmarshal(body, &v)
	return scrub(v.RequestID)
}
