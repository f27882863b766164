package store

import "context"

// Guards on the stored row: erased buyer and address columns stay empty, and a tombstoned pseudonym stays a
// tombstone, whatever the platform sends on the next sync.
const (
	buyerWritable     = "t.buyer_erased_at IS NULL"
	addressWritable   = "t.address_erased_at IS NULL"
	pseudonymWritable = "t.buyer_pseudonym IS DISTINCT FROM '" + Tombstone + "'"
)

var productSpec = upsertSpec[Product]{
	table:   func(t tenantTables) string { return t.products },
	name:    "products",
	id:      func(r Product) string { return r.ExternalID },
	subject: func(Product) string { return "" },
	columns: []column[Product]{
		{name: "title", kind: textCol, get: func(r Product) any { return r.Title }},
		{name: "status", kind: textCol, get: func(r Product) any { return r.Status }},
		{name: "seller_sku", kind: textCol, get: func(r Product) any { return r.SellerSKU }},
		{name: "price_amount", kind: numericCol, get: func(r Product) any { return r.PriceAmount }},
		{name: "currency", kind: textCol, get: func(r Product) any { return r.Currency }},
		{name: "quantity", kind: intCol, get: func(r Product) any { return r.Quantity }},
		{name: "updated_at", kind: timeCol, get: func(r Product) any { return r.UpdatedAt }},
	},
}

var orderSpec = upsertSpec[Order]{
	table:   func(t tenantTables) string { return t.orders },
	name:    "orders",
	id:      func(r Order) string { return r.ExternalID },
	subject: func(r Order) string { return r.BuyerPseudonym },
	columns: []column[Order]{
		{name: "status", kind: textCol, get: func(r Order) any { return r.Status }},
		{name: "total_amount", kind: numericCol, get: func(r Order) any { return r.TotalAmount }},
		{name: "currency", kind: textCol, get: func(r Order) any { return r.Currency }},
		{name: "placed_at", kind: timeCol, get: func(r Order) any { return r.PlacedAt }},
		{name: "updated_at", kind: timeCol, get: func(r Order) any { return r.UpdatedAt }},
		{name: "buyer_pseudonym", kind: textCol, guard: pseudonymWritable, get: func(r Order) any { return r.BuyerPseudonym }},
		{name: "buyer_user_id", kind: textCol, guard: buyerWritable, get: func(r Order) any { return r.BuyerUserID }},
		{name: "buyer_name", kind: textCol, guard: buyerWritable, get: func(r Order) any { return r.BuyerName }},
		{name: "buyer_email", kind: textCol, guard: buyerWritable, get: func(r Order) any { return r.BuyerEmail }},
		{name: "buyer_phone", kind: textCol, guard: buyerWritable, get: func(r Order) any { return r.BuyerPhone }},
		{name: "ship_address_line1", kind: textCol, guard: addressWritable, get: func(r Order) any { return r.ShippingAddress.Line1 }},
		{name: "ship_address_line2", kind: textCol, guard: addressWritable, get: func(r Order) any { return r.ShippingAddress.Line2 }},
		{name: "ship_city", kind: textCol, guard: addressWritable, get: func(r Order) any { return r.ShippingAddress.City }},
		{name: "ship_postal_code", kind: textCol, guard: addressWritable, get: func(r Order) any { return r.ShippingAddress.PostalCode }},
		{name: "ship_region", kind: textCol, guard: addressWritable, get: func(r Order) any { return r.ShippingAddress.Region }},
		{name: "ship_country", kind: textCol, guard: addressWritable, get: func(r Order) any { return r.ShippingAddress.Country }},
	},
}

var shipmentSpec = upsertSpec[Shipment]{
	table:    func(t tenantTables) string { return t.shipments },
	name:     "shipments",
	id:       func(r Shipment) string { return r.ExternalID },
	subject:  func(r Shipment) string { return r.BuyerPseudonym },
	suppress: true,
	columns: []column[Shipment]{
		{name: "order_external_id", kind: textCol, get: func(r Shipment) any { return r.OrderExternalID }},
		{name: "status", kind: textCol, get: func(r Shipment) any { return r.Status }},
		{name: "carrier", kind: textCol, get: func(r Shipment) any { return r.Carrier }},
		{name: "tracking_number", kind: textCol, get: func(r Shipment) any { return r.TrackingNumber }},
		{name: "buyer_pseudonym", kind: textCol, get: func(r Shipment) any { return r.BuyerPseudonym }},
		{name: "recipient_name", kind: textCol, get: func(r Shipment) any { return r.RecipientName }},
		{name: "recipient_phone", kind: textCol, get: func(r Shipment) any { return r.RecipientPhone }},
		{name: "address_line1", kind: textCol, get: func(r Shipment) any { return r.Address.Line1 }},
		{name: "address_line2", kind: textCol, get: func(r Shipment) any { return r.Address.Line2 }},
		{name: "city", kind: textCol, get: func(r Shipment) any { return r.Address.City }},
		{name: "postal_code", kind: textCol, get: func(r Shipment) any { return r.Address.PostalCode }},
		{name: "region", kind: textCol, get: func(r Shipment) any { return r.Address.Region }},
		{name: "country", kind: textCol, get: func(r Shipment) any { return r.Address.Country }},
		{name: "updated_at", kind: timeCol, get: func(r Shipment) any { return r.UpdatedAt }},
	},
}

var returnSpec = upsertSpec[Return]{
	table:    func(t tenantTables) string { return t.returns },
	name:     "returns",
	id:       func(r Return) string { return r.ExternalID },
	subject:  func(r Return) string { return r.BuyerPseudonym },
	suppress: true,
	columns: []column[Return]{
		{name: "order_external_id", kind: textCol, get: func(r Return) any { return r.OrderExternalID }},
		{name: "status", kind: textCol, get: func(r Return) any { return r.Status }},
		{name: "return_type", kind: textCol, get: func(r Return) any { return r.Type }},
		{name: "reason", kind: textCol, get: func(r Return) any { return r.Reason }},
		{name: "refund_amount", kind: numericCol, get: func(r Return) any { return r.RefundAmount }},
		{name: "currency", kind: textCol, get: func(r Return) any { return r.Currency }},
		{name: "buyer_pseudonym", kind: textCol, get: func(r Return) any { return r.BuyerPseudonym }},
		{name: "buyer_name", kind: textCol, get: func(r Return) any { return r.BuyerName }},
		{name: "buyer_email", kind: textCol, get: func(r Return) any { return r.BuyerEmail }},
		{name: "updated_at", kind: timeCol, get: func(r Return) any { return r.UpdatedAt }},
	},
}

// UpsertProducts writes an integration's products and returns how many rows were inserted or changed; records
// identical to the stored ones are not rewritten, so re-running a sync reports 0.
func (s *Store) UpsertProducts(ctx context.Context, tenant, integration string, rows []Product) (int, error) {
	return upsert(ctx, s, tenant, integration, productSpec, rows)
}

// UpsertOrders writes an integration's orders and returns how many rows were inserted or changed. On an order
// whose buyer was erased, the erased columns stay empty.
func (s *Store) UpsertOrders(ctx context.Context, tenant, integration string, rows []Order) (int, error) {
	return upsert(ctx, s, tenant, integration, orderSpec, rows)
}

// UpsertShipments writes an integration's shipments and returns how many rows were inserted or changed.
// Shipments that erasure deleted are skipped.
func (s *Store) UpsertShipments(ctx context.Context, tenant, integration string, rows []Shipment) (int, error) {
	return upsert(ctx, s, tenant, integration, shipmentSpec, rows)
}

// UpsertReturns writes an integration's returns and returns how many rows were inserted or changed. Returns
// that erasure deleted are skipped.
func (s *Store) UpsertReturns(ctx context.Context, tenant, integration string, rows []Return) (int, error) {
	return upsert(ctx, s, tenant, integration, returnSpec, rows)
}
