package tiktokshop

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alitok/workspace-operator/internal/provider/httpretry"
)

func TestRetries(t *testing.T) {
	rateLimited := reply{status: http.StatusTooManyRequests, header: map[string]string{"Retry-After": "3"},
		body: `{"code":36009002,"message":"Too many requests.","request_id":"r-429"}`}
	tests := []struct {
		name       string
		replies    []reply
		wantErr    error // nil: success
		wantCalls  int
		wantSleeps []time.Duration
	}{
		{
			name:       "429 then success waits as long as Retry-After asks",
			replies:    []reply{rateLimited, ordersPage("", "o1")},
			wantCalls:  2,
			wantSleeps: []time.Duration{3 * time.Second},
		},
		{
			name:       "503 then success backs off",
			replies:    []reply{{status: http.StatusServiceUnavailable, body: "<html>busy</html>"}, ordersPage("", "o1")},
			wantCalls:  2,
			wantSleeps: []time.Duration{500 * time.Millisecond}, // half of the 1s base: the bottom of the jitter range
		},
		{
			name: "502 twice then success doubles the backoff",
			replies: []reply{{status: http.StatusBadGateway}, {status: http.StatusBadGateway},
				ordersPage("", "o1")},
			wantCalls:  3,
			wantSleeps: []time.Duration{500 * time.Millisecond, time.Second},
		},
		{
			name:       "rate-limit code in an HTTP 200 is retried",
			replies:    []reply{{body: `{"code":36009002,"message":"Too many requests."}`}, ordersPage("", "o1")},
			wantCalls:  2,
			wantSleeps: []time.Duration{500 * time.Millisecond},
		},
		{
			name:       "internal-error code is retried",
			replies:    []reply{{body: `{"code":36009003,"message":"Internal error."}`}, ordersPage("", "o1")},
			wantCalls:  2,
			wantSleeps: []time.Duration{500 * time.Millisecond},
		},
		{
			name:       "persistent 429 gives up after the attempts as rate limited",
			replies:    []reply{rateLimited},
			wantErr:    ErrRateLimited,
			wantCalls:  3,
			wantSleeps: []time.Duration{3 * time.Second, 3 * time.Second},
		},
		{
			name:      "501 is not retried",
			replies:   []reply{{status: http.StatusNotImplemented}},
			wantErr:   ErrUnavailable,
			wantCalls: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakePlatform(t)
			f.on(pathOrders, "", tt.replies...)
			c, s := newTestClient(t, f)

			var got []string
			_, err := c.ListOrders(context.Background(), since, func(o Order) error { got = append(got, o.ID); return nil })
			if tt.wantErr == nil && (err != nil || !slices.Equal(got, []string{"o1"})) {
				t.Fatalf("ListOrders = %v, orders %v; want success with o1", err, got)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("ListOrders error = %v, want %v", err, tt.wantErr)
			}
			if n := len(f.seen()); n != tt.wantCalls {
				t.Errorf("requests = %d, want %d", n, tt.wantCalls)
			}
			if !slices.Equal(s.all(), tt.wantSleeps) {
				t.Errorf("backoff waits = %v, want %v", s.all(), tt.wantSleeps)
			}
		})
	}
}

func TestRateLimitedErrorCarriesRetryAfter(t *testing.T) {
	f := newFakePlatform(t)
	f.on(pathOrders, "", reply{status: http.StatusTooManyRequests, header: map[string]string{"Retry-After": "120"},
		body: `{"code":36009002,"message":"Too many requests.","request_id":"r-429"}`})
	c, s := newTestClient(t, f)

	_, err := c.ListOrders(context.Background(), since, func(Order) error { return nil })
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrRateLimited) || e.RetryAfter != 2*time.Minute || e.Page != 1 {
		t.Fatalf("error = %#v, want rate limited on page 1 with RetryAfter 2m", err)
	}
	// 2m exceeds the policy's 10s MaxDelay: no waiting, the caller reschedules.
	if len(f.seen()) != 1 || len(s.all()) != 0 {
		t.Errorf("requests = %d, waits = %v; want 1 request and no wait", len(f.seen()), s.all())
	}
}

func TestErrorsAreClassifiedWithoutRetry(t *testing.T) {
	tests := []struct {
		name     string
		reply    reply
		wantKind error
		wantCode int
	}{
		{"HTTP 401 is unauthorized", reply{status: http.StatusUnauthorized, body: `{"code":105001,"message":"Invalid token."}`}, ErrUnauthorized, 105001},
		{"HTTP 401 without a JSON body is unauthorized", reply{status: http.StatusUnauthorized, body: "denied"}, ErrUnauthorized, 0},
		{"expired token code is token expired", reply{body: `{"code":105002,"message":"Expired credentials."}`}, ErrTokenExpired, 105002},
		{"expired token is also unauthorized", reply{body: `{"code":105002,"message":"Expired credentials."}`}, ErrUnauthorized, 105002},
		{"revoked token is unauthorized", reply{body: `{"code":105003,"message":"Revoked."}`}, ErrUnauthorized, 105003},
		{"overloaded parameter code naming the token header is unauthorized",
			reply{body: "{\"code\":36009004,\"message\":\"Invalid credentials. The `x-tts-access-token` header is invalid.\"}"}, ErrUnauthorized, 36009004},
		{"missing scope is forbidden", reply{body: `{"code":105005,"message":"Access denied."}`}, ErrForbidden, 105005},
		{"HTTP 403 is forbidden", reply{status: http.StatusForbidden, body: `{}`}, ErrForbidden, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakePlatform(t)
			f.on(pathOrders, "", tt.reply)
			c, _ := newTestClient(t, f)

			_, err := c.ListOrders(context.Background(), since, func(Order) error { return nil })
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, tt.wantKind) || e.Code != tt.wantCode {
				t.Fatalf("error = %v, want kind %v with code %d", err, tt.wantKind, tt.wantCode)
			}
			if n := len(f.seen()); n != 1 {
				t.Errorf("requests = %d, want 1 (no retry)", n)
			}
		})
	}
}

func TestUnknownPlatformCodeIsAPlainError(t *testing.T) {
	f := newFakePlatform(t)
	f.on(pathOrders, "", reply{body: `{"code":12052024,"message":"Category is not final.","request_id":"r-x"}`})
	c, _ := newTestClient(t, f)

	_, err := c.ListOrders(context.Background(), since, func(Order) error { return nil })
	var e *Error
	if !errors.As(err, &e) || e.Kind != nil || e.Code != 12052024 || e.RequestID != "r-x" {
		t.Fatalf("error = %#v, want a kindless platform error with code and request ID", err)
	}
	want := `tiktokshop: POST /order/202309/orders/search page 1: code 12052024, "Category is not final.", request r-x`
	if err.Error() != want {
		t.Errorf("message = %q, want %q", err.Error(), want)
	}
}

func TestMalformedPagesAreNamed(t *testing.T) {
	tests := []struct {
		name    string
		page2   reply
		wantMsg string
	}{
		{"truncated JSON", reply{body: `{"code":0,"data":{"orders":[{"id":"o3"`}, "unexpected end of JSON input"},
		{"HTML instead of JSON", reply{body: `<html>gateway</html>`}, "invalid character '<'"},
		{"records of the wrong shape", reply{body: `{"code":0,"data":{"orders":"nope"}}`}, "orders: json: cannot unmarshal"},
		{"timestamp that is not a number", reply{body: `{"code":0,"data":{"orders":[{"id":"o3","update_time":"soon"}]}}`}, "not an integer"},
		{"success without data", reply{body: `{"code":0,"message":"Success"}`}, "response has no data"},
		{"next_page_token that loops", ordersPage("p2", "o3"), "next_page_token repeats an earlier page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakePlatform(t)
			f.on(pathOrders, "", ordersPage("p2", "o1", "o2"))
			f.on(pathOrders, "p2", tt.page2)
			c, s := newTestClient(t, f)

			var got []string
			_, err := c.ListOrders(context.Background(), since, func(o Order) error { got = append(got, o.ID); return nil })
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrMalformedResponse) || e.Page != 2 {
				t.Fatalf("error = %v, want malformed response on page 2", err)
			}
			if msg := err.Error(); !strings.Contains(msg, "page 2") || !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message %q does not name page 2 and %q", msg, tt.wantMsg)
			}
			if tt.name != "next_page_token that loops" && !slices.Equal(got, []string{"o1", "o2"}) {
				t.Errorf("delivered %v, want only page 1's records", got)
			}
			if len(s.all()) != 0 {
				t.Errorf("malformed page was retried: waits %v", s.all())
			}
		})
	}
}

func TestPlatformRejectsWrongSecretAndErrorLeaksNothing(t *testing.T) {
	f := newFakePlatform(t)
	f.on(pathOrders, "", ordersPage("", "o1"))
	c, _ := newTestClient(t, f, func(cfg *Config) { cfg.Credentials.AppSecret = "wrong-secret-value" })

	_, err := c.ListOrders(context.Background(), since, func(Order) error { return nil })
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrUnauthorized) || e.Code != 106001 {
		t.Fatalf("error = %v, want unauthorized with the platform's signature code 106001", err)
	}
	assertNoSecrets(t, err, "wrong-secret-value", testToken, f.seen()[0].Query.Get("sign"))
}

func TestErrorsNeverEchoCredentials(t *testing.T) {
	f := newFakePlatform(t)
	f.on(pathOrders, "", reply{status: http.StatusBadRequest, echo: true})
	c, _ := newTestClient(t, f)

	_, err := c.ListOrders(context.Background(), since, func(Order) error { return nil })
	if err == nil {
		t.Fatal("ListOrders succeeded, want the echoed rejection")
	}
	assertNoSecrets(t, err, testAppSecret, testToken, f.seen()[0].Query.Get("sign"))
}

func TestTransportFailureIsRetriedAndLeaksNoURL(t *testing.T) {
	f := newFakePlatform(t)
	c, s := newTestClient(t, f)
	f.Close() // connections are now refused

	_, err := c.ListOrders(context.Background(), since, func(Order) error { return nil })
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("error = %v, want unavailable", err)
	}
	if len(s.all()) != 2 {
		t.Errorf("waits = %v, want 2 (3 attempts)", s.all())
	}
	if strings.Contains(err.Error(), "sign=") || strings.Contains(err.Error(), "?") {
		t.Errorf("error %q holds the request URL", err)
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	f := newFakePlatform(t)
	f.on(pathOrders, "", reply{status: http.StatusFound, header: map[string]string{"Location": "/elsewhere"}})
	c, _ := newTestClient(t, f)

	_, err := c.ListOrders(context.Background(), since, func(Order) error { return nil })
	var e *Error
	if !errors.As(err, &e) || e.HTTPStatus != http.StatusFound {
		t.Fatalf("error = %v, want the 302 reported", err)
	}
	for _, r := range f.seen() {
		if r.Path == "/elsewhere" {
			t.Fatal("redirect was followed, resending the token header")
		}
	}
}

func TestExpiredTokenFailsWithoutCalling(t *testing.T) {
	f := newFakePlatform(t)
	expiry := testNow.Add(-time.Minute)
	c, _ := newTestClient(t, f, func(cfg *Config) { cfg.Credentials.AccessTokenExpiresAt = expiry })

	at, left, known := c.TokenExpiry()
	if !known || !at.Equal(expiry) || left != -time.Minute {
		t.Errorf("TokenExpiry() = %v, %v, %v; want %v, -1m, true", at, left, known, expiry)
	}
	_, err := c.ListOrders(context.Background(), since, func(Order) error { return nil })
	if !errors.Is(err, ErrTokenExpired) || !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("error = %v, want token expired", err)
	}
	if len(f.seen()) != 0 {
		t.Errorf("requests = %d, want none", len(f.seen()))
	}
}

func TestTokenExpiryUnknownWithoutExpiry(t *testing.T) {
	c, _ := newTestClient(t, newFakePlatform(t))
	if _, _, known := c.TokenExpiry(); known {
		t.Error("TokenExpiry() known = true without an expiry")
	}
	if got := AccessTokenExpireIn(1772366400); !got.Equal(testNow) {
		t.Errorf("AccessTokenExpireIn = %v, want %v (absolute Unix seconds)", got, testNow)
	}
	if !AccessTokenExpireIn(0).IsZero() {
		t.Error("AccessTokenExpireIn(0) is not the zero time")
	}
}

func TestCancelledContextStopsRetrying(t *testing.T) {
	f := newFakePlatform(t)
	f.on(pathOrders, "", reply{status: http.StatusServiceUnavailable})
	ctx, cancel := context.WithCancel(context.Background())
	c, _ := newTestClient(t, f, func(cfg *Config) {
		cfg.Retry.Sleep = func(ctx context.Context, _ time.Duration) error { cancel(); return ctx.Err() }
	})

	_, err := c.ListOrders(ctx, since, func(Order) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	if len(f.seen()) != 1 {
		t.Errorf("requests = %d, want 1", len(f.seen()))
	}
}

func TestNewRejectsUnsafeOrIncompleteConfig(t *testing.T) {
	good := Credentials{AppKey: "k", AppSecret: "s", AccessToken: "t"}
	tests := []struct {
		name string
		cfg  Config
	}{
		{"plain http base URL", Config{BaseURL: "http://open-api.tiktokglobalshop.com", Credentials: good}},
		{"base URL with a path", Config{BaseURL: "https://h/api", Credentials: good}},
		{"base URL with userinfo", Config{BaseURL: "https://u:p@h", Credentials: good}},
		{"missing token", Config{Credentials: Credentials{AppKey: "k", AppSecret: "s"}}},
		{"missing secret", Config{Credentials: Credentials{AppKey: "k", AccessToken: "t"}}},
		{"page size over the API's cap", Config{Credentials: good, PageSize: 51}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg); err == nil {
				t.Error("New() succeeded, want an error")
			} else if strings.Contains(err.Error(), "u:p") {
				t.Errorf("error %q echoes userinfo", err)
			}
		})
	}
	if _, err := New(Config{Credentials: good}); err != nil {
		t.Errorf("New() with defaults = %v", err)
	}
}

func TestCredentialsAndClientNeverPrintSecrets(t *testing.T) {
	creds := Credentials{AppKey: "k", AppSecret: testAppSecret, AccessToken: testToken, ShopCipher: "c"}
	c, err := New(Config{Credentials: creds, Retry: httpretry.Policy{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		for name, v := range map[string]any{"credentials": creds, "pointer to credentials": &creds, "client": c} {
			out := fmt.Sprintf(verb, v)
			if strings.Contains(out, testAppSecret) || strings.Contains(out, testToken) {
				t.Errorf("%s printed with %s leaks: %s", name, verb, out)
			}
		}
	}
}

// assertNoSecrets fails when err's message, or that of anything it wraps, contains one of the secrets.
func assertNoSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		for _, s := range secrets {
			if s != "" && strings.Contains(e.Error(), s) {
				t.Errorf("error %q contains secret %q", e.Error(), s)
			}
		}
		switch u := e.(type) { //nolint:errorlint // walks the error tree by hand, one wrapper at a time
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, inner := range u.Unwrap() {
				walk(inner)
			}
		}
	}
	walk(err)
}
