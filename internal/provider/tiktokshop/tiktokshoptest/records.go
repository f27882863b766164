package tiktokshoptest

import (
	"strings"
	"time"

	"github.com/alitok/workspace-operator/internal/provider/providertest"
)

// Buyer is a shopper of the fake shop: the identity and recipient its orders carry. TikTok Shop names a buyer by
// user ID and by email (a relay address of the platform's).
type Buyer struct {
	// UserID is the buyer's TikTok user ID; empty for a buyer known by email only.
	UserID string
	// Email is the buyer's email.
	Email string
	// Name is the recipient's name on the shipping address.
	Name string
}

// NewBuyer returns a buyer with a random user ID and email, named after name ("alice" → "Alice Example").
func NewBuyer(name string) Buyer {
	return Buyer{UserID: "7" + providertest.RandomDigits(18), Email: strings.ToLower(name) + "." + providertest.RandomHex(4) + "@example.com",
		Name: strings.ToUpper(name[:1]) + name[1:] + " Example"}
}

// Order is an order of b as the order search returns it, placed an hour before updated and paid: the buyer's
// user ID and email, the recipient's name, phone and address, the payment and one line item.
func Order(id string, b Buyer, status string, updated time.Time) map[string]any {
	return map[string]any{
		"id": id, "status": status, "create_time": updated.Add(-time.Hour).Unix(), "update_time": updated.Unix(),
		"paid_time": updated.Add(-59 * time.Minute).Unix(),
		"user_id":   b.UserID, "buyer_email": b.Email,
		"recipient_address": map[string]any{"name": b.Name, "phone_number": "+49 30 123",
			"full_address": "Examplestr. 1, 10115 Berlin", "address_line1": "Examplestr. 1", "postal_code": "10115",
			"region_code": "DE"},
		"payment": map[string]any{"currency": "EUR", "total_amount": "24.90"},
		"line_items": []map[string]any{{"id": id + "-1", "product_id": "1729000000000000001", "sku_id": "1729000000000000101",
			"seller_sku": "MUG-1", "product_name": "Mug", "sale_price": "24.90", "currency": "EUR", "display_status": status}},
	}
}

// Product is an active product as the product search returns it, with one SKU of 5 in stock at 9.90 EUR.
func Product(id, title string, updated time.Time) map[string]any {
	return map[string]any{
		"id": id, "title": title, "status": "ACTIVATE", "create_time": updated.Add(-24 * time.Hour).Unix(),
		"update_time": updated.Unix(),
		"skus": []map[string]any{{"id": id + "-1", "seller_sku": strings.ToUpper(title) + "-1",
			"price":     map[string]any{"currency": "EUR", "sale_price": "9.90"},
			"inventory": []map[string]any{{"quantity": 5, "warehouse_id": "7000000000000000001"}}}},
	}
}

// Package is a package in transit with DHL for orderID (and its line item, as Order makes it), as the package
// search returns it. Packages name no buyer.
func Package(id, orderID string, updated time.Time) map[string]any {
	return map[string]any{
		"id": id, "status": "IN_TRANSIT", "orders": []map[string]any{{"id": orderID}},
		"order_line_item_ids": []string{orderID + "-1"}, "tracking_number": "TRK" + id,
		"shipping_provider_id": "6617675021119438849", "shipping_provider_name": "DHL",
		"create_time": updated.Add(-time.Hour).Unix(), "update_time": updated.Unix(),
	}
}

// Return is a pending refund request for orderID (and its line item, as Order makes it), as the return search
// returns it. Return requests name no buyer.
func Return(id, orderID string, updated time.Time) map[string]any {
	return map[string]any{
		"return_id": id, "order_id": orderID, "return_status": "RETURN_OR_REFUND_REQUEST_PENDING",
		"return_type": "REFUND", "return_reason": "broken", "create_time": updated.Add(-time.Hour).Unix(),
		"update_time":       updated.Unix(),
		"refund_amount":     map[string]any{"currency": "EUR", "refund_total": "24.90"},
		"return_line_items": []map[string]any{{"order_line_item_id": orderID + "-1"}},
	}
}

// AddOrder adds Order(id, b, status, updated) to the orders.
func (p *Platform) AddOrder(id string, b Buyer, status string, updated time.Time) {
	p.add(FeatureOrders, Order(id, b, status, updated))
}

// AddProduct adds Product(id, title, updated) to the products.
func (p *Platform) AddProduct(id, title string, updated time.Time) {
	p.add(FeatureProducts, Product(id, title, updated))
}

// AddPackage adds Package(id, orderID, updated) to the fulfillment records.
func (p *Platform) AddPackage(id, orderID string, updated time.Time) {
	p.add(FeatureFulfillment, Package(id, orderID, updated))
}

// AddReturn adds Return(id, orderID, updated) to the returns.
func (p *Platform) AddReturn(id, orderID string, updated time.Time) {
	p.add(FeatureReturns, Return(id, orderID, updated))
}
