package aliexpress

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	// The platform's times are US Pacific; the worker image may ship no zoneinfo.
	_ "time/tzdata"

	"github.com/alitok/workspace-operator/internal/provider/httpretry"
)

// DefaultBaseURL is the IOP gateway.
const DefaultBaseURL = "https://api-sg.aliexpress.com"

const (
	defaultTimeout  = 30 * time.Second
	defaultPageSize = 50
	maxPageSize     = 50
	// maxResponseBytes bounds a response; a page of 50 orders is far below it.
	maxResponseBytes = 32 << 20
)

// Config configures a Client. Only Credentials is required.
type Config struct {
	// BaseURL is the gateway origin, https://host without a path; DefaultBaseURL when empty. Tests point it at a
	// local TLS server. Plain http is refused so the token never travels in clear text.
	BaseURL string
	// Credentials authenticate every call.
	Credentials Credentials
	// HTTPClient sends the requests; when nil, one with 30s timeouts. The client never follows redirects (a redirect
	// could replay the signed form elsewhere), whatever HTTPClient's policy.
	HTTPClient *http.Client
	// Now is the clock for request timestamps, listing bounds and token expiry; time.Now when nil.
	Now func() time.Time
	// Location is the zone of the platform's "yyyy-MM-dd HH:mm:ss" times; US Pacific (America/Los_Angeles), as
	// the order APIs document, when nil.
	Location *time.Location
	// Retry governs retries of rate-limited and failed calls; its zero value retries up to 5 attempts.
	Retry httpretry.Policy
	// PageSize is the page size of listings, 1 to 50; 50 when zero.
	PageSize int
}

// Client calls the AliExpress Open Platform for one seller. It is safe for concurrent use.
type Client struct {
	base     *url.URL
	creds    Credentials
	hc       *http.Client
	now      func() time.Time
	loc      *time.Location
	retry    httpretry.Policy
	pageSize int
	scrub    func(string) string
}

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if err := cfg.Credentials.validate(); err != nil {
		return nil, fmt.Errorf("aliexpress: credentials: %w", err)
	}
	base, err := origin(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	loc := cfg.Location
	if loc == nil {
		if loc, err = time.LoadLocation("America/Los_Angeles"); err != nil {
			return nil, fmt.Errorf("aliexpress: %w", err)
		}
	}
	size := cfg.PageSize
	if size == 0 {
		size = defaultPageSize
	}
	if size < 1 || size > maxPageSize {
		return nil, fmt.Errorf("aliexpress: page size %d outside 1..%d", size, maxPageSize)
	}
	return &Client{
		base:     base,
		creds:    cfg.Credentials,
		hc:       httpClient(cfg.HTTPClient),
		now:      clock(cfg.Now),
		loc:      loc,
		retry:    cfg.Retry,
		pageSize: size,
		scrub:    httpretry.Scrubber(cfg.Credentials.AppSecret, cfg.Credentials.AccessToken),
	}, nil
}

// origin checks the gateway origin (DefaultBaseURL when raw is empty) and returns it without a trailing slash. Plain
// http is refused so that tokens and secrets never travel in clear text.
func origin(raw string) (*url.URL, error) {
	if raw == "" {
		raw = DefaultBaseURL
	}
	// The URL is not echoed in the error: a mistyped one might carry userinfo.
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("aliexpress: base URL must be https://host, without userinfo, path or query")
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// httpClient is hc without redirects, or one with the default timeouts when hc is nil.
func httpClient(hc *http.Client) *http.Client {
	if hc == nil {
		return httpretry.NewClient(defaultTimeout)
	}
	return httpretry.WithoutRedirects(hc)
}

// clock is now, or time.Now when nil.
func clock(now func() time.Time) func() time.Time {
	if now == nil {
		return time.Now
	}
	return now
}

// TokenExpiry reports when the access token expires and how long it has left by the client's clock (negative once
// past). known is false when the credentials carry no expiry. A sync task can refresh the token ahead of time.
func (c *Client) TokenExpiry() (expiresAt time.Time, left time.Duration, known bool) {
	if c.creds.AccessTokenExpiresAt.IsZero() {
		return time.Time{}, 0, false
	}
	return c.creds.AccessTokenExpiresAt, c.creds.AccessTokenExpiresAt.Sub(c.now()), true
}

// String describes the client without its credentials' secrets.
func (c *Client) String() string {
	return fmt.Sprintf("aliexpress.Client{base: %s, credentials: %s}", c.base, c.creds)
}

// Format makes every fmt verb print String; the unexported fields would otherwise be printed raw.
func (c *Client) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }

// call is one API call.
type call struct {
	// api is a business API name ("aliexpress.trade.seller.orderlist.get") or a system API path ("/auth/token/create").
	api string
	// params are the API's own parameters; the client adds the system ones and sign.
	params map[string]string
	// op names the call in errors; api when empty.
	op string
	// page is the listing page, for errors.
	page int
}

func (r call) name() string {
	if r.op != "" {
		return r.op
	}
	return r.api
}

// do runs r with retries and returns the API's response object: for business APIs the value under
// "<api_name>_response", for system APIs the whole body.
func (c *Client) do(ctx context.Context, r call) (json.RawMessage, error) {
	if exp, left, known := c.TokenExpiry(); known && left <= 0 {
		// Calling would only earn IllegalAccessToken and count against the call limit.
		return nil, &Error{Op: r.name(), Page: r.page, Kind: ErrTokenExpired,
			Message: "expired at " + exp.UTC().Format(time.RFC3339)}
	}
	var out json.RawMessage
	err := c.retry.Do(ctx, func(ctx context.Context) error {
		var err error
		out, err = c.attempt(ctx, r)
		return err
	})
	return out, err
}

// attempt sends r once, signed afresh so the timestamp is current.
//
// Every parameter, the token included, travels in the POST form rather than the URL, which proxies and access
// logs record; only the API name is in the URL. The gateway reads parameters from either place.
func (c *Client) attempt(ctx context.Context, r call) (json.RawMessage, error) {
	params := make(map[string]string, len(r.params)+6)
	for k, v := range r.params {
		params[k] = v
	}
	params["app_key"] = c.creds.AppKey
	if c.creds.AccessToken != "" { // the token APIs (/auth/token/*) carry none
		params["access_token"] = c.creds.AccessToken
	}
	params["timestamp"] = strconv.FormatInt(c.now().UnixMilli(), 10)
	params["sign_method"] = "sha256"
	u := *c.base
	system := strings.Contains(r.api, "/")
	if system {
		u.Path = "/rest" + r.api
	} else {
		params["method"] = r.api
		u.Path = "/sync"
		u.RawQuery = url.Values{"method": {r.api}}.Encode()
	}
	params["sign"] = Sign(c.creds.AppSecret, r.api, params)

	form := url.Values{}
	for k, v := range params {
		if k != "method" { // business APIs carry it in the URL already
			form.Set(k, v)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, &Error{Op: r.name(), Page: r.page, Err: httpretry.CleanTransportError(err)}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	req.Header.Set("Accept", "application/json")

	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, r, err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := httpretry.ReadBody(resp.Body, maxResponseBytes)
	if errors.Is(err, httpretry.ErrBodyTooLarge) {
		return nil, &Error{Op: r.name(), Page: r.page, HTTPStatus: resp.StatusCode, Kind: ErrMalformedResponse, Err: err}
	}
	if err != nil {
		return nil, c.transportError(ctx, r, err)
	}
	return c.parse(r, resp, raw)
}

// transportError reports a failure to exchange a request. It is retried unless the caller's context ended.
func (c *Client) transportError(ctx context.Context, r call, err error) error {
	e := &Error{Op: r.name(), Page: r.page, Err: httpretry.CleanTransportError(err)}
	if ctx.Err() != nil {
		return e
	}
	e.Kind = ErrUnavailable
	return httpretry.Retry(e, 0)
}

// platformError is an error in either of the gateway's shapes: {"error_response": {code, msg, sub_code, sub_msg}}
// (TOP style) or a top-level {code, type, message} with a code other than "0" (IOP style).
type platformError struct {
	Code      flexString `json:"code"`
	SubCode   string     `json:"sub_code"`
	Msg       string     `json:"msg"`
	SubMsg    string     `json:"sub_msg"`
	Message   string     `json:"message"`
	RequestID string     `json:"request_id"`
}

// parse turns a response into its API response object or an error, marked for retry when another attempt may succeed.
func (c *Client) parse(r call, resp *http.Response, raw []byte) (json.RawMessage, error) {
	var top map[string]json.RawMessage
	jsonErr := json.Unmarshal(raw, &top)
	success := resp.StatusCode >= 200 && resp.StatusCode <= 299

	var pe *platformError
	if jsonErr == nil {
		if er, ok := top["error_response"]; ok {
			pe = &platformError{}
			if err := json.Unmarshal(er, pe); err != nil {
				return nil, c.malformed(r, resp, fmt.Errorf("error_response: %w", err))
			}
		} else if _, ok := top["code"]; ok {
			var probe platformError
			if err := json.Unmarshal(raw, &probe); err != nil {
				return nil, c.malformed(r, resp, err)
			}
			if probe.Code != "" && probe.Code != "0" {
				pe = &probe
			}
		}
	}
	if success && pe == nil {
		if jsonErr != nil {
			return nil, c.malformed(r, resp, jsonErr)
		}
		if strings.Contains(r.api, "/") {
			return raw, nil // system APIs answer with a bare object
		}
		key := strings.ReplaceAll(r.api, ".", "_") + "_response"
		body, ok := top[key]
		if !ok || string(body) == "null" {
			return nil, c.malformed(r, resp, fmt.Errorf("no %s in the response", key))
		}
		return body, nil
	}

	if pe == nil {
		pe = &platformError{} // an error body that is not JSON (a proxy's HTML page): the status tells
	}
	msg := pe.Msg
	if msg == "" {
		msg = pe.Message
	}
	if pe.SubMsg != "" {
		msg += " (" + pe.SubMsg + ")"
	}
	kind, retry, after := classify(resp.StatusCode, string(pe.Code), pe.SubCode, msg)
	e := &Error{Op: r.name(), Page: r.page, HTTPStatus: resp.StatusCode, Code: c.scrub(string(pe.Code)),
		SubCode: c.scrub(pe.SubCode), Message: c.scrub(msg), RequestID: c.scrub(pe.RequestID), Kind: kind}
	if !retry {
		return nil, e
	}
	if a, ok := httpretry.ParseRetryAfter(resp.Header.Get("Retry-After"), c.now()); ok {
		after = a
	}
	if errors.Is(kind, ErrRateLimited) {
		e.RetryAfter = after
	}
	return nil, httpretry.Retry(e, after)
}

func (c *Client) malformed(r call, resp *http.Response, err error) error {
	return &Error{Op: r.name(), Page: r.page, HTTPStatus: resp.StatusCode, Kind: ErrMalformedResponse, Err: err}
}

// flexString decodes a JSON string or number as text. IDs arrive as numbers above 2^53 that a float64 would round;
// codes and amounts arrive as either.
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*s = ""
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(v)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("want a string or a number, got %.32s", b)
		}
		*s = flexString(n)
	}
	return nil
}
