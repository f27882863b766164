package tiktokshop

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alitok/workspace-operator/internal/provider/httpretry"
	"github.com/alitok/workspace-operator/internal/provider/tiktokshop/tiktokshoptest"
)

// newRefreshConfig is a refresh of f's seller with the test credentials and clock, three attempts and recorded
// (instant) backoff waits. The fake serves the auth host and the API on one server.
func newRefreshConfig(f *fakePlatform, mutate ...func(*RefreshConfig)) (RefreshConfig, *sleeps) {
	s := &sleeps{}
	cfg := RefreshConfig{BaseURL: f.url, AppKey: testAppKey, AppSecret: testAppSecret, RefreshToken: testRefresh,
		HTTPClient: f.Client(), Now: func() time.Time { return testNow },
		Retry: httpretry.Policy{MaxAttempts: 3, BaseDelay: time.Second, MaxDelay: 10 * time.Second, Sleep: s.sleep,
			Rand: func() float64 { return 0 }}}
	for _, m := range mutate {
		m(&cfg)
	}
	return cfg, s
}

// tokenData is a refresh answer's data object as the platform sends it, expiring a week and a year after testNow.
func tokenData() map[string]any {
	return map[string]any{
		"access_token": "ROW_new-access-LEAKME", "access_token_expire_in": testNow.Add(7 * 24 * time.Hour).Unix(),
		"refresh_token": "ROW_new-refresh-LEAKME", "refresh_token_expire_in": testNow.Add(365 * 24 * time.Hour).Unix(),
		"open_id": "open-1", "seller_name": "Test shop", "seller_base_region": "GB", "user_type": 0,
	}
}

func without(m map[string]any, key string, value ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	delete(out, key)
	if len(value) > 0 {
		out[key] = value[0]
	}
	return out
}

func TestRefreshTradesTheRefreshTokenForNewTokens(t *testing.T) {
	f := newFakePlatform(t)
	f.Override(nil) // the platform's own refresh
	f.AccessTokenLifetime = 2 * time.Minute
	cfg, _ := newRefreshConfig(f)

	tok, err := RefreshToken(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := f.Tokens()
	if tok.AccessToken != want.AccessToken || tok.RefreshToken != want.RefreshToken ||
		tok.AccessToken == testToken || tok.RefreshToken == testRefresh {
		t.Errorf("refresh returned %v, want the platform's new tokens", tok)
	}
	if !tok.AccessTokenExpiresAt.Equal(testNow.Add(2*time.Minute)) || tok.RefreshTokenExpiresAt.Before(testNow.AddDate(50, 0, 0)) {
		t.Errorf("expiries = %v, %v; want in 2 minutes and, as the platform says for an authorization without end, far ahead",
			tok.AccessTokenExpiresAt, tok.RefreshTokenExpiresAt)
	}
	if f.Refreshes() != 1 {
		t.Errorf("refreshes = %d, want 1", f.Refreshes())
	}
	r := f.seen()[0]
	if r.Method != http.MethodGet || r.Path != tiktokshoptest.PathTokenRefresh || r.Query.Get("grant_type") != "refresh_token" ||
		r.Query.Get("app_key") != testAppKey || r.Query.Get("app_secret") != testAppSecret || r.Query.Get("refresh_token") != testRefresh {
		t.Errorf("request = %s %s %v, want the documented GET", r.Method, r.Path, r.Query)
	}
	if out := fmt.Sprintf("%v %+v %s", tok, tok, tok); strings.Contains(out, tok.AccessToken) || strings.Contains(out, tok.RefreshToken) {
		t.Errorf("Token prints its tokens: %s", out)
	}

	// The new access token lists; the old one and the old refresh token are retired.
	list := func(token string) error {
		c, _ := newTestClient(t, f, func(c *Config) { c.Credentials.AccessToken = token; c.Retry.MaxAttempts = 1 })
		_, err := c.ListOrders(context.Background(), since, func(Order) error { return nil })
		return err
	}
	if err := list(tok.AccessToken); err != nil {
		t.Errorf("listing with the new token: %v", err)
	}
	if err := list(testToken); !errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrTokenExpired) {
		t.Errorf("listing with the replaced token: %v, want unauthorized", err)
	}
	if _, err := RefreshToken(context.Background(), cfg); !errors.Is(err, ErrReauthorize) {
		t.Errorf("refreshing with the replaced refresh token: %v, want re-authorize", err)
	}
	cfg.RefreshToken = tok.RefreshToken
	if _, err := RefreshToken(context.Background(), cfg); err != nil || f.Refreshes() != 2 {
		t.Errorf("refreshing with the new refresh token: %v after %d refreshes, want a second refresh", err, f.Refreshes())
	}
}

func TestRefreshRefusalsAreClassified(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(*fakePlatform, *RefreshConfig)
		wantKind error
		wantCode int
		notKind  error
	}{
		{"an expired refresh token needs a person", func(f *fakePlatform, _ *RefreshConfig) {
			f.RefreshTokenExpiresAt = testNow.Add(-time.Second)
		}, ErrReauthorize, 36004005, nil},
		{"a revoked seller needs a person", func(f *fakePlatform, _ *RefreshConfig) { f.SetRevoked(true) },
			ErrReauthorize, 36004005, nil},
		{"an unknown refresh token needs a person", func(_ *fakePlatform, c *RefreshConfig) { c.RefreshToken = "ROW_other" },
			ErrReauthorize, 36004005, nil},
		{"a wrong app secret is the app's problem, not the seller's", func(_ *fakePlatform, c *RefreshConfig) {
			c.AppSecret = "wrong-secret-value"
		}, ErrUnauthorized, 36004004, ErrReauthorize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakePlatform(t)
			f.Override(nil)
			cfg, s := newRefreshConfig(f)
			tt.setup(f, &cfg)

			_, err := RefreshToken(context.Background(), cfg)
			var e *Error
			if !errors.Is(err, tt.wantKind) || !errors.As(err, &e) || e.Code != tt.wantCode {
				t.Fatalf("error = %v, want %v with code %d", err, tt.wantKind, tt.wantCode)
			}
			if tt.notKind != nil && errors.Is(err, tt.notKind) {
				t.Errorf("error = %v, must not be %v", err, tt.notKind)
			}
			if !errors.Is(err, ErrUnauthorized) || len(f.seen()) != 1 || len(s.all()) != 0 {
				t.Errorf("%d requests, waits %v, unauthorized %v; want one attempt, refused as unauthorized",
					len(f.seen()), s.all(), errors.Is(err, ErrUnauthorized))
			}
			if f.Refreshes() != 0 {
				t.Errorf("the platform granted a refresh")
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
		{"no access token", ok(without(tokenData(), "access_token")), []string{"access_token"}},
		{"empty refresh token", ok(without(tokenData(), "refresh_token", "")), []string{"refresh_token"}},
		{"no expiries", ok(without(without(tokenData(), "access_token_expire_in"), "refresh_token_expire_in")),
			[]string{"access_token_expire_in", "refresh_token_expire_in"}},
		{"an expiry sent as a duration lies in 1970", ok(without(tokenData(), "access_token_expire_in", 604800)),
			[]string{"access_token_expire_in"}},
		{"an expiry that is not a number", ok(without(tokenData(), "refresh_token_expire_in", "ROW_new-refresh-LEAKME")),
			[]string{"refresh_token_expire_in"}},
		{"a token that is not a string", ok(without(tokenData(), "access_token", map[string]any{"v": "ROW_new-access-LEAKME"})),
			[]string{"access_token"}},
		{"no data", reply{body: `{"code":0,"message":"success","request_id":"r1"}`}, nil},
		{"data not an object", reply{body: `{"code":0,"message":"success","data":["ROW_new-access-LEAKME"]}`}, nil},
		{"not JSON", reply{body: `<html>ROW_new-access-LEAKME</html>`}, nil},
		{"a code that is not a number", reply{body: `{"code":"ROW_new-access-LEAKME","data":{}}`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakePlatform(t)
			f.on(pathRefresh, "", tt.reply)
			cfg, _ := newRefreshConfig(f)

			tok, err := RefreshToken(context.Background(), cfg)
			if !errors.Is(err, ErrMalformedResponse) || tok != (Token{}) {
				t.Fatalf("RefreshToken = %v, %v; want no token and a malformed response", tok, err)
			}
			for _, name := range tt.names {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("error %q does not name %s", err, name)
				}
			}
			if len(f.seen()) != 1 {
				t.Errorf("requests = %d, want 1: a malformed answer is not retried", len(f.seen()))
			}
			assertNoSecrets(t, err, "LEAKME", testAppSecret, testRefresh)
		})
	}
}

func TestRefreshRetriesThePlatformsFailures(t *testing.T) {
	rateLimited := reply{status: http.StatusTooManyRequests, header: map[string]string{"Retry-After": "3"},
		body: `{"code":36009002,"message":"Too many requests."}`}
	tests := []struct {
		name      string
		replies   []reply
		wantErr   error
		wantCalls int
		wantWaits []time.Duration
	}{
		{"503 then success", []reply{{status: http.StatusServiceUnavailable, body: "<html>busy</html>"}, ok(tokenData())},
			nil, 2, []time.Duration{500 * time.Millisecond}},
		{"internal-error code then success", []reply{{body: `{"code":36009003,"message":"Internal error."}`}, ok(tokenData())},
			nil, 2, []time.Duration{500 * time.Millisecond}},
		{"429 waits as asked", []reply{rateLimited, ok(tokenData())}, nil, 2, []time.Duration{3 * time.Second}},
		{"persistent 502 is unavailable", []reply{{status: http.StatusBadGateway}}, ErrUnavailable, 3,
			[]time.Duration{500 * time.Millisecond, time.Second}},
		{"persistent 429 is rate limited", []reply{rateLimited}, ErrRateLimited, 3,
			[]time.Duration{3 * time.Second, 3 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakePlatform(t)
			f.on(pathRefresh, "", tt.replies...)
			cfg, s := newRefreshConfig(f)

			tok, err := RefreshToken(context.Background(), cfg)
			if tt.wantErr == nil && (err != nil || tok.AccessToken != "ROW_new-access-LEAKME") {
				t.Fatalf("RefreshToken = %v, %v; want the new token", tok, err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if len(f.seen()) != tt.wantCalls || fmt.Sprint(s.all()) != fmt.Sprint(tt.wantWaits) {
				t.Errorf("%d requests with waits %v, want %d with %v", len(f.seen()), s.all(), tt.wantCalls, tt.wantWaits)
			}
		})
	}
}

func TestRefreshErrorsNeverCarryTheSecretOrTokens(t *testing.T) {
	f := newFakePlatform(t)
	f.on(pathRefresh, "", reply{echo: true}) // the message repeats the query: app secret and refresh token
	cfg, _ := newRefreshConfig(f)
	_, err := RefreshToken(context.Background(), cfg)
	if err == nil {
		t.Fatal("RefreshToken succeeded, want the echoed rejection")
	}
	assertNoSecrets(t, err, testAppSecret, testRefresh)

	f.Close() // a transport failure must not quote the URL, which holds both
	_, err = RefreshToken(context.Background(), cfg)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("error = %v, want unavailable", err)
	}
	assertNoSecrets(t, err, testAppSecret, testRefresh, "refresh_token=")
}

func TestARefusalAfterALostAnswerSaysTheTokenMayHaveBeenUsed(t *testing.T) {
	f := newFakePlatform(t)
	calls := 0
	f.Override(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 { // the platform granted new tokens, but the answer never arrives
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		writeJSON(w, http.StatusOK, `{"code":36004005,"message":"can not find related auth record"}`)
	}))
	cfg, _ := newRefreshConfig(f)
	_, err := RefreshToken(context.Background(), cfg)
	if !errors.Is(err, ErrReauthorize) || !errors.Is(err, errAnswerLost) {
		t.Fatalf("error = %v, want re-authorize with the lost answer explained", err)
	}
}

func TestRefreshRejectsUnsafeOrIncompleteConfig(t *testing.T) {
	for name, cfg := range map[string]RefreshConfig{
		"plain http":       {BaseURL: "http://auth.example", AppKey: "k", AppSecret: "s", RefreshToken: "r"},
		"a path":           {BaseURL: "https://auth.example/api", AppKey: "k", AppSecret: "s", RefreshToken: "r"},
		"userinfo":         {BaseURL: "https://user:pw@auth.example", AppKey: "k", AppSecret: "s", RefreshToken: "r"},
		"no refresh token": {AppKey: "k", AppSecret: "s"},
		"no app secret":    {AppKey: "k", RefreshToken: "r"},
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

// The fake platform serves TikTok Shop's tokens as they expire: an expired access token on a listing is
// ErrTokenExpired by the platform's word, and a revoked seller is unauthorized on both hosts.
func TestThePlatformsTokensExpireAndAreRevoked(t *testing.T) {
	f := newFakePlatform(t)
	f.Override(nil)
	f.AccessTokenExpiresAt = testNow.Add(-time.Minute)
	c, _ := newTestClient(t, f, func(c *Config) { c.Retry.MaxAttempts = 1 }) // the client is not told the expiry
	_, err := c.ListOrders(context.Background(), since, func(Order) error { return nil })
	var e *Error
	if !errors.Is(err, ErrTokenExpired) || !errors.As(err, &e) || e.Code != 105002 {
		t.Fatalf("expired token: %v, want token expired (105002)", err)
	}

	cfg, _ := newRefreshConfig(f)
	tok, err := RefreshToken(context.Background(), cfg)
	if err != nil {
		t.Fatalf("an expired access token does not stop a refresh: %v", err)
	}
	c, _ = newTestClient(t, f, func(c *Config) { c.Credentials.AccessToken = tok.AccessToken; c.Retry.MaxAttempts = 1 })
	f.SetRevoked(true)
	_, err = c.ListOrders(context.Background(), since, func(Order) error { return nil })
	if !errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrTokenExpired) || !errors.As(err, &e) || e.HTTPStatus != http.StatusUnauthorized {
		t.Errorf("revoked seller: %v, want unauthorized with HTTP 401", err)
	}
	cfg.RefreshToken = tok.RefreshToken
	if _, err := RefreshToken(context.Background(), cfg); !errors.Is(err, ErrReauthorize) {
		t.Errorf("revoked seller's refresh: %v, want re-authorize", err)
	}
}
