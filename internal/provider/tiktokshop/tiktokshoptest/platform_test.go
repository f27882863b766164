package tiktokshoptest_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alitok/workspace-operator/internal/provider/httpretry"
	"github.com/alitok/workspace-operator/internal/provider/tiktokshop"
	"github.com/alitok/workspace-operator/internal/provider/tiktokshop/tiktokshoptest"
)

// client is the real client of p, configured from p's credential files as the worker would be, without retries.
func client(t *testing.T, p *tiktokshoptest.Platform, url string, change ...func(*tiktokshop.Config)) *tiktokshop.Client {
	t.Helper()
	files := p.CredentialFiles()
	cfg := tiktokshop.Config{BaseURL: url, HTTPClient: p.Client(), Retry: httpretry.Policy{MaxAttempts: 1},
		Credentials: tiktokshop.Credentials{AppKey: files["app_key"], AppSecret: files["app_secret"],
			AccessToken: files["access_token"], ShopCipher: files["shop_cipher"]}}
	for _, c := range change {
		c(&cfg)
	}
	c, err := tiktokshop.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTheClientListsEveryFeatureWithItsBuyers(t *testing.T) {
	p := tiktokshoptest.New(t.Cleanup)
	url := p.StartTLS()
	alice, bob := tiktokshoptest.NewBuyer("alice"), tiktokshoptest.NewBuyer("bob")
	at := time.Now().Add(-time.Hour).Truncate(time.Second)
	p.AddOrder("o1", alice, "UNPAID", at)
	p.AddOrder("o2", bob, "DELIVERED", at)
	p.AddOrder("o3", alice, "AWAITING_SHIPMENT", at)
	p.AddProduct("p1", "Mug", at)
	p.AddPackage("pk1", "o2", at)
	p.AddReturn("r1", "o2", at)
	c := client(t, p, url)
	ctx := context.Background()

	var buyers []string
	if _, err := c.ListOrders(ctx, time.Time{}, func(o tiktokshop.Order) error {
		buyers = append(buyers, o.ID+":"+o.BuyerUserID+":"+o.BuyerEmail+":"+o.ShippingAddress.Name)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	aliceIs, bobIs := ":"+alice.UserID+":"+alice.Email+":Alice Example", ":"+bob.UserID+":"+bob.Email+":Bob Example"
	want := []string{"o1" + aliceIs, "o2" + bobIs, "o3" + aliceIs}
	if !slices.Equal(buyers, want) {
		t.Errorf("orders = %v, want %v", buyers, want)
	}
	var tokens []string
	for _, r := range p.Requests() {
		tokens = append(tokens, r.Query.Get("page_token"))
	}
	if !slices.Equal(tokens, []string{"", "page-2"}) {
		t.Errorf("page tokens = %q, want two pages of at most 2", tokens)
	}

	var got []string
	if _, err := c.ListProducts(ctx, time.Time{}, func(pr tiktokshop.Product) error {
		got = append(got, pr.ID+"/"+pr.SKUs[0].Price.Amount)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListPackages(ctx, time.Time{}, func(pk tiktokshop.Package) error {
		got = append(got, pk.ID+"/"+pk.OrderIDs[0])
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListReturns(ctx, time.Time{}, func(r tiktokshop.Return) error {
		got = append(got, r.ID+"/"+r.OrderID+"/"+r.Refund.Amount)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"p1/9.90", "pk1/o2", "r1/o2/24.90"}; !slices.Equal(got, want) {
		t.Errorf("records = %v, want %v", got, want)
	}

	noCipher := client(t, p, url, func(cfg *tiktokshop.Config) { cfg.Credentials.ShopCipher = "" })
	shops, err := noCipher.AuthorizedShops(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(shops, func(s tiktokshop.Shop) bool { return s.ID == p.ShopID && s.Cipher == p.ShopCipher }) {
		t.Errorf("authorized shops %+v do not hold %s", shops, p.ShopID)
	}
}

func TestThePlatformRefusesAsDocumented(t *testing.T) {
	p := tiktokshoptest.New(t.Cleanup)
	url := p.StartTLS()
	var orders []map[string]any
	for _, id := range []string{"o1", "o2", "o3"} {
		orders = append(orders, tiktokshoptest.Order(id, tiktokshoptest.NewBuyer("alice"), "UNPAID", time.Now()))
	}
	p.Seed(tiktokshoptest.FeatureOrders, orders...)
	list := func(c *tiktokshop.Client) error {
		_, err := c.ListOrders(context.Background(), time.Time{}, func(tiktokshop.Order) error { return nil })
		return err
	}
	code := func(err error) int {
		var e *tiktokshop.Error
		if !errors.As(err, &e) {
			return -1
		}
		return e.Code
	}

	wrongSecret := client(t, p, url, func(cfg *tiktokshop.Config) { cfg.Credentials.AppSecret = "wrong" })
	if err := list(wrongSecret); !errors.Is(err, tiktokshop.ErrUnauthorized) || code(err) != 106001 {
		t.Errorf("wrong secret: %v, want the bad-signature code 106001", err)
	}
	if err := list(client(t, p, url, func(cfg *tiktokshop.Config) { cfg.Credentials.ShopCipher = "ROW_other" })); code(err) != 36009004 {
		t.Errorf("another shop's cipher: %v, want code 36009004", err)
	}
	hourAgo := func() time.Time { return time.Now().Add(-time.Hour) }
	if err := list(client(t, p, url, func(cfg *tiktokshop.Config) { cfg.Now = hourAgo })); code(err) != 36009004 {
		t.Errorf("stale timestamp: %v, want code 36009004", err)
	}

	p.SetRevoked(true)
	err := list(client(t, p, url))
	var e *tiktokshop.Error
	if !errors.Is(err, tiktokshop.ErrUnauthorized) || !errors.As(err, &e) || e.HTTPStatus != http.StatusUnauthorized {
		t.Errorf("revoked token: %v, want unauthorized with HTTP 401", err)
	}
	p.SetRevoked(false)

	p.SetCorruptPage(2)
	err = list(client(t, p, url))
	if !errors.Is(err, tiktokshop.ErrMalformedResponse) || !errors.As(err, &e) || e.Page != 2 {
		t.Errorf("corrupt page: %v, want a malformed page 2", err)
	}
	p.SetCorruptPage(0)
	if err := list(client(t, p, url)); err != nil {
		t.Errorf("after the switches are off: %v", err)
	}

	var overridden atomic.Int32
	p.Override(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		overridden.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	if err := list(wrongSecret); code(err) != 106001 {
		t.Errorf("override: wrong secret got %v, want the platform's check first", err)
	}
	if err := list(client(t, p, url)); !errors.Is(err, tiktokshop.ErrUnavailable) || overridden.Load() != 1 {
		t.Errorf("override: %v after %d overridden requests, want unavailable after 1", err, overridden.Load())
	}
}

func TestAnExpiredTokenIsRefusedAndItsExpiryIsAmongTheFiles(t *testing.T) {
	p := tiktokshoptest.New(t.Cleanup)
	want := map[string]string{"app_key": p.AppKey, "app_secret": p.AppSecret, "access_token": p.AccessToken,
		"refresh_token": p.RefreshToken, "shop_cipher": p.ShopCipher}
	if got := p.CredentialFiles(); !maps.Equal(got, want) {
		t.Errorf("CredentialFiles() = %v, want %v", got, want)
	}
	p.AccessTokenExpiresAt = time.Unix(1772366400, 0)
	if got := p.CredentialFiles()["access_token_expire_at"]; got != "1772366400" {
		t.Errorf("access_token_expire_at = %q, want Unix seconds", got)
	}
	p.AccessTokenExpiresAt = time.Now().Add(-time.Minute)
	url := p.StartTLS()
	// The client is not told the expiry, so it calls and the platform refuses.
	_, err := client(t, p, url).ListOrders(context.Background(), time.Time{}, func(tiktokshop.Order) error { return nil })
	if !errors.Is(err, tiktokshop.ErrTokenExpired) {
		t.Errorf("expired token: %v, want token expired", err)
	}
	other := tiktokshoptest.New()
	if other.AppSecret == p.AppSecret || other.AccessToken == p.AccessToken || other.RefreshToken == p.RefreshToken ||
		other.ShopID == p.ShopID {
		t.Error("two platforms share credentials")
	}
}
