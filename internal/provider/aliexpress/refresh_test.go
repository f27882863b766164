package aliexpress

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alitok/workspace-operator/internal/provider/aliexpress/aliexpresstest"
	"github.com/alitok/workspace-operator/internal/provider/httpretry"
)

// newRefreshConfig is a refresh of g's seller with the test credentials and clock, three attempts and recorded
// (instant) backoff waits.
func newRefreshConfig(g *fakeGateway, mutate ...func(*RefreshConfig)) (RefreshConfig, *sleeps) {
	s := &sleeps{}
	cfg := RefreshConfig{BaseURL: g.url, AppKey: testAppKey, AppSecret: testAppSecret, RefreshToken: testRefresh,
		HTTPClient: g.Client(), Now: func() time.Time { return testNow },
		Retry: httpretry.Policy{MaxAttempts: 3, BaseDelay: time.Second, MaxDelay: 10 * time.Second, Sleep: s.sleep,
			Rand: func() float64 { return 0 }}}
	for _, m := range mutate {
		m(&cfg)
	}
	return cfg, s
}

// tokenAnswer is the refresh API's answer as documented, expiring in 30 and 60 days, with changes applied: a nil
// value removes the field.
func tokenAnswer(changes map[string]any) reply {
	a := map[string]any{
		"access_token": "50000new-access-LEAKME", "expire_time": testNow.Add(30 * 24 * time.Hour).UnixMilli(),
		"expires_in": 2592000, "refresh_token": "50001new-refresh-LEAKME",
		"refresh_token_valid_time": testNow.Add(60 * 24 * time.Hour).UnixMilli(), "refresh_expires_in": 5184000,
		"seller_id": "2000000001", "user_id": "2000000001", "account_platform": "seller_center", "locale": "en_US",
		"sp": "ae", "code": "0", "request_id": "r-ok",
	}
	for k, v := range changes {
		if v == nil {
			delete(a, k)
		} else {
			a[k] = v
		}
	}
	b, err := json.Marshal(a)
	if err != nil {
		panic(err)
	}
	return reply{body: string(b)}
}

func TestRefreshTradesTheRefreshTokenForNewTokens(t *testing.T) {
	g := newFakeGateway(t)
	g.Override(nil) // the platform's own refresh
	g.AccessTokenLifetime = 2 * time.Minute
	cfg, _ := newRefreshConfig(g)

	tok, err := RefreshToken(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := g.Tokens()
	if tok.AccessToken != want.AccessToken || tok.RefreshToken != want.RefreshToken ||
		tok.AccessToken == testToken || tok.RefreshToken == testRefresh {
		t.Errorf("refresh returned %v, want the gateway's new tokens", tok)
	}
	if !tok.AccessTokenExpiresAt.Equal(testNow.Add(2*time.Minute)) || !tok.RefreshTokenExpiresAt.After(testNow.AddDate(50, 0, 0)) {
		t.Errorf("expiries = %v, %v; want in 2 minutes and, for a refresh token without end, far ahead",
			tok.AccessTokenExpiresAt, tok.RefreshTokenExpiresAt)
	}
	r := g.seen()[0]
	if r.Method != http.MethodPost || r.API != aliexpresstest.APITokenRefresh || r.Params["refresh_token"] != testRefresh ||
		r.Params["app_key"] != testAppKey || r.Params["sign"] == "" || r.Form.Has("access_token") {
		t.Errorf("request = %+v, want the signed system call without an access token", r)
	}
	if out := fmt.Sprintf("%v %+v %s", tok, tok, tok); strings.Contains(out, tok.AccessToken) || strings.Contains(out, tok.RefreshToken) {
		t.Errorf("Token prints its tokens: %s", out)
	}

	list := func(token string) error {
		c, _ := newTestClient(t, g, func(c *Config) { c.Credentials.AccessToken = token; c.Retry.MaxAttempts = 1 })
		_, err := c.ListOrders(context.Background(), since, func(Order) error { return nil })
		return err
	}
	g.AddOrder("1001", aliexpresstest.NewBuyer("alice"), "WAIT_SELLER_SEND_GOODS", testNow.Add(-time.Hour))
	if err := list(tok.AccessToken); err != nil {
		t.Errorf("listing with the new token: %v", err)
	}
	if err := list(testToken); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("listing with the replaced token: %v, want unauthorized", err)
	}
	if _, err := RefreshToken(context.Background(), cfg); !errors.Is(err, ErrReauthorize) {
		t.Errorf("refreshing with the replaced refresh token: %v, want re-authorize", err)
	}
	cfg.RefreshToken = tok.RefreshToken
	if _, err := RefreshToken(context.Background(), cfg); err != nil || g.Refreshes() != 2 {
		t.Errorf("refreshing with the new refresh token: %v after %d refreshes, want a second refresh", err, g.Refreshes())
	}
}

func TestRefreshRefusalsAreClassified(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(*fakeGateway, *RefreshConfig)
		wantKind error
		wantCode string
		notKind  error
	}{
		{"an expired refresh token needs a person", func(g *fakeGateway, _ *RefreshConfig) {
			g.RefreshTokenExpiresAt = testNow.Add(-time.Second)
		}, ErrReauthorize, "IllegalRefreshToken", nil},
		{"a revoked seller needs a person", func(g *fakeGateway, _ *RefreshConfig) { g.SetRevoked(true) },
			ErrReauthorize, "IllegalRefreshToken", nil},
		{"an unknown refresh token needs a person", func(_ *fakeGateway, c *RefreshConfig) { c.RefreshToken = "50001other" },
			ErrReauthorize, "IllegalRefreshToken", nil},
		{"a wrong app secret is the app's problem, not the seller's", func(_ *fakeGateway, c *RefreshConfig) {
			c.AppSecret = "wrong-secret-value"
		}, ErrUnauthorized, "IncompleteSignature", ErrReauthorize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newFakeGateway(t)
			g.Override(nil)
			cfg, s := newRefreshConfig(g)
			tt.setup(g, &cfg)

			_, err := RefreshToken(context.Background(), cfg)
			var e *Error
			if !errors.Is(err, tt.wantKind) || !errors.As(err, &e) || e.Code != tt.wantCode {
				t.Fatalf("error = %v, want %v with code %s", err, tt.wantKind, tt.wantCode)
			}
			if tt.notKind != nil && errors.Is(err, tt.notKind) {
				t.Errorf("error = %v, must not be %v", err, tt.notKind)
			}
			if !errors.Is(err, ErrUnauthorized) || len(g.seen()) != 1 || len(s.all()) != 0 || g.Refreshes() != 0 {
				t.Errorf("%d requests, waits %v, %d refreshes; want one refused attempt", len(g.seen()), s.all(), g.Refreshes())
			}
			assertNoSecrets(t, err, testAppSecret, "wrong-secret-value", testRefresh, testToken)
		})
	}
}

func TestMalformedRefreshAnswersKeepTheOldToken(t *testing.T) {
	tests := []struct {
		name  string
		reply reply
		names []string // fields the error names
	}{
		{"no access token", tokenAnswer(map[string]any{"access_token": nil}), []string{"access_token"}},
		{"empty refresh token", tokenAnswer(map[string]any{"refresh_token": ""}), []string{"refresh_token"}},
		{"no expiries at all", tokenAnswer(map[string]any{"expire_time": nil, "expires_in": nil,
			"refresh_token_valid_time": nil, "refresh_expires_in": nil}), []string{"expire_time", "refresh_token_valid_time"}},
		{"an expiry in seconds where milliseconds belong lies in 1970", tokenAnswer(map[string]any{
			"expire_time": testNow.Add(time.Hour).Unix()}), []string{"expire_time"}},
		{"an expiry that is not a number", tokenAnswer(map[string]any{"refresh_token_valid_time": "50001new-refresh-LEAKME",
			"refresh_expires_in": nil}), []string{"refresh_token_valid_time"}},
		{"a token that is not a string", tokenAnswer(map[string]any{"access_token": []string{"50000new-access-LEAKME"}}),
			[]string{"access_token"}},
		{"not JSON", reply{body: `<html>50000new-access-LEAKME</html>`}, nil},
		{"not an object", reply{body: `["50000new-access-LEAKME"]`}, nil},
		{"a code that is not text", reply{body: `{"code":{"v":"50000new-access-LEAKME"}}`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newFakeGateway(t)
			g.on(apiTokenRefresh, 0, tt.reply)
			cfg, _ := newRefreshConfig(g)

			tok, err := RefreshToken(context.Background(), cfg)
			if !errors.Is(err, ErrMalformedResponse) || tok != (Token{}) {
				t.Fatalf("RefreshToken = %v, %v; want no token and a malformed response", tok, err)
			}
			for _, name := range tt.names {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("error %q does not name %s", err, name)
				}
			}
			if len(g.seen()) != 1 {
				t.Errorf("requests = %d, want 1: a malformed answer is not retried", len(g.seen()))
			}
			assertNoSecrets(t, err, "LEAKME", testAppSecret, testRefresh)
		})
	}
}

func TestRefreshFallsBackOnSecondsLeft(t *testing.T) {
	g := newFakeGateway(t)
	g.on(apiTokenRefresh, 0, tokenAnswer(map[string]any{"expire_time": nil, "refresh_token_valid_time": "0"}))
	cfg, _ := newRefreshConfig(g)
	tok, err := RefreshToken(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.AccessTokenExpiresAt.Equal(testNow.Add(30*24*time.Hour)) || !tok.RefreshTokenExpiresAt.Equal(testNow.Add(60*24*time.Hour)) {
		t.Errorf("expiries = %v, %v; want now plus expires_in and refresh_expires_in", tok.AccessTokenExpiresAt, tok.RefreshTokenExpiresAt)
	}
}

func TestRefreshRetriesTheGatewaysFailures(t *testing.T) {
	tests := []struct {
		name      string
		replies   []reply
		wantErr   error
		wantCalls int
		wantWaits []time.Duration
	}{
		{"500 then success", []reply{{status: http.StatusInternalServerError, body: "<html>oops</html>"}, tokenAnswer(nil)},
			nil, 2, []time.Duration{500 * time.Millisecond}},
		{"call limit waits as the ban asks", []reply{{body: callLimit}, tokenAnswer(nil)}, nil, 2, []time.Duration{2 * time.Second}},
		{"persistent 503 is unavailable", []reply{{status: http.StatusServiceUnavailable}}, ErrUnavailable, 3,
			[]time.Duration{500 * time.Millisecond, time.Second}},
		{"persistent 429 is rate limited", []reply{{status: http.StatusTooManyRequests, body: "slow down"}}, ErrRateLimited, 3,
			[]time.Duration{500 * time.Millisecond, time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newFakeGateway(t)
			g.on(apiTokenRefresh, 0, tt.replies...)
			cfg, s := newRefreshConfig(g)

			tok, err := RefreshToken(context.Background(), cfg)
			if tt.wantErr == nil && (err != nil || tok.AccessToken != "50000new-access-LEAKME") {
				t.Fatalf("RefreshToken = %v, %v; want the new token", tok, err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if len(g.seen()) != tt.wantCalls || fmt.Sprint(s.all()) != fmt.Sprint(tt.wantWaits) {
				t.Errorf("%d requests with waits %v, want %d with %v", len(g.seen()), s.all(), tt.wantCalls, tt.wantWaits)
			}
		})
	}
}

func TestRefreshErrorsNeverCarryTheSecretOrTokens(t *testing.T) {
	g := newFakeGateway(t)
	g.on(apiTokenRefresh, 0, reply{echo: true}) // the message repeats the form: refresh token and signature
	cfg, _ := newRefreshConfig(g)
	_, err := RefreshToken(context.Background(), cfg)
	if err == nil {
		t.Fatal("RefreshToken succeeded, want the echoed rejection")
	}
	assertNoSecrets(t, err, testAppSecret, testRefresh, g.seen()[0].Params["sign"])

	g.Close()
	_, err = RefreshToken(context.Background(), cfg)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("error = %v, want unavailable", err)
	}
	assertNoSecrets(t, err, testAppSecret, testRefresh)
}

func TestARefusalAfterALostAnswerSaysTheTokenMayHaveBeenUsed(t *testing.T) {
	g := newFakeGateway(t)
	calls := 0
	g.Override(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 { // the gateway granted new tokens, but the answer never arrives
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		writeJSON(w, http.StatusOK, `{"type":"ISV","code":"IllegalRefreshToken","message":"The specified refresh token is invalid or expired"}`)
	}))
	cfg, _ := newRefreshConfig(g)
	_, err := RefreshToken(context.Background(), cfg)
	if !errors.Is(err, ErrReauthorize) || !errors.Is(err, errAnswerLost) {
		t.Fatalf("error = %v, want re-authorize with the lost answer explained", err)
	}
}

func TestRefreshRejectsUnsafeOrIncompleteConfig(t *testing.T) {
	for name, cfg := range map[string]RefreshConfig{
		"plain http":       {BaseURL: "http://api-sg.example", AppKey: "k", AppSecret: "s", RefreshToken: "r"},
		"a path":           {BaseURL: "https://api-sg.example/rest", AppKey: "k", AppSecret: "s", RefreshToken: "r"},
		"userinfo":         {BaseURL: "https://user:pw@api-sg.example", AppKey: "k", AppSecret: "s", RefreshToken: "r"},
		"no refresh token": {AppKey: "k", AppSecret: "s"},
		"no app key":       {AppSecret: "s", RefreshToken: "r"},
	} {
		_, err := RefreshToken(context.Background(), cfg)
		if err == nil || errors.Is(err, ErrUnavailable) {
			t.Errorf("%s: RefreshToken = %v, want the config refused before any call", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("%s: error %q echoes the URL", name, err)
		}
	}
}

// The fake gateway's tokens expire and are revoked: an expired access token on a listing is refused by the
// gateway's word (IllegalAccessToken, which it says for invalid and expired alike) or, when the client knows the
// expiry, as ErrTokenExpired without a call; a revoked seller is unauthorized.
func TestTheGatewaysTokensExpireAndAreRevoked(t *testing.T) {
	g := newFakeGateway(t)
	g.Override(nil)
	g.AccessTokenExpiresAt = testNow.Add(-time.Minute)
	c, _ := newTestClient(t, g, func(c *Config) { c.Retry.MaxAttempts = 1 }) // the client is not told the expiry
	_, err := c.ListOrders(context.Background(), since, func(Order) error { return nil })
	var e *Error
	if !errors.Is(err, ErrUnauthorized) || !errors.As(err, &e) || e.Code != "IllegalAccessToken" {
		t.Fatalf("expired token: %v, want IllegalAccessToken", err)
	}
	c, _ = newTestClient(t, g, func(c *Config) { c.Credentials.AccessTokenExpiresAt = g.AccessTokenExpiresAt })
	if _, err := c.ListOrders(context.Background(), since, func(Order) error { return nil }); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("known expired token: %v, want token expired", err)
	}

	cfg, _ := newRefreshConfig(g)
	tok, err := RefreshToken(context.Background(), cfg)
	if err != nil {
		t.Fatalf("an expired access token does not stop a refresh: %v", err)
	}
	g.SetRevoked(true)
	c, _ = newTestClient(t, g, func(c *Config) { c.Credentials.AccessToken = tok.AccessToken; c.Retry.MaxAttempts = 1 })
	if _, err := c.ListOrders(context.Background(), since, func(Order) error { return nil }); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("revoked seller: %v, want unauthorized", err)
	}
	cfg.RefreshToken = tok.RefreshToken
	if _, err := RefreshToken(context.Background(), cfg); !errors.Is(err, ErrReauthorize) {
		t.Errorf("revoked seller's refresh: %v, want re-authorize", err)
	}
}
