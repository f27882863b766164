package aliexpress

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// callLimit is the gateway's call-limit error, in its top-level (IOP) shape.
const callLimit = `{"code":"ApiCallLimit","type":"ISP","message":"App call limit exceeded. This ban will last 2 more seconds","request_id":"r-limit"}`

func TestRetries(t *testing.T) {
	tests := []struct {
		name       string
		replies    []reply
		wantErr    error // nil: success
		wantCalls  int
		wantSleeps []time.Duration
	}{
		{
			name:       "call-limit code then success waits as long as the ban lasts",
			replies:    []reply{{body: callLimit}, ordersPage(1, "1001")},
			wantCalls:  2,
			wantSleeps: []time.Duration{2 * time.Second},
		},
		{
			name: "429 then success waits as long as Retry-After asks",
			replies: []reply{{status: http.StatusTooManyRequests, header: map[string]string{"Retry-After": "4"}, body: "slow down"},
				ordersPage(1, "1001")},
			wantCalls:  2,
			wantSleeps: []time.Duration{4 * time.Second},
		},
		{
			name:       "500 then success backs off",
			replies:    []reply{{status: http.StatusInternalServerError, body: "<html>oops</html>"}, ordersPage(1, "1001")},
			wantCalls:  2,
			wantSleeps: []time.Duration{500 * time.Millisecond}, // half of the 1s base: the bottom of the jitter range
		},
		{
			name: "service-provider failure is retried",
			replies: []reply{{body: `{"error_response":{"code":"15","msg":"Remote service error","sub_code":"isp.remote-service-error"}}`},
				ordersPage(1, "1001")},
			wantCalls:  2,
			wantSleeps: []time.Duration{500 * time.Millisecond},
		},
		{
			name:       "persistent call limit gives up after the attempts as rate limited",
			replies:    []reply{{body: callLimit}},
			wantErr:    ErrRateLimited,
			wantCalls:  3,
			wantSleeps: []time.Duration{2 * time.Second, 2 * time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newFakeGateway(t)
			g.on(apiOrderList, 1, tt.replies...)
			c, s := newTestClient(t, g)

			var got []string
			_, err := c.ListOrders(context.Background(), since, func(o Order) error { got = append(got, o.ID); return nil })
			if tt.wantErr == nil && (err != nil || !slices.Equal(got, []string{"1001"})) {
				t.Fatalf("ListOrders = %v, orders %v; want success with 1001", err, got)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("ListOrders error = %v, want %v", err, tt.wantErr)
			}
			if n := len(g.seen()); n != tt.wantCalls {
				t.Errorf("requests = %d, want %d", n, tt.wantCalls)
			}
			if !slices.Equal(s.all(), tt.wantSleeps) {
				t.Errorf("backoff waits = %v, want %v", s.all(), tt.wantSleeps)
			}
		})
	}
}

func TestErrorsAreClassifiedWithoutRetry(t *testing.T) {
	tests := []struct {
		name     string
		reply    reply
		wantKind error
		wantCode string
	}{
		{"invalid or expired token is unauthorized",
			reply{body: errorResponse("ISV", "IllegalAccessToken", "The specified access token is invalid or expired")}, ErrUnauthorized, "IllegalAccessToken"},
		{"HTTP 401 is unauthorized", reply{status: http.StatusUnauthorized, body: "denied"}, ErrUnauthorized, ""},
		{"TOP invalid session is unauthorized", reply{body: `{"error_response":{"code":27,"msg":"Invalid session"}}`}, ErrUnauthorized, "27"},
		{"IP allow-list refusal is forbidden", reply{body: errorResponse("ISV", "AppWhiteIpLimit", "IP not allowed")}, ErrForbidden, "AppWhiteIpLimit"},
		{"HTTP 403 is forbidden", reply{status: http.StatusForbidden, body: "{}"}, ErrForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newFakeGateway(t)
			g.on(apiOrderList, 1, tt.reply)
			c, _ := newTestClient(t, g)

			_, err := c.ListOrders(context.Background(), since, func(Order) error { return nil })
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, tt.wantKind) || e.Code != tt.wantCode {
				t.Fatalf("error = %v, want kind %v with code %q", err, tt.wantKind, tt.wantCode)
			}
			if n := len(g.seen()); n != 1 {
				t.Errorf("requests = %d, want 1 (no retry)", n)
			}
		})
	}
}

func TestBusinessFailureIsAPlainErrorOnItsPage(t *testing.T) {
	g := newFakeGateway(t)
	g.on(apiOrderList, 1, response(apiOrderList, map[string]any{"result": map[string]any{
		"success": false, "error_code": "F00-00-10007-002", "error_message": "date range too large"}}))
	c, _ := newTestClient(t, g)

	_, err := c.ListOrders(context.Background(), since, func(Order) error { return nil })
	var e *Error
	if !errors.As(err, &e) || e.Kind != nil || e.Code != "F00-00-10007-002" || e.Page != 1 {
		t.Fatalf("error = %#v, want a kindless error with the result's code on page 1", err)
	}
	want := `aliexpress: aliexpress.trade.seller.orderlist.get page 1: code F00-00-10007-002, "date range too large"`
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
		{"truncated JSON", reply{body: `{"aliexpress_trade_seller_orderlist_get_response":{"result":{"target_list":`}, "unexpected end of JSON input"},
		{"HTML instead of JSON", reply{body: `<html>gateway</html>`}, "invalid character '<'"},
		{"response object of another API", response(apiProductList, map[string]any{}), "no aliexpress_trade_seller_orderlist_get_response in the response"},
		{"unreadable time", response(apiOrderList, map[string]any{"result": map[string]any{"total_page": 3,
			"target_list": map[string]any{"aeop_order_item_dto": []any{map[string]any{"order_id": 1, "gmt_update": "yesterday"}}}}}),
			`gmt_update: "yesterday" is not a "2006-01-02 15:04:05" time`},
		{"page count that is not a number", response(apiOrderList, map[string]any{"result": map[string]any{"total_page": "many"}}),
			"total_page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newFakeGateway(t)
			g.on(apiOrderList, 1, ordersPage(3, "1001", "1002"))
			g.on(apiOrderList, 2, tt.page2)
			c, s := newTestClient(t, g)

			var got []string
			_, err := c.ListOrders(context.Background(), since, func(o Order) error { got = append(got, o.ID); return nil })
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrMalformedResponse) || e.Page != 2 {
				t.Fatalf("error = %v, want malformed response on page 2", err)
			}
			if msg := err.Error(); !strings.Contains(msg, "page 2") || !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message %q does not name page 2 and %q", msg, tt.wantMsg)
			}
			if !slices.Equal(got, []string{"1001", "1002"}) {
				t.Errorf("delivered %v, want only page 1's records", got)
			}
			if len(s.all()) != 0 {
				t.Errorf("malformed page was retried: waits %v", s.all())
			}
		})
	}
}

func TestGatewayRejectsWrongSecretAndErrorLeaksNothing(t *testing.T) {
	g := newFakeGateway(t)
	g.on(apiOrderList, 1, ordersPage(1, "1001"))
	c, _ := newTestClient(t, g, func(cfg *Config) { cfg.Credentials.AppSecret = "wrong-secret-value" })

	_, err := c.ListOrders(context.Background(), since, func(Order) error { return nil })
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrUnauthorized) || e.Code != "IncompleteSignature" {
		t.Fatalf("error = %v, want unauthorized with the gateway's IncompleteSignature", err)
	}
	assertNoSecrets(t, err, "wrong-secret-value", testToken, g.seen()[0].Params["sign"])
}

func TestErrorsNeverEchoCredentials(t *testing.T) {
	g := newFakeGateway(t)
	g.on(apiOrderList, 1, reply{echo: true})
	c, _ := newTestClient(t, g)

	_, err := c.ListOrders(context.Background(), since, func(Order) error { return nil })
	if err == nil {
		t.Fatal("ListOrders succeeded, want the echoed rejection")
	}
	assertNoSecrets(t, err, testAppSecret, testToken, g.seen()[0].Params["sign"])
}

func TestTransportFailureIsRetriedAndLeaksNoURL(t *testing.T) {
	g := newFakeGateway(t)
	c, s := newTestClient(t, g)
	g.Close()

	_, err := c.ListOrders(context.Background(), since, func(Order) error { return nil })
	if !errors.Is(err, ErrUnavailable) || len(s.all()) != 2 {
		t.Fatalf("error = %v after waits %v, want unavailable after 3 attempts", err, s.all())
	}
	if strings.Contains(err.Error(), "method=") {
		t.Errorf("error %q holds the request URL", err)
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	g := newFakeGateway(t)
	g.on(apiOrderList, 1, reply{status: http.StatusTemporaryRedirect, header: map[string]string{"Location": "/elsewhere"}})
	c, _ := newTestClient(t, g)

	_, err := c.ListOrders(context.Background(), since, func(Order) error { return nil })
	var e *Error
	if !errors.As(err, &e) || e.HTTPStatus != http.StatusTemporaryRedirect {
		t.Fatalf("error = %v, want the 307 reported", err)
	}
	for _, r := range g.seen() {
		if r.Path == "/elsewhere" {
			t.Fatal("redirect was followed, replaying the signed form")
		}
	}
}

func TestExpiredTokenFailsWithoutCalling(t *testing.T) {
	g := newFakeGateway(t)
	expiry := ExpireTime(testNow.Add(-time.Minute).UnixMilli())
	c, _ := newTestClient(t, g, func(cfg *Config) { cfg.Credentials.AccessTokenExpiresAt = expiry })

	at, left, known := c.TokenExpiry()
	if !known || !at.Equal(testNow.Add(-time.Minute)) || left != -time.Minute {
		t.Errorf("TokenExpiry() = %v, %v, %v; want an expiry a minute ago", at, left, known)
	}
	if _, err := c.ListOrders(context.Background(), since, func(Order) error { return nil }); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("error = %v, want token expired", err)
	}
	if len(g.seen()) != 0 {
		t.Errorf("requests = %d, want none", len(g.seen()))
	}
}

func TestCancelledContextStopsRetrying(t *testing.T) {
	g := newFakeGateway(t)
	g.on(apiOrderList, 1, reply{status: http.StatusBadGateway})
	ctx, cancel := context.WithCancel(context.Background())
	c, _ := newTestClient(t, g, func(cfg *Config) {
		cfg.Retry.Sleep = func(ctx context.Context, _ time.Duration) error { cancel(); return ctx.Err() }
	})

	if _, err := c.ListOrders(ctx, since, func(Order) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	if len(g.seen()) != 1 {
		t.Errorf("requests = %d, want 1", len(g.seen()))
	}
}

func TestNewRejectsUnsafeOrIncompleteConfig(t *testing.T) {
	good := Credentials{AppKey: "k", AppSecret: "s", AccessToken: "t"}
	tests := []struct {
		name string
		cfg  Config
	}{
		{"plain http base URL", Config{BaseURL: "http://api-sg.aliexpress.com", Credentials: good}},
		{"base URL with a path", Config{BaseURL: "https://api-sg.aliexpress.com/sync", Credentials: good}},
		{"missing token", Config{Credentials: Credentials{AppKey: "k", AppSecret: "s"}}},
		{"missing app key", Config{Credentials: Credentials{AppSecret: "s", AccessToken: "t"}}},
		{"page size over the cap", Config{Credentials: good, PageSize: 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg); err == nil {
				t.Error("New() succeeded, want an error")
			}
		})
	}
	if _, err := New(Config{Credentials: good}); err != nil {
		t.Errorf("New() with defaults = %v", err)
	}
}

func TestCredentialsAndClientNeverPrintSecrets(t *testing.T) {
	creds := Credentials{AppKey: "k", AppSecret: testAppSecret, AccessToken: testToken}
	c, err := New(Config{Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		for name, v := range map[string]any{"credentials": creds, "pointer to credentials": &creds, "client": c} {
			if out := fmt.Sprintf(verb, v); strings.Contains(out, testAppSecret) || strings.Contains(out, testToken) {
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
