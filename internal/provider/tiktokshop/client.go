package tiktokshop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/alitok/workspace-operator/internal/provider/httpretry"
)

// DefaultBaseURL is the Open API host.
const DefaultBaseURL = "https://open-api.tiktokglobalshop.com"

const (
	defaultTimeout  = 30 * time.Second
	defaultPageSize = 50
	// maxPageSize is the smallest page_size cap among the search calls used here (packages allow 50).
	maxPageSize = 50
	// maxResponseBytes bounds a response; a page of 50 orders is far below it.
	maxResponseBytes = 32 << 20
)

// Config configures a Client. Only Credentials is required.
type Config struct {
	// BaseURL is the API origin, https://host without a path; DefaultBaseURL when empty. Tests point it at a local
	// TLS server. Plain http is refused so the token never travels in clear text.
	BaseURL string
	// Credentials authenticate every call.
	Credentials Credentials
	// HTTPClient sends the requests; when nil, one with 30s timeouts. The client never follows redirects (a
	// redirect would resend the token header elsewhere), whatever HTTPClient's policy.
	HTTPClient *http.Client
	// Now is the clock for request timestamps and token expiry; time.Now when nil.
	Now func() time.Time
	// Retry governs retries of rate-limited and failed calls; its zero value retries up to 5 attempts.
	Retry httpretry.Policy
	// PageSize is the page size of listings, 1 to 50; 50 when zero.
	PageSize int
}

// Client calls the TikTok Shop Open API for one shop. It is safe for concurrent use.
type Client struct {
	base     *url.URL
	creds    Credentials
	hc       *http.Client
	now      func() time.Time
	retry    httpretry.Policy
	pageSize int
	scrub    func(string) string
}

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if err := cfg.Credentials.validate(); err != nil {
		return nil, fmt.Errorf("tiktokshop: credentials: %w", err)
	}
	base, err := origin(cfg.BaseURL, DefaultBaseURL)
	if err != nil {
		return nil, fmt.Errorf("tiktokshop: base URL %w", err)
	}
	hc := httpretry.NewClient(defaultTimeout)
	if cfg.HTTPClient != nil {
		hc = httpretry.WithoutRedirects(cfg.HTTPClient)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	size := cfg.PageSize
	if size == 0 {
		size = defaultPageSize
	}
	if size < 1 || size > maxPageSize {
		return nil, fmt.Errorf("tiktokshop: page size %d outside 1..%d", size, maxPageSize)
	}
	return &Client{
		base:     base,
		creds:    cfg.Credentials,
		hc:       hc,
		now:      now,
		retry:    cfg.Retry,
		pageSize: size,
		scrub:    httpretry.Scrubber(cfg.Credentials.AppSecret, cfg.Credentials.AccessToken),
	}, nil
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
	return fmt.Sprintf("tiktokshop.Client{base: %s, credentials: %s}", c.base, c.creds)
}

// Format makes every fmt verb print String; the unexported fields would otherwise be printed raw.
func (c *Client) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }

// call is one API call.
type call struct {
	method string
	path   string
	// query holds the API's own parameters; the client adds app_key, timestamp, shop_cipher and sign.
	query url.Values
	// body is sent as JSON on non-GET calls.
	body any
	// shop marks shop-scoped calls, which carry shop_cipher. Others refuse it.
	shop bool
	// page is the listing page, for errors.
	page int
}

func (r call) op() string { return r.method + " " + r.path }

// do runs r with retries and returns the response's data object.
func (c *Client) do(ctx context.Context, r call) (json.RawMessage, error) {
	if exp, left, known := c.TokenExpiry(); known && left <= 0 {
		// Calling would only earn a 105002 and count against the rate limit.
		return nil, &Error{Op: r.op(), Page: r.page, Kind: ErrTokenExpired,
			Message: "expired at " + exp.UTC().Format(time.RFC3339)}
	}
	var body []byte
	if r.method != http.MethodGet && r.body != nil {
		// Marshalled once: the signature covers exactly these bytes, on every attempt.
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, &Error{Op: r.op(), Page: r.page, Err: err}
		}
		body = b
	}
	var data json.RawMessage
	err := c.retry.Do(ctx, func(ctx context.Context) error {
		var err error
		data, err = c.attempt(ctx, r, body)
		return err
	})
	return data, err
}

// attempt sends r once. Each attempt is signed afresh: the platform rejects timestamps more than 5 minutes old, and
// backoff may have taken a while.
func (c *Client) attempt(ctx context.Context, r call, body []byte) (json.RawMessage, error) {
	q := url.Values{}
	for k, v := range r.query {
		q[k] = v
	}
	q.Set("app_key", c.creds.AppKey)
	q.Set("timestamp", strconv.FormatInt(c.now().Unix(), 10))
	if r.shop && c.creds.ShopCipher != "" {
		q.Set("shop_cipher", c.creds.ShopCipher)
	}
	q.Set("sign", Sign(c.creds.AppSecret, r.path, q, body))

	u := *c.base
	u.Path = r.path
	u.RawQuery = q.Encode()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), rd)
	if err != nil {
		return nil, &Error{Op: r.op(), Page: r.page, Err: httpretry.CleanTransportError(err)}
	}
	req.Header.Set("x-tts-access-token", c.creds.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")

	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, r, err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := httpretry.ReadBody(resp.Body, maxResponseBytes)
	if errors.Is(err, httpretry.ErrBodyTooLarge) {
		return nil, &Error{Op: r.op(), Page: r.page, HTTPStatus: resp.StatusCode, Kind: ErrMalformedResponse, Err: err}
	}
	if err != nil {
		return nil, c.transportError(ctx, r, err)
	}
	return c.parse(r, resp, raw)
}

// transportError reports a failure to exchange a request. It is retried unless the caller's context ended.
func (c *Client) transportError(ctx context.Context, r call, err error) error {
	e := &Error{Op: r.op(), Page: r.page, Err: httpretry.CleanTransportError(err)}
	if ctx.Err() != nil {
		return e
	}
	e.Kind = ErrUnavailable
	return httpretry.Retry(e, 0)
}

// envelope is the frame of every response.
type envelope struct {
	Code      flexInt         `json:"code"`
	Message   string          `json:"message"`
	RequestID string          `json:"request_id"`
	Data      json.RawMessage `json:"data"`
}

// parse turns a response into its data object or an error, marked for retry when another attempt may succeed.
func (c *Client) parse(r call, resp *http.Response, raw []byte) (json.RawMessage, error) {
	var env envelope
	jsonErr := json.Unmarshal(raw, &env)
	success := resp.StatusCode >= 200 && resp.StatusCode <= 299
	if success && jsonErr != nil {
		return nil, &Error{Op: r.op(), Page: r.page, HTTPStatus: resp.StatusCode, Kind: ErrMalformedResponse, Err: jsonErr}
	}
	if success && env.Code == codeOK {
		if len(env.Data) == 0 || string(env.Data) == "null" {
			return nil, &Error{Op: r.op(), Page: r.page, HTTPStatus: resp.StatusCode, RequestID: env.RequestID,
				Kind: ErrMalformedResponse, Err: errors.New("response has no data")}
		}
		return env.Data, nil
	}
	// A failure, told by the status, the code, or both. An error body that is not JSON (a proxy's HTML page) leaves
	// the status alone to go by.
	kind, retry := classify(resp.StatusCode, int(env.Code), env.Message)
	e := &Error{
		Op: r.op(), Page: r.page, HTTPStatus: resp.StatusCode,
		Code: int(env.Code), Message: c.scrub(env.Message), RequestID: c.scrub(env.RequestID), Kind: kind,
	}
	if !retry {
		return nil, e
	}
	after, _ := httpretry.ParseRetryAfter(resp.Header.Get("Retry-After"), c.now())
	if errors.Is(kind, ErrRateLimited) {
		e.RetryAfter = after
	}
	return nil, httpretry.Retry(e, after)
}

// origin checks an https origin (raw, or def when raw is empty) and returns it without a trailing slash. Plain http
// is refused so that tokens and secrets never travel in clear text.
func origin(raw, def string) (*url.URL, error) {
	if raw == "" {
		raw = def
	}
	// The URL is not echoed in the error: a mistyped one might carry userinfo.
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("must be https://host, without userinfo, path or query")
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// flexInt decodes a JSON number or a numeric string: most responses send code as a number, a few as a string.
type flexInt int64

func (n *flexInt) UnmarshalJSON(b []byte) error {
	s := string(bytes.Trim(b, `"`))
	if s == "" || s == "null" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("not an integer: %q", truncate(s, 32))
	}
	*n = flexInt(v)
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
