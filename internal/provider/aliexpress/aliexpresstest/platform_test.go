package aliexpresstest_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alitok/workspace-operator/internal/provider/aliexpress"
	"github.com/alitok/workspace-operator/internal/provider/aliexpress/aliexpresstest"
	"github.com/alitok/workspace-operator/internal/provider/httpretry"
)

// client is the real client of p, configured from p's credential files as the worker would be, without retries.
func client(t *testing.T, p *aliexpresstest.Platform, url string, change ...func(*aliexpress.Config)) *aliexpress.Client {
	t.Helper()
	files := p.CredentialFiles()
	cfg := aliexpress.Config{BaseURL: url, HTTPClient: p.Client(), Retry: httpretry.Policy{MaxAttempts: 1},
		Credentials: aliexpress.Credentials{AppKey: files["app_key"], AppSecret: files["app_secret"],
			AccessToken: files["access_token"]}}
	for _, c := range change {
		c(&cfg)
	}
	c, err := aliexpress.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTheClientListsEveryFeatureWithItsBuyers(t *testing.T) {
	p := aliexpresstest.New(t.Cleanup)
	url := p.StartTLS()
	alice, bob := aliexpresstest.NewBuyer("alice"), aliexpresstest.NewBuyer("bob")
	at := time.Now().Add(-time.Hour).Truncate(time.Second)
	p.AddOrder("3051000000000000001", alice, "WAIT_SELLER_SEND_GOODS", at)
	p.AddOrder("3051000000000000002", bob, "FINISH", at)
	p.AddOrder("3051000000000000003", alice, "WAIT_SELLER_SEND_GOODS", at)
	p.AddProduct("1005001", "Lamp", at)
	p.AddIssue("77", "3051000000000000002", bob, "processing", at)
	c := client(t, p, url)
	ctx := context.Background()

	var orders []string
	if _, err := c.ListOrders(ctx, time.Time{}, func(o aliexpress.Order) error {
		orders = append(orders, o.ID+":"+o.BuyerLoginID+":"+o.BuyerName)
		if !o.UpdatedAt.Equal(at) {
			t.Errorf("order %s updated at %v, want %v (Pacific time read back)", o.ID, o.UpdatedAt, at)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	aliceIs, bobIs := ":"+alice.LoginID+":Alice Example", ":"+bob.LoginID+":Bob Example"
	want := []string{"3051000000000000001" + aliceIs, "3051000000000000002" + bobIs, "3051000000000000003" + aliceIs}
	if !slices.Equal(orders, want) {
		t.Errorf("orders = %v, want %v", orders, want)
	}
	if n := len(p.Requests()); n != 2 {
		t.Errorf("requests = %d, want 2 pages of at most 2", n)
	}
	r := p.Requests()[0]
	if r.API != aliexpresstest.APIOrderList || r.Path != "/sync" || r.Form.Get("access_token") != p.AccessToken {
		t.Errorf("request = %+v, want the order list with the token in the form", r)
	}

	d, err := c.GetOrder(ctx, "3051000000000000002")
	if err != nil {
		t.Fatal(err)
	}
	if d.BuyerLoginID != bob.LoginID || d.ShippingAddress.City != "Berlin" || len(d.Shipments) != 1 ||
		d.Shipments[0].TrackingNumber != "LP3051000000000000002" {
		t.Errorf("details = %+v, want bob's, with a Berlin address and one shipment", d)
	}
	if _, err := c.GetOrder(ctx, "1"); err == nil {
		t.Error("details of an unknown order were found")
	}

	var got []string
	if _, err := c.ListProducts(ctx, time.Time{}, func(pr aliexpress.Product) error {
		got = append(got, pr.ID+"/"+pr.Status+"/"+pr.MinPrice.Amount)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Three disputes at the client's page size of 2: the list pages as asked.
	p.AddIssue("78", "3051000000000000001", alice, "finish", at)
	p.AddIssue("79", "3051000000000000003", alice, "processing", at)
	small := client(t, p, url, func(cfg *aliexpress.Config) { cfg.PageSize = 2 })
	if _, err := small.ListReturns(ctx, time.Time{}, func(r aliexpress.Return) error {
		got = append(got, r.ID+"/"+r.OrderID+"/"+r.BuyerLoginID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"1005001/onSelling/12.5", "77/3051000000000000002/" + bob.LoginID,
		"78/3051000000000000001/" + alice.LoginID, "79/3051000000000000003/" + alice.LoginID}; !slices.Equal(got, want) {
		t.Errorf("records = %v, want %v", got, want)
	}
}

func TestTheGatewayRefusesAsDocumented(t *testing.T) {
	p := aliexpresstest.New(t.Cleanup)
	url := p.StartTLS()
	for _, id := range []string{"1001", "1002", "1003"} {
		p.AddOrder(id, aliexpresstest.NewBuyer("alice"), "WAIT_SELLER_SEND_GOODS", time.Now().Add(-time.Hour))
	}
	list := func(c *aliexpress.Client) error {
		_, err := c.ListOrders(context.Background(), time.Time{}, func(aliexpress.Order) error { return nil })
		return err
	}
	code := func(err error) string {
		var e *aliexpress.Error
		if !errors.As(err, &e) {
			return "none"
		}
		return e.Code
	}

	wrongSecret := client(t, p, url, func(cfg *aliexpress.Config) { cfg.Credentials.AppSecret = "wrong" })
	if err := list(wrongSecret); code(err) != "IncompleteSignature" {
		t.Errorf("wrong secret: %v, want IncompleteSignature", err)
	}
	wrongToken := client(t, p, url, func(cfg *aliexpress.Config) { cfg.Credentials.AccessToken = "other" })
	if err := list(wrongToken); !errors.Is(err, aliexpress.ErrUnauthorized) {
		t.Errorf("wrong token: %v, want unauthorized", err)
	}
	hourAhead := func() time.Time { return time.Now().Add(time.Hour) }
	if err := list(client(t, p, url, func(cfg *aliexpress.Config) { cfg.Now = hourAhead })); code(err) != "InvalidTimestamp" {
		t.Errorf("timestamp an hour ahead: %v, want InvalidTimestamp", err)
	}

	p.SetRevoked(true)
	if err := list(client(t, p, url)); !errors.Is(err, aliexpress.ErrUnauthorized) || code(err) != "IllegalAccessToken" {
		t.Errorf("revoked token: %v, want IllegalAccessToken", err)
	}
	p.SetRevoked(false)

	p.SetCorruptPage(2)
	var e *aliexpress.Error
	err := list(client(t, p, url))
	if !errors.Is(err, aliexpress.ErrMalformedResponse) || !errors.As(err, &e) || e.Page != 2 {
		t.Errorf("corrupt page: %v, want a malformed page 2", err)
	}
	p.SetCorruptPage(0)
	if err := list(client(t, p, url)); err != nil {
		t.Errorf("after the switches are off: %v", err)
	}

	var overridden atomic.Int32
	p.Override(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		overridden.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	}))
	if err := list(wrongSecret); code(err) != "IncompleteSignature" {
		t.Errorf("override: wrong secret got %v, want the gateway's check first", err)
	}
	if err := list(client(t, p, url)); !errors.Is(err, aliexpress.ErrUnavailable) || overridden.Load() != 1 {
		t.Errorf("override: %v after %d overridden calls, want unavailable after 1", err, overridden.Load())
	}
}

func TestAnExpiredTokenIsRefusedAndItsExpiryIsAmongTheFiles(t *testing.T) {
	p := aliexpresstest.New(t.Cleanup)
	want := map[string]string{"app_key": p.AppKey, "app_secret": p.AppSecret, "access_token": p.AccessToken,
		"refresh_token": p.RefreshToken}
	if got := p.CredentialFiles(); !maps.Equal(got, want) {
		t.Errorf("CredentialFiles() = %v, want %v", got, want)
	}
	p.AccessTokenExpiresAt = time.Unix(1772366400, 0)
	if got := p.CredentialFiles()["access_token_expire_at"]; got != "1772366400" {
		t.Errorf("access_token_expire_at = %q, want Unix seconds", got)
	}
	p.AccessTokenExpiresAt = time.Now().Add(-time.Minute)
	url := p.StartTLS()
	_, err := client(t, p, url).ListOrders(context.Background(), time.Time{}, func(aliexpress.Order) error { return nil })
	if !errors.Is(err, aliexpress.ErrUnauthorized) {
		t.Errorf("expired token: %v, want unauthorized (the gateway says invalid or expired alike)", err)
	}
	if other := aliexpresstest.New(); other.AppSecret == p.AppSecret || other.AccessToken == p.AccessToken ||
		other.RefreshToken == p.RefreshToken {
		t.Error("two platforms share credentials")
	}
}
