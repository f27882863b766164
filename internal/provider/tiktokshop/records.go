package tiktokshop

import "time"

// The records below keep what a sync needs, not every field the API returns. Fields marked "Personal data" identify
// or locate a buyer; the storage layer pseudonymizes them.

// Money is an amount as the platform sends it: a decimal string, so no precision is lost to floating point.
type Money struct {
	Amount   string
	Currency string
}

// Shop is a shop the access token is authorized for.
type Shop struct {
	ID     string
	Name   string
	Region string
	// Cipher goes into Credentials.ShopCipher for shop-scoped calls.
	Cipher     string
	Code       string
	SellerType string
}

// Product is a listing with its SKUs.
type Product struct {
	ID        string
	Title     string
	Status    string
	CreatedAt time.Time
	UpdatedAt time.Time
	SKUs      []SKU
}

// SKU is one variant of a product.
type SKU struct {
	ID        string
	SellerSKU string
	Price     Money
	// Quantity is the stock summed over warehouses.
	Quantity int
}

// Order is a buyer's order.
type Order struct {
	ID        string
	Status    string
	CreatedAt time.Time
	UpdatedAt time.Time
	PaidAt    time.Time
	// BuyerUserID is the buyer's TikTok user ID. Personal data.
	BuyerUserID string
	// BuyerEmail is the buyer's (platform-relayed) email address. Personal data.
	BuyerEmail string
	// ShippingAddress is absent while the order is UNPAID or ON_HOLD. Personal data.
	ShippingAddress Address
	Total           Money
	LineItems       []LineItem
	PackageIDs      []string
	TrackingNumber  string
	// ShippingProvider is the carrier's name.
	ShippingProvider string
}

// Address is a shipping address. Every field is personal data.
type Address struct {
	Name        string
	Phone       string
	FullAddress string
	Line1       string
	Line2       string
	PostalCode  string
	RegionCode  string
}

// LineItem is one unit of one SKU in an order.
type LineItem struct {
	ID          string
	ProductID   string
	SKUID       string
	SellerSKU   string
	ProductName string
	SalePrice   Money
	PackageID   string
	Status      string
}

// Package is a shipment of order items: the fulfillment record.
type Package struct {
	ID                   string
	Status               string
	OrderIDs             []string
	LineItemIDs          []string
	TrackingNumber       string
	ShippingProviderID   string
	ShippingProviderName string
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

// Return is a return or refund request.
type Return struct {
	ID      string
	OrderID string
	Status  string
	// Type is REFUND, RETURN_AND_REFUND or REPLACEMENT.
	Type           string
	Reason         string
	Refund         Money
	TrackingNumber string
	LineItemIDs    []string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Wire shapes, as the 202309 API sends them.

type wireShop struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Region     string `json:"region"`
	Cipher     string `json:"cipher"`
	Code       string `json:"code"`
	SellerType string `json:"seller_type"`
}

func (w wireShop) record() Shop {
	return Shop(w)
}

type wireProduct struct {
	ID         string    `json:"id"`
	Title      string    `json:"title"`
	Status     string    `json:"status"`
	CreateTime unixTime  `json:"create_time"`
	UpdateTime unixTime  `json:"update_time"`
	SKUs       []wireSKU `json:"skus"`
}

type wireSKU struct {
	ID        string `json:"id"`
	SellerSKU string `json:"seller_sku"`
	Price     struct {
		Currency  string `json:"currency"`
		SalePrice string `json:"sale_price"`
	} `json:"price"`
	Inventory []struct {
		Quantity int `json:"quantity"`
	} `json:"inventory"`
}

func (w wireProduct) record() Product {
	p := Product{ID: w.ID, Title: w.Title, Status: w.Status, CreatedAt: w.CreateTime.Time(), UpdatedAt: w.UpdateTime.Time()}
	for _, s := range w.SKUs {
		sku := SKU{ID: s.ID, SellerSKU: s.SellerSKU, Price: Money{Amount: s.Price.SalePrice, Currency: s.Price.Currency}}
		for _, inv := range s.Inventory {
			sku.Quantity += inv.Quantity
		}
		p.SKUs = append(p.SKUs, sku)
	}
	return p
}

type wireOrder struct {
	ID               string   `json:"id"`
	Status           string   `json:"status"`
	CreateTime       unixTime `json:"create_time"`
	UpdateTime       unixTime `json:"update_time"`
	PaidTime         unixTime `json:"paid_time"`
	UserID           string   `json:"user_id"`
	BuyerEmail       string   `json:"buyer_email"`
	TrackingNumber   string   `json:"tracking_number"`
	ShippingProvider string   `json:"shipping_provider"`
	RecipientAddress struct {
		Name         string `json:"name"`
		PhoneNumber  string `json:"phone_number"`
		FullAddress  string `json:"full_address"`
		AddressLine1 string `json:"address_line1"`
		AddressLine2 string `json:"address_line2"`
		PostalCode   string `json:"postal_code"`
		RegionCode   string `json:"region_code"`
	} `json:"recipient_address"`
	Payment struct {
		Currency    string `json:"currency"`
		TotalAmount string `json:"total_amount"`
	} `json:"payment"`
	LineItems []struct {
		ID            string `json:"id"`
		ProductID     string `json:"product_id"`
		SKUID         string `json:"sku_id"`
		SellerSKU     string `json:"seller_sku"`
		ProductName   string `json:"product_name"`
		SalePrice     string `json:"sale_price"`
		Currency      string `json:"currency"`
		PackageID     string `json:"package_id"`
		DisplayStatus string `json:"display_status"`
	} `json:"line_items"`
	Packages []struct {
		ID string `json:"id"`
	} `json:"packages"`
}

func (w wireOrder) record() Order {
	a := w.RecipientAddress
	o := Order{
		ID: w.ID, Status: w.Status,
		CreatedAt: w.CreateTime.Time(), UpdatedAt: w.UpdateTime.Time(), PaidAt: w.PaidTime.Time(),
		BuyerUserID: w.UserID, BuyerEmail: w.BuyerEmail,
		ShippingAddress: Address{Name: a.Name, Phone: a.PhoneNumber, FullAddress: a.FullAddress,
			Line1: a.AddressLine1, Line2: a.AddressLine2, PostalCode: a.PostalCode, RegionCode: a.RegionCode},
		Total:          Money{Amount: w.Payment.TotalAmount, Currency: w.Payment.Currency},
		TrackingNumber: w.TrackingNumber, ShippingProvider: w.ShippingProvider,
	}
	for _, li := range w.LineItems {
		o.LineItems = append(o.LineItems, LineItem{ID: li.ID, ProductID: li.ProductID, SKUID: li.SKUID,
			SellerSKU: li.SellerSKU, ProductName: li.ProductName, SalePrice: Money{Amount: li.SalePrice, Currency: li.Currency},
			PackageID: li.PackageID, Status: li.DisplayStatus})
	}
	for _, p := range w.Packages {
		o.PackageIDs = append(o.PackageIDs, p.ID)
	}
	return o
}

type wirePackage struct {
	ID                   string   `json:"id"`
	Status               string   `json:"status"`
	OrderLineItemIDs     []string `json:"order_line_item_ids"`
	TrackingNumber       string   `json:"tracking_number"`
	ShippingProviderID   string   `json:"shipping_provider_id"`
	ShippingProviderName string   `json:"shipping_provider_name"`
	CreateTime           unixTime `json:"create_time"`
	UpdateTime           unixTime `json:"update_time"`
	Orders               []struct {
		ID string `json:"id"`
	} `json:"orders"`
}

func (w wirePackage) record() Package {
	p := Package{ID: w.ID, Status: w.Status, LineItemIDs: w.OrderLineItemIDs, TrackingNumber: w.TrackingNumber,
		ShippingProviderID: w.ShippingProviderID, ShippingProviderName: w.ShippingProviderName,
		CreatedAt: w.CreateTime.Time(), UpdatedAt: w.UpdateTime.Time()}
	for _, o := range w.Orders {
		p.OrderIDs = append(p.OrderIDs, o.ID)
	}
	return p
}

type wireReturn struct {
	ReturnID             string   `json:"return_id"`
	OrderID              string   `json:"order_id"`
	ReturnStatus         string   `json:"return_status"`
	ReturnType           string   `json:"return_type"`
	ReturnReason         string   `json:"return_reason"`
	ReturnTrackingNumber string   `json:"return_tracking_number"`
	CreateTime           unixTime `json:"create_time"`
	UpdateTime           unixTime `json:"update_time"`
	RefundAmount         struct {
		Currency    string `json:"currency"`
		RefundTotal string `json:"refund_total"`
	} `json:"refund_amount"`
	ReturnLineItems []struct {
		OrderLineItemID string `json:"order_line_item_id"`
	} `json:"return_line_items"`
}

func (w wireReturn) record() Return {
	r := Return{ID: w.ReturnID, OrderID: w.OrderID, Status: w.ReturnStatus, Type: w.ReturnType, Reason: w.ReturnReason,
		Refund:         Money{Amount: w.RefundAmount.RefundTotal, Currency: w.RefundAmount.Currency},
		TrackingNumber: w.ReturnTrackingNumber, CreatedAt: w.CreateTime.Time(), UpdatedAt: w.UpdateTime.Time()}
	for _, li := range w.ReturnLineItems {
		r.LineItemIDs = append(r.LineItemIDs, li.OrderLineItemID)
	}
	return r
}

// unixTime is a Unix time in seconds; zero or absent means unknown.
type unixTime flexInt

func (t *unixTime) UnmarshalJSON(b []byte) error { return (*flexInt)(t).UnmarshalJSON(b) }

// Time returns the UTC time, or the zero time when unknown.
func (t unixTime) Time() time.Time {
	if t <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(t), 0).UTC()
}
