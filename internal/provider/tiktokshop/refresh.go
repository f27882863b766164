package tiktokshop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/alitok/workspace-operator/internal/provider"
	"github.com/alitok/workspace-operator/internal/provider/httpretry"
)

// DefaultAuthBaseURL is the origin of the token endpoints, a host apart from the Open API's (the sandbox's is
// https://auth-sandbox.tiktok-shops.com).
const DefaultAuthBaseURL = "https://auth.tiktok-shops.com"

// pathRefresh is the token refresh call. It is a GET with the app secret and the refresh token in the query: the
// host answers other methods with 404.
const pathRefresh = "/api/v2/token/refresh"

// maxTokenResponseBytes bounds a token response, which is well under a kilobyte.
const maxTokenResponseBytes = 1 << 20

// RefreshConfig configures RefreshToken. AppKey, AppSecret and RefreshToken are required.
type RefreshConfig struct {
	// BaseURL is the auth origin, https://host without a path; DefaultAuthBaseURL when empty. Plain http is refused:
	// the call carries the app secret and the refresh token.
	BaseURL string
	// AppKey and AppSecret identify the app.
	AppKey, AppSecret string
	// RefreshToken is the seller's current refresh token.
	RefreshToken string
	// HTTPClient sends the request; when nil, one with 30s timeouts. Redirects are never followed.
	HTTPClient *http.Client
	// Retry governs retries of rate-limited and failed attempts; its zero value retries up to 5 attempts.
	Retry httpretry.Policy
	// Now is the clock that the new expiries must lie ahead of; time.Now when nil.
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

// errAnswerLost explains an ErrReauthorize that follows an attempt whose answer never arrived: the platform may have
// granted new tokens then and retired the refresh token that the next attempt presented.
var errAnswerLost = errors.New("an earlier attempt got no answer; it may have replaced the refresh token")

// RefreshToken trades the seller's refresh token for a new access token and a new refresh token through the auth
// host's /api/v2/token/refresh. On any error the caller keeps the tokens it has.
//
// Failures are *Error values: ErrReauthorize when the platform no longer knows the refresh token (expired, revoked
// or replaced), ErrRateLimited and ErrUnavailable after the retries, ErrMalformedResponse when the answer lacks a
// token or an expiry. Neither the error nor the request's URL in it carries the secret or a token.
func RefreshToken(ctx context.Context, cfg RefreshConfig) (Token, error) {
	if err := cfg.validate(); err != nil {
		return Token{}, fmt.Errorf("tiktokshop: refresh: %w", err)
	}
	base, err := origin(cfg.BaseURL, DefaultAuthBaseURL)
	if err != nil {
		return Token{}, fmt.Errorf("tiktokshop: auth base URL %w", err)
	}
	r := &refresher{cfg: cfg, base: base, hc: httpretry.NewClient(defaultTimeout), now: cfg.Now,
		scrub: httpretry.Scrubber(cfg.AppSecret, cfg.RefreshToken)}
	if cfg.HTTPClient != nil {
		r.hc = httpretry.WithoutRedirects(cfg.HTTPClient)
	}
	if r.now == nil {
		r.now = time.Now
	}
	var tok Token
	lost := false
	err = cfg.Retry.Do(ctx, func(ctx context.Context) error {
		var err error
		tok, err = r.attempt(ctx)
		var e *Error
		if errors.As(err, &e) && e.HTTPStatus == 0 && errors.Is(err, ErrUnavailable) {
			lost = true
		}
		return err
	})
	var e *Error
	if lost && errors.Is(err, ErrReauthorize) && errors.As(err, &e) {
		e.Err = errAnswerLost
	}
	return tok, err
}

// refresher runs the attempts of one refresh.
type refresher struct {
	cfg   RefreshConfig
	base  *url.URL
	hc    *http.Client
	now   func() time.Time
	scrub func(string) string
}

const opRefresh = http.MethodGet + " " + pathRefresh

func (r *refresher) attempt(ctx context.Context) (Token, error) {
	q := url.Values{"app_key": {r.cfg.AppKey}, "app_secret": {r.cfg.AppSecret},
		"refresh_token": {r.cfg.RefreshToken}, "grant_type": {"refresh_token"}}
	u := *r.base
	u.Path = pathRefresh
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Token{}, &Error{Op: opRefresh, Err: httpretry.CleanTransportError(err)}
	}
	req.Header.Set("Accept", "application/json")
	resp, err := r.hc.Do(req)
	if err != nil {
		return Token{}, r.transportError(ctx, err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := httpretry.ReadBody(resp.Body, maxTokenResponseBytes)
	if errors.Is(err, httpretry.ErrBodyTooLarge) {
		return Token{}, &Error{Op: opRefresh, HTTPStatus: resp.StatusCode, Kind: ErrMalformedResponse, Err: err}
	}
	if err != nil {
		return Token{}, r.transportError(ctx, err)
	}
	return r.parse(resp, raw)
}

func (r *refresher) transportError(ctx context.Context, err error) error {
	e := &Error{Op: opRefresh, Err: httpretry.CleanTransportError(err)}
	if ctx.Err() != nil {
		return e
	}
	e.Kind = ErrUnavailable
	return httpretry.Retry(e, 0)
}

// parse turns the answer into a Token or an error, marked for retry when another attempt may succeed. Decoding
// errors are replaced by sentences that name fields: encoding/json would quote values, and those are tokens.
func (r *refresher) parse(resp *http.Response, raw []byte) (Token, error) {
	var env struct {
		Code      json.RawMessage `json:"code"`
		Message   string          `json:"message"`
		RequestID string          `json:"request_id"`
		Data      json.RawMessage `json:"data"`
	}
	jsonErr := json.Unmarshal(raw, &env)
	code, codeErr := jsonInt(env.Code)
	success := resp.StatusCode >= 200 && resp.StatusCode <= 299
	if success && (jsonErr != nil || codeErr != nil) {
		return Token{}, &Error{Op: opRefresh, HTTPStatus: resp.StatusCode, Kind: ErrMalformedResponse,
			Err: errors.New("the answer is not the token endpoint's JSON")}
	}
	requestID := r.scrub(env.RequestID)
	if success && code == codeOK {
		tok, err := decodeToken(env.Data, r.now())
		if err != nil {
			return Token{}, &Error{Op: opRefresh, HTTPStatus: resp.StatusCode, RequestID: requestID,
				Kind: ErrMalformedResponse, Err: err}
		}
		return tok, nil
	}
	kind, retry := classifyRefresh(resp.StatusCode, int(code), env.Message)
	e := &Error{Op: opRefresh, HTTPStatus: resp.StatusCode, Code: int(code), Message: r.scrub(env.Message),
		RequestID: requestID, Kind: kind}
	if !retry {
		return Token{}, e
	}
	after, _ := httpretry.ParseRetryAfter(resp.Header.Get("Retry-After"), r.now())
	if errors.Is(kind, ErrRateLimited) {
		e.RetryAfter = after
	}
	return Token{}, httpretry.Retry(e, after)
}

// classifyRefresh is classify for the refresh call, where a refused token is the refresh token: an unknown auth
// record (36004005, what the host answers for a token it does not know) and the token codes all mean that only a
// new authorization helps. Other refusals (36004004, a bad app key or secret) stay ErrUnauthorized: re-authorizing
// the seller would not mend the app's credentials.
func classifyRefresh(status, code int, message string) (kind error, retry bool) { //nolint:revive // as classify
	switch code {
	case codeNoAuthRecord, codeTokenInvalid, codeTokenExpired, codeTokenRevoked:
		return ErrReauthorize, false
	}
	return classify(status, code, message)
}

// decodeToken reads a refresh's data object. Both tokens and both expiries are required, and the expiries must lie
// ahead of now: *_expire_in are absolute Unix seconds despite their names, and a duration read as a time would
// lie in 1970. The error names the fields that failed, never their values.
func decodeToken(data json.RawMessage, now time.Time) (Token, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil || fields == nil {
		return Token{}, errors.New("the answer has no data object")
	}
	var bad []string
	text := func(name string) string {
		var s string
		if err := json.Unmarshal(fields[name], &s); err != nil || s == "" {
			bad = append(bad, name)
		}
		return s
	}
	instant := func(name string) time.Time {
		secs, err := jsonInt(fields[name])
		t := AccessTokenExpireIn(secs)
		if err != nil || t.IsZero() || !t.After(now) {
			bad = append(bad, name)
		}
		return t
	}
	tok := Token{
		AccessToken: text("access_token"), AccessTokenExpiresAt: instant("access_token_expire_in"),
		RefreshToken: text("refresh_token"), RefreshTokenExpiresAt: instant("refresh_token_expire_in"),
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
