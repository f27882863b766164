package aliexpresstest_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/alitok/workspace-operator/internal/provider/aliexpress"
	"github.com/alitok/workspace-operator/internal/provider/aliexpress/aliexpresstest"
	"github.com/alitok/workspace-operator/internal/provider/httpretry"
)

// clock is a time that tests move by hand, shared by the platform and the clients.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// refresh refreshes p's seller with the real client, as the worker would, one attempt.
func refresh(t *testing.T, p *aliexpresstest.Platform, url string, now func() time.Time, refreshToken string) (aliexpress.Token, error) {
	t.Helper()
	return aliexpress.RefreshToken(context.Background(), aliexpress.RefreshConfig{BaseURL: url, AppKey: p.AppKey,
		AppSecret: p.AppSecret, RefreshToken: refreshToken, HTTPClient: p.Client(), Now: now,
		Retry: httpretry.Policy{MaxAttempts: 1}})
}

// listWith lists orders with token at the clock's time.
func listWith(t *testing.T, p *aliexpresstest.Platform, url string, now func() time.Time, token string) error {
	t.Helper()
	c := client(t, p, url, func(cfg *aliexpress.Config) { cfg.Credentials.AccessToken = token; cfg.Now = now })
	_, err := c.ListOrders(context.Background(), time.Time{}, func(aliexpress.Order) error { return nil })
	return err
}

func TestShortLivedTokensAreRefreshedAcrossSeveralExpiries(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	p := aliexpresstest.New(t.Cleanup)
	p.Now = clk.now
	p.AccessTokenLifetime = 2 * time.Minute
	p.AccessTokenExpiresAt = clk.now().Add(2 * time.Minute)
	p.RefreshTokenExpiresAt = clk.now().Add(time.Hour)
	url := p.StartTLS()

	files := p.CredentialFiles()
	for i := range 3 {
		clk.advance(2 * time.Minute) // the token in hand has just expired; the gateway says invalid or expired alike
		if err := listWith(t, p, url, clk.now, files[aliexpresstest.FileAccessToken]); !errors.Is(err, aliexpress.ErrUnauthorized) {
			t.Fatalf("expiry %d: listing with the expired token: %v, want unauthorized", i+1, err)
		}
		tok, err := refresh(t, p, url, clk.now, files[aliexpresstest.FileRefreshToken])
		if err != nil {
			t.Fatalf("refresh %d: %v", i+1, err)
		}
		files = p.CredentialFiles()
		if files[aliexpresstest.FileAccessToken] != tok.AccessToken || files[aliexpresstest.FileRefreshToken] != tok.RefreshToken ||
			files[aliexpresstest.FileExpireAt] != strconv.FormatInt(clk.now().Add(2*time.Minute).Unix(), 10) ||
			!tok.AccessTokenExpiresAt.Equal(clk.now().Add(2*time.Minute)) {
			t.Fatalf("refresh %d: token %v and credential files %v do not agree on the new tokens", i+1, tok, files)
		}
		if !tok.RefreshTokenExpiresAt.Equal(p.RefreshTokenExpiresAt) ||
			files[aliexpresstest.FileRefreshExpireAt] != strconv.FormatInt(p.RefreshTokenExpiresAt.Unix(), 10) {
			t.Fatalf("refresh %d: refresh token expires %v, want the authorization's end %v", i+1, tok.RefreshTokenExpiresAt,
				p.RefreshTokenExpiresAt)
		}
		if err := listWith(t, p, url, clk.now, tok.AccessToken); err != nil {
			t.Fatalf("refresh %d: listing with the new token: %v", i+1, err)
		}
	}
	if p.Refreshes() != 3 {
		t.Errorf("refreshes = %d, want 3", p.Refreshes())
	}

	clk.advance(time.Hour)
	_, err := refresh(t, p, url, clk.now, files[aliexpresstest.FileRefreshToken])
	var e *aliexpress.Error
	if !errors.Is(err, aliexpress.ErrReauthorize) || !errors.As(err, &e) || e.Code != "IllegalRefreshToken" {
		t.Fatalf("refresh after the refresh token expired: %v, want IllegalRefreshToken, re-authorize", err)
	}
	g := p.Reauthorize()
	if err := listWith(t, p, url, clk.now, g.AccessToken); err != nil {
		t.Errorf("listing after re-authorization: %v", err)
	}
	if _, err := refresh(t, p, url, clk.now, g.RefreshToken); err != nil || p.Refreshes() != 4 {
		t.Errorf("refresh after re-authorization: %v, %d refreshes; want the 4th", err, p.Refreshes())
	}
}

func TestAReplacedTokenIsRetiredAfterTheGrace(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	p := aliexpresstest.New(t.Cleanup)
	p.Now = clk.now
	p.RefreshGrace = time.Minute
	url := p.StartTLS()
	old, oldRefresh := p.AccessToken, p.RefreshToken

	if _, err := refresh(t, p, url, clk.now, oldRefresh); err != nil {
		t.Fatal(err)
	}
	if err := listWith(t, p, url, clk.now, old); err != nil {
		t.Errorf("replaced token within the grace: %v", err)
	}
	if _, err := refresh(t, p, url, clk.now, oldRefresh); !errors.Is(err, aliexpress.ErrReauthorize) {
		t.Errorf("the replaced refresh token: %v, want re-authorize", err)
	}
	clk.advance(time.Minute)
	if err := listWith(t, p, url, clk.now, old); !errors.Is(err, aliexpress.ErrUnauthorized) {
		t.Errorf("replaced token after the grace: %v, want unauthorized", err)
	}
}

func TestARevokedSellerIsRefusedUntilReauthorized(t *testing.T) {
	p := aliexpresstest.New(t.Cleanup)
	url := p.StartTLS()
	p.SetRevoked(true)
	if err := listWith(t, p, url, time.Now, p.AccessToken); !errors.Is(err, aliexpress.ErrUnauthorized) {
		t.Errorf("listing: %v, want unauthorized", err)
	}
	if _, err := refresh(t, p, url, time.Now, p.RefreshToken); !errors.Is(err, aliexpress.ErrReauthorize) {
		t.Errorf("refresh: %v, want re-authorize", err)
	}
	g := p.Reauthorize()
	if g.AccessToken == p.AccessToken || p.Tokens() != g {
		t.Errorf("re-authorization granted %+v, want new tokens that are current", g)
	}
	if err := listWith(t, p, url, time.Now, g.AccessToken); err != nil {
		t.Errorf("listing after re-authorization: %v", err)
	}
}

func TestTheRefreshIsSignedLikeEveryCall(t *testing.T) {
	p := aliexpresstest.New(t.Cleanup)
	url := p.StartTLS()
	_, err := aliexpress.RefreshToken(context.Background(), aliexpress.RefreshConfig{BaseURL: url, AppKey: p.AppKey,
		AppSecret: "wrong", RefreshToken: p.RefreshToken, HTTPClient: p.Client(), Retry: httpretry.Policy{MaxAttempts: 1}})
	var e *aliexpress.Error
	if !errors.As(err, &e) || e.Code != "IncompleteSignature" || errors.Is(err, aliexpress.ErrReauthorize) {
		t.Errorf("wrong app secret: %v, want IncompleteSignature and no re-authorization", err)
	}
	if _, err := refresh(t, p, url, time.Now, p.RefreshToken); err != nil {
		t.Fatal(err)
	}
	r := p.Requests()[len(p.Requests())-1]
	if r.Path != "/rest"+aliexpresstest.APITokenRefresh || r.API != aliexpresstest.APITokenRefresh ||
		r.Form.Get("refresh_token") != p.RefreshToken || r.Form.Has("access_token") || r.RawQuery != "" {
		t.Errorf("refresh request = %+v, want a signed POST to /rest/auth/token/refresh with the token in the form only", r)
	}
	if p.Refreshes() != 1 {
		t.Errorf("refreshes = %d, want 1", p.Refreshes())
	}
}
