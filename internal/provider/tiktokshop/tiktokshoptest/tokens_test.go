package tiktokshoptest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/alitok/workspace-operator/internal/provider/httpretry"
	"github.com/alitok/workspace-operator/internal/provider/tiktokshop"
	"github.com/alitok/workspace-operator/internal/provider/tiktokshop/tiktokshoptest"
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
func refresh(t *testing.T, p *tiktokshoptest.Platform, url string, now func() time.Time, refreshToken string) (tiktokshop.Token, error) {
	t.Helper()
	return tiktokshop.RefreshToken(context.Background(), tiktokshop.RefreshConfig{BaseURL: url, AppKey: p.AppKey,
		AppSecret: p.AppSecret, RefreshToken: refreshToken, HTTPClient: p.Client(), Now: now,
		Retry: httpretry.Policy{MaxAttempts: 1}})
}

// listWith lists orders with token at the clock's time.
func listWith(t *testing.T, p *tiktokshoptest.Platform, url string, now func() time.Time, token string) error {
	t.Helper()
	c := client(t, p, url, func(cfg *tiktokshop.Config) { cfg.Credentials.AccessToken = token; cfg.Now = now })
	_, err := c.ListOrders(context.Background(), time.Time{}, func(tiktokshop.Order) error { return nil })
	return err
}

func TestShortLivedTokensAreRefreshedAcrossSeveralExpiries(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	p := tiktokshoptest.New(t.Cleanup)
	p.Now = clk.now
	p.AccessTokenLifetime = 2 * time.Minute
	p.AccessTokenExpiresAt = clk.now().Add(2 * time.Minute)
	p.RefreshTokenExpiresAt = clk.now().Add(time.Hour)
	url := p.StartTLS()

	files := p.CredentialFiles()
	for i := range 3 {
		clk.advance(2 * time.Minute) // the token in hand has just expired
		if err := listWith(t, p, url, clk.now, files[tiktokshoptest.FileAccessToken]); !errors.Is(err, tiktokshop.ErrTokenExpired) {
			t.Fatalf("expiry %d: listing with the expired token: %v, want token expired", i+1, err)
		}
		tok, err := refresh(t, p, url, clk.now, files[tiktokshoptest.FileRefreshToken])
		if err != nil {
			t.Fatalf("refresh %d: %v", i+1, err)
		}
		files = p.CredentialFiles()
		if files[tiktokshoptest.FileAccessToken] != tok.AccessToken || files[tiktokshoptest.FileRefreshToken] != tok.RefreshToken ||
			files[tiktokshoptest.FileExpireAt] != strconv.FormatInt(clk.now().Add(2*time.Minute).Unix(), 10) {
			t.Fatalf("refresh %d: credential files %v do not hold the new tokens", i+1, files)
		}
		// The authorization's end does not move with the refreshes.
		if want := strconv.FormatInt(p.RefreshTokenExpiresAt.Unix(), 10); files[tiktokshoptest.FileRefreshExpireAt] != want ||
			!tok.RefreshTokenExpiresAt.Equal(p.RefreshTokenExpiresAt) {
			t.Fatalf("refresh %d: refresh token expires %v (file %s), want %v", i+1, tok.RefreshTokenExpiresAt,
				files[tiktokshoptest.FileRefreshExpireAt], p.RefreshTokenExpiresAt)
		}
		if err := listWith(t, p, url, clk.now, tok.AccessToken); err != nil {
			t.Fatalf("refresh %d: listing with the new token: %v", i+1, err)
		}
	}
	if p.Refreshes() != 3 {
		t.Errorf("refreshes = %d, want 3", p.Refreshes())
	}

	clk.advance(time.Hour) // past the authorization's end
	if _, err := refresh(t, p, url, clk.now, files[tiktokshoptest.FileRefreshToken]); !errors.Is(err, tiktokshop.ErrReauthorize) {
		t.Fatalf("refresh after the authorization ended: %v, want re-authorize", err)
	}
	g := p.Reauthorize()
	if err := listWith(t, p, url, clk.now, g.AccessToken); err != nil {
		t.Errorf("listing after re-authorization: %v", err)
	}
	if _, err := refresh(t, p, url, clk.now, g.RefreshToken); err != nil {
		t.Errorf("refresh after re-authorization: %v", err)
	}
	if p.Refreshes() != 4 {
		t.Errorf("refreshes = %d, want 4: re-authorization is not a refresh", p.Refreshes())
	}
}

func TestRefreshGraceKeepsTheReplacedAccessTokenAWhile(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	p := tiktokshoptest.New(t.Cleanup)
	p.Now = clk.now
	p.RefreshGrace = time.Minute
	url := p.StartTLS()
	old := p.AccessToken

	if _, err := refresh(t, p, url, clk.now, p.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if err := listWith(t, p, url, clk.now, old); err != nil {
		t.Errorf("replaced token within the grace: %v", err)
	}
	clk.advance(time.Minute)
	if err := listWith(t, p, url, clk.now, old); !errors.Is(err, tiktokshop.ErrUnauthorized) {
		t.Errorf("replaced token after the grace: %v, want unauthorized", err)
	}
}

func TestARevokedSellerIsRefusedOnBothHostsUntilReauthorized(t *testing.T) {
	p := tiktokshoptest.New(t.Cleanup)
	url := p.StartTLS()
	p.SetRevoked(true)
	if err := listWith(t, p, url, time.Now, p.AccessToken); !errors.Is(err, tiktokshop.ErrUnauthorized) {
		t.Errorf("listing: %v, want unauthorized", err)
	}
	if _, err := refresh(t, p, url, time.Now, p.RefreshToken); !errors.Is(err, tiktokshop.ErrReauthorize) {
		t.Errorf("refresh: %v, want re-authorize", err)
	}
	g := p.Reauthorize()
	if g.AccessToken == p.AccessToken || g.RefreshToken == p.RefreshToken || p.Tokens() != g {
		t.Errorf("re-authorization granted %+v, want new tokens that are current", g)
	}
	if err := listWith(t, p, url, time.Now, p.AccessToken); !errors.Is(err, tiktokshop.ErrUnauthorized) {
		t.Errorf("listing with the token from before the revocation: %v, want unauthorized", err)
	}
	if err := listWith(t, p, url, time.Now, g.AccessToken); err != nil {
		t.Errorf("listing after re-authorization: %v", err)
	}
}

func TestTheRefreshChecksTheAppAndTheMethod(t *testing.T) {
	p := tiktokshoptest.New(t.Cleanup)
	url := p.StartTLS()
	_, err := tiktokshop.RefreshToken(context.Background(), tiktokshop.RefreshConfig{BaseURL: url, AppKey: p.AppKey,
		AppSecret: "wrong", RefreshToken: p.RefreshToken, HTTPClient: p.Client(), Retry: httpretry.Policy{MaxAttempts: 1}})
	var e *tiktokshop.Error
	if !errors.As(err, &e) || e.Code != 36004004 || errors.Is(err, tiktokshop.ErrReauthorize) {
		t.Errorf("wrong app secret: %v, want code 36004004 and no re-authorization", err)
	}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, url+tiktokshoptest.PathTokenRefresh, nil)
	resp, err := p.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST to the refresh: HTTP %d, want 404 as the auth host answers", resp.StatusCode)
	}
	if p.Refreshes() != 0 {
		t.Errorf("refreshes = %d, want none", p.Refreshes())
	}
}

func TestTheDeauthorizationWebhookIsSignedAsThePlatformSignsIt(t *testing.T) {
	p := tiktokshoptest.New(t.Cleanup)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	p.Now = func() time.Time { return at }
	var got struct {
		body []byte
		auth string
	}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.body, _ = io.ReadAll(r.Body)
		got.auth = r.Header.Get("Authorization")
	}))
	defer receiver.Close()

	req, err := p.DeauthorizationWebhook(context.Background(), receiver.URL+"/webhooks/tiktokshop")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := receiver.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if err := tiktokshop.VerifyWebhook(p.AppKey, p.AppSecret, got.body, got.auth); err != nil {
		t.Fatalf("the client's check refuses the fake's signature: %v", err)
	}
	ev, err := tiktokshop.ParseWebhook(got.body)
	if err != nil || !ev.IsDeauthorization() || ev.ShopID != p.ShopID || !ev.Timestamp.Equal(at) || ev.NotificationID == "" {
		t.Errorf("event = %+v, %v; want a deauthorization of %s at %v", ev, err, p.ShopID, at)
	}
	if err := tiktokshop.VerifyWebhook(p.AppKey, "another secret", got.body, got.auth); err == nil {
		t.Error("the signature verifies with another secret")
	}
	forged, _ := tiktokshoptest.WebhookRequest(context.Background(), "http://x", p.AppKey, "forger", got.body)
	if tiktokshop.VerifyWebhook(p.AppKey, p.AppSecret, got.body, forged.Header.Get("Authorization")) == nil {
		t.Error("a body signed with the wrong secret verifies")
	}
}
