package worker

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/contract"
	"github.com/alitok/workspace-operator/internal/provider"

	"github.com/alitok/workspace-operator/internal/provider/tiktokshop"
	"github.com/alitok/workspace-operator/internal/store"
)

// tiktokSource syncs a TikTok Shop shop.
type tiktokSource struct {
	c   *tiktokshop.Client
	key []byte
}

func init() {
	registerPlatform(workspacesv1alpha1.ProviderTikTokShop, platform{source: newTikTokSource, refresh: refreshTikTok})
}

// refreshTikTok renews the access token through the platform's refresh call.
func refreshTikTok(ctx context.Context, r *runner, in *contract.Refresh, c credentials) (provider.Token, error) {
	return tiktokshop.RefreshToken(ctx, tiktokshop.RefreshConfig{
		BaseURL: in.AuthBaseURL, AppKey: c.appKey, AppSecret: c.appSecret, RefreshToken: c.refreshToken,
		HTTPClient: r.env.httpClient, Retry: r.env.retry, Now: r.env.now,
	})
}

// newTikTokSource makes the shop's client. Without a shop cipher in the credentials it asks the platform which
// shops the token may act for and takes the cipher of --account-id.
func newTikTokSource(ctx context.Context, r *runner, in *contract.Sync, c credentials, key []byte) (source, error) {
	cfg := tiktokshop.Config{
		BaseURL:    in.APIBaseURL,
		HTTPClient: r.env.httpClient,
		Retry:      r.env.retry,
		Credentials: tiktokshop.Credentials{AppKey: c.appKey, AppSecret: c.appSecret, AccessToken: c.accessToken,
			AccessTokenExpiresAt: c.expiresAt, ShopCipher: c.shopCipher},
	}
	if cfg.Credentials.ShopCipher == "" {
		if in.AccountID == "" {
			return nil, inputError("credentials file %s is missing and --account-id is not given, so the shop cannot be chosen",
				filepath.Join(in.Credentials.Path, fileShopCipher))
		}
		cl, err := tiktokshop.New(cfg)
		if err != nil {
			return nil, usageError("%v", err)
		}
		shops, err := cl.AuthorizedShops(ctx)
		if err != nil {
			return nil, err
		}
		for _, s := range shops {
			if s.ID == in.AccountID {
				cfg.Credentials.ShopCipher = s.Cipher
			}
		}
		if cfg.Credentials.ShopCipher == "" {
			return nil, fail(contract.ReasonAccountNotAuthorized,
				fmt.Errorf("the access token is not authorized for shop %q (--account-id); it may act for %d other shop(s)",
					in.AccountID, len(shops)))
		}
	}
	cl, err := tiktokshop.New(cfg)
	if err != nil {
		return nil, usageError("%v", err)
	}
	return &tiktokSource{c: cl, key: key}, nil
}

func (t *tiktokSource) sync(ctx context.Context, feature workspacesv1alpha1.FeatureName, since time.Time, s *sink) (time.Time, error) {
	switch feature {
	case workspacesv1alpha1.FeatureProducts:
		return t.c.ListProducts(ctx, since, func(p tiktokshop.Product) error { return s.product(ctx, tiktokProduct(p)) })
	case workspacesv1alpha1.FeatureOrders:
		return t.c.ListOrders(ctx, since, func(o tiktokshop.Order) error { return s.order(ctx, tiktokOrder(t.key, o)) })
	case workspacesv1alpha1.FeatureFulfillment:
		return t.c.ListPackages(ctx, since, func(p tiktokshop.Package) error { return s.shipment(ctx, tiktokPackage(p)) })
	case workspacesv1alpha1.FeatureReturns:
		return t.c.ListReturns(ctx, since, func(r tiktokshop.Return) error { return s.ret(ctx, tiktokReturn(r)) })
	}
	return time.Time{}, usageError("--feature %q is not one of products, orders, fulfillment, returns", feature)
}

// tiktokProduct keeps one row per product: the first SKU's seller SKU and price, and the stock of all SKUs.
func tiktokProduct(p tiktokshop.Product) store.Product {
	out := store.Product{ExternalID: p.ID, Title: p.Title, Status: p.Status, UpdatedAt: p.UpdatedAt}
	for i, sku := range p.SKUs {
		if i == 0 {
			out.SellerSKU, out.PriceAmount, out.Currency = sku.SellerSKU, sku.Price.Amount, sku.Price.Currency
		}
		out.Quantity += sku.Quantity
	}
	return out
}

// tiktokOrder maps an order. The recipient's name and phone go to the buyer columns (category orders); the
// address, which TikTok Shop sends once the order is paid, to the shipping columns.
func tiktokOrder(key []byte, o tiktokshop.Order) store.Order {
	a := o.ShippingAddress
	line1 := a.Line1
	if line1 == "" {
		line1 = a.FullAddress
	}
	return store.Order{
		ExternalID: o.ID, Status: o.Status, TotalAmount: o.Total.Amount, Currency: o.Total.Currency,
		PlacedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
		BuyerPseudonym: buyerPseudonym(key, string(workspacesv1alpha1.ProviderTikTokShop), o.BuyerUserID, o.BuyerEmail),
		BuyerUserID:    o.BuyerUserID, BuyerEmail: o.BuyerEmail, BuyerName: a.Name, BuyerPhone: a.Phone,
		ShippingAddress: store.Address{Line1: line1, Line2: a.Line2, PostalCode: a.PostalCode, Country: a.RegionCode},
	}
}

// tiktokPackage maps a package. Packages name no buyer and hold no personal data.
func tiktokPackage(p tiktokshop.Package) store.Shipment {
	out := store.Shipment{ExternalID: p.ID, Status: p.Status, Carrier: p.ShippingProviderName,
		TrackingNumber: p.TrackingNumber, UpdatedAt: p.UpdatedAt}
	if len(p.OrderIDs) > 0 {
		out.OrderExternalID = p.OrderIDs[0]
	}
	return out
}

// tiktokReturn maps a return request. Return requests name no buyer and hold no personal data.
func tiktokReturn(r tiktokshop.Return) store.Return {
	return store.Return{ExternalID: r.ID, OrderExternalID: r.OrderID, Status: r.Status, Type: r.Type, Reason: r.Reason,
		RefundAmount: r.Refund.Amount, Currency: r.Refund.Currency, UpdatedAt: r.UpdatedAt}
}
