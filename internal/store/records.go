package store

import "time"

// The records a sync writes. Amounts are decimal strings as the platforms send them, so no precision is lost to
// floating point; an empty string or a zero time means "not sent" and is stored as NULL. Fields documented as
// personal data are written as given and later rewritten only by erasure and rectification.

// Address is a postal address. Every field is personal data.
type Address struct {
	Line1      string
	Line2      string
	City       string
	PostalCode string
	Region     string
	Country    string
}

// Product is a listing (category products). It holds no personal data.
type Product struct {
	ExternalID  string
	Title       string
	Status      string
	SellerSKU   string
	PriceAmount string
	Currency    string
	Quantity    int
	// UpdatedAt is the platform's last-change time.
	UpdatedAt time.Time
}

// Order is a buyer's order (category orders; its ShippingAddress is category shipping).
type Order struct {
	ExternalID  string
	Status      string
	TotalAmount string
	Currency    string
	PlacedAt    time.Time
	UpdatedAt   time.Time
	// BuyerPseudonym is Pseudonymize of the buyer's identifier; empty when the platform sent no buyer.
	BuyerPseudonym string
	// BuyerUserID, BuyerName, BuyerEmail and BuyerPhone are personal data.
	BuyerUserID     string
	BuyerName       string
	BuyerEmail      string
	BuyerPhone      string
	ShippingAddress Address
}

// Shipment is a package on its way to a buyer (category shipping).
type Shipment struct {
	ExternalID      string
	OrderExternalID string
	Status          string
	Carrier         string
	TrackingNumber  string
	BuyerPseudonym  string
	// RecipientName, RecipientPhone and Address are personal data.
	RecipientName  string
	RecipientPhone string
	Address        Address
	UpdatedAt      time.Time
}

// Return is a return or refund request (category support).
type Return struct {
	ExternalID      string
	OrderExternalID string
	Status          string
	// Type is the platform's kind of request, such as REFUND or RETURN_AND_REFUND.
	Type           string
	Reason         string
	RefundAmount   string
	Currency       string
	BuyerPseudonym string
	// BuyerName and BuyerEmail are personal data.
	BuyerName  string
	BuyerEmail string
	UpdatedAt  time.Time
}
