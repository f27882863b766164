package worker

import (
	"context"
	"strconv"
	"time"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/contract"
	"github.com/alitok/workspace-operator/internal/provider"

	"github.com/alitok/workspace-operator/internal/provider/aliexpress"
	"github.com/alitok/workspace-operator/internal/store"
)

// aliexpressSource syncs an AliExpress seller account.
type aliexpressSource struct {
	c   *aliexpress.Client
	key []byte
}

func init() {
	registerPlatform(workspacesv1alpha1.ProviderAliExpress, platform{source: newAliExpressSource, refresh: refreshAliExpress})
}

// refreshAliExpress renews the access token through the platform's refresh call.
func refreshAliExpress(ctx context.Context, r *runner, in *contract.Refresh, c credentials) (provider.Token, error) {
	return aliexpress.RefreshToken(ctx, aliexpress.RefreshConfig{
		BaseURL: in.APIBaseURL, AppKey: c.appKey, AppSecret: c.appSecret, RefreshToken: c.refreshToken,
		HTTPClient: r.env.httpClient, Retry: r.env.retry, Now: r.env.now,
	})
}

func newAliExpressSource(_ context.Context, r *runner, in *contract.Sync, c credentials, key []byte) (source, error) {
	cl, err := aliexpress.New(aliexpress.Config{
		BaseURL:    in.APIBaseURL,
		HTTPClient: r.env.httpClient,
		Retry:      r.env.retry,
		Credentials: aliexpress.Credentials{AppKey: c.appKey, AppSecret: c.appSecret, AccessToken: c.accessToken,
			AccessTokenExpiresAt: c.expiresAt},
	})
	if err != nil {
		return nil, usageError("%v", err)
	}
	return &aliexpressSource{c: cl, key: key}, nil
}

// sync lists the feature's records. AliExpress has no shipment list: fulfillment walks the orders updated in the
// window and fetches each one's details, which carry its shipments and the shipping address.
func (a *aliexpressSource) sync(ctx context.Context, feature workspacesv1alpha1.FeatureName, since time.Time, s *sink) (time.Time, error) {
	switch feature {
	case workspacesv1alpha1.FeatureProducts:
		return a.c.ListProducts(ctx, since, func(p aliexpress.Product) error { return s.product(ctx, aliexpressProduct(p)) })
	case workspacesv1alpha1.FeatureOrders:
		return a.c.ListOrders(ctx, since, func(o aliexpress.Order) error { return s.order(ctx, aliexpressOrder(a.key, o)) })
	case workspacesv1alpha1.FeatureFulfillment:
		return a.c.ListOrders(ctx, since, func(o aliexpress.Order) error {
			d, err := a.c.GetOrder(ctx, o.ID)
			if err != nil {
				return err
			}
			for i := range d.Shipments {
				if err := s.shipment(ctx, aliexpressShipment(a.key, d, i)); err != nil {
					return err
				}
			}
			return nil
		})
	case workspacesv1alpha1.FeatureReturns:
		return a.c.ListReturns(ctx, since, func(r aliexpress.Return) error { return s.ret(ctx, aliexpressReturn(a.key, r)) })
	}
	return time.Time{}, usageError("--feature %q is not one of products, orders, fulfillment, returns", feature)
}

// aliexpressProduct keeps the lowest price of the product's range.
func aliexpressProduct(p aliexpress.Product) store.Product {
	return store.Product{ExternalID: p.ID, Title: p.Subject, Status: p.Status, PriceAmount: p.MinPrice.Amount,
		Currency: p.MinPrice.Currency, UpdatedAt: p.UpdatedAt}
}

// aliexpressOrder maps an order of the order list, which carries the buyer but no address.
func aliexpressOrder(key []byte, o aliexpress.Order) store.Order {
	return store.Order{
		ExternalID: o.ID, Status: o.Status, TotalAmount: o.Total.Amount, Currency: o.Total.Currency,
		PlacedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
		BuyerPseudonym: buyerPseudonym(key, string(workspacesv1alpha1.ProviderAliExpress), o.BuyerLoginID, ""),
		BuyerUserID:    o.BuyerLoginID, BuyerName: o.BuyerName,
	}
}

// aliexpressShipment maps the i-th shipment of an order's details. Shipments have no ID of their own: the order's
// ID and the tracking number (or the position, before there is one) make a stable one.
func aliexpressShipment(key []byte, o aliexpress.Order, i int) store.Shipment {
	sh := o.Shipments[i]
	id := o.ID + "/" + sh.TrackingNumber
	if sh.TrackingNumber == "" {
		id = o.ID + "/" + strconv.Itoa(i+1)
	}
	a := o.ShippingAddress
	updated := o.UpdatedAt
	if updated.IsZero() {
		updated = sh.ShippedAt
	}
	return store.Shipment{
		ExternalID: id, OrderExternalID: o.ID, Status: sh.Status, Carrier: sh.Carrier, TrackingNumber: sh.TrackingNumber,
		BuyerPseudonym: buyerPseudonym(key, string(workspacesv1alpha1.ProviderAliExpress), o.BuyerLoginID, ""),
		RecipientName:  a.Name, RecipientPhone: a.Phone,
		Address: store.Address{Line1: a.Line1, Line2: a.Line2, City: a.City, PostalCode: a.PostalCode,
			Region: a.Province, Country: a.Country},
		UpdatedAt: updated,
	}
}

// aliexpressReturn maps a dispute.
func aliexpressReturn(key []byte, r aliexpress.Return) store.Return {
	return store.Return{ExternalID: r.ID, OrderExternalID: r.OrderID, Status: r.Status, Reason: r.Reason,
		BuyerPseudonym: buyerPseudonym(key, string(workspacesv1alpha1.ProviderAliExpress), r.BuyerLoginID, ""), UpdatedAt: r.UpdatedAt}
}
