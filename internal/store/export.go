package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrExportTooLarge is returned by Export when the subject's data does not fit in maxBytes. Nothing partial is
// returned: an access request must be answered completely or not at all.
var ErrExportTooLarge = errors.New("store: export exceeds its size bound")

// ExportedAddress is a postal address in an export.
type ExportedAddress struct {
	Line1      string `json:"line1,omitempty"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city,omitempty"`
	PostalCode string `json:"postalCode,omitempty"`
	Region     string `json:"region,omitempty"`
	Country    string `json:"country,omitempty"`
}

// ExportedOrder is an order in an export (category orders). Its address appears under shipping.
type ExportedOrder struct {
	Integration string     `json:"integration"`
	ExternalID  string     `json:"externalId"`
	Status      string     `json:"status,omitempty"`
	TotalAmount string     `json:"totalAmount,omitempty"`
	Currency    string     `json:"currency,omitempty"`
	PlacedAt    *time.Time `json:"placedAt,omitempty"`
	UpdatedAt   *time.Time `json:"updatedAt,omitempty"`
	BuyerUserID string     `json:"buyerUserId,omitempty"`
	BuyerName   string     `json:"buyerName,omitempty"`
	BuyerEmail  string     `json:"buyerEmail,omitempty"`
	BuyerPhone  string     `json:"buyerPhone,omitempty"`
}

// ExportedShipping is a shipping record in an export: a shipment, or the shipping address of an order.
type ExportedShipping struct {
	// Source is "shipment" or "order".
	Source          string          `json:"source"`
	Integration     string          `json:"integration"`
	ExternalID      string          `json:"externalId"`
	OrderExternalID string          `json:"orderExternalId,omitempty"`
	Status          string          `json:"status,omitempty"`
	Carrier         string          `json:"carrier,omitempty"`
	TrackingNumber  string          `json:"trackingNumber,omitempty"`
	RecipientName   string          `json:"recipientName,omitempty"`
	RecipientPhone  string          `json:"recipientPhone,omitempty"`
	Address         ExportedAddress `json:"address"`
	UpdatedAt       *time.Time      `json:"updatedAt,omitempty"`
}

// ExportedReturn is a return or refund request in an export (category support).
type ExportedReturn struct {
	Integration     string     `json:"integration"`
	ExternalID      string     `json:"externalId"`
	OrderExternalID string     `json:"orderExternalId,omitempty"`
	Status          string     `json:"status,omitempty"`
	Type            string     `json:"type,omitempty"`
	Reason          string     `json:"reason,omitempty"`
	RefundAmount    string     `json:"refundAmount,omitempty"`
	Currency        string     `json:"currency,omitempty"`
	BuyerName       string     `json:"buyerName,omitempty"`
	BuyerEmail      string     `json:"buyerEmail,omitempty"`
	UpdatedAt       *time.Time `json:"updatedAt,omitempty"`
}

// ExportDocument is the document Export returns, one list per category; categories out of scope are omitted.
type ExportDocument struct {
	Tenant   string             `json:"tenant"`
	Orders   []ExportedOrder    `json:"orders,omitempty"`
	Shipping []ExportedShipping `json:"shipping,omitempty"`
	Support  []ExportedReturn   `json:"support,omitempty"`
}

// Export returns the subject's data within scope as JSON (an ExportDocument) and the number of records per
// category. It fails with ErrExportTooLarge when the document would exceed maxBytes. Legal holds do not restrict
// access, so Export takes none. Records are read in one transaction, so the document is one consistent picture.
func (s *Store) Export(ctx context.Context, tenant string, pseudonyms []string, scope Scope, maxBytes int) ([]byte, map[string]int, error) {
	if err := checkSubjects(pseudonyms); err != nil {
		return nil, nil, err
	}
	if err := scope.validate(); err != nil {
		return nil, nil, err
	}
	if maxBytes <= 0 {
		return nil, nil, fmt.Errorf("store: export: maxBytes must be positive, got %d", maxBytes)
	}
	doc := ExportDocument{Tenant: tenant}
	// One snapshot for the whole document: the writes of a concurrent sync land wholly before or after it.
	err := s.tenantTxWith(ctx, tenant, snapshotTx, func(tx pgx.Tx, t tenantTables) error {
		var err error
		b := &exportBudget{left: maxBytes}
		if scope.includes(CategoryOrders) {
			if doc.Orders, err = exportOrders(ctx, tx, t, pseudonyms, scope, b); err != nil {
				return err
			}
		}
		if scope.includes(CategoryShipping) {
			if doc.Shipping, err = exportShipping(ctx, tx, t, pseudonyms, scope, b); err != nil {
				return err
			}
		}
		if scope.includes(CategorySupport) {
			if doc.Support, err = exportReturns(ctx, tx, t, pseudonyms, scope, b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, nil, fmt.Errorf("store: export: encode: %w", err)
	}
	if len(out) > maxBytes {
		return nil, nil, fmt.Errorf("%w: %d bytes, bound %d", ErrExportTooLarge, len(out), maxBytes)
	}
	counts := map[string]int{}
	for c, n := range map[string]int{CategoryOrders: len(doc.Orders), CategoryShipping: len(doc.Shipping), CategorySupport: len(doc.Support)} {
		if n > 0 {
			counts[c] = n
		}
	}
	return out, counts, nil
}

// exportBudget stops reading once the records alone exceed the bound, so a subject with millions of records
// cannot make the worker hold them all in memory before failing.
type exportBudget struct{ left int }

func (b *exportBudget) spend(record any) error {
	enc, err := json.Marshal(record)
	if err != nil {
		return fmt.Errorf("store: export: encode: %w", err)
	}
	b.left -= len(enc)
	if b.left < 0 {
		return fmt.Errorf("%w: the records alone pass the bound", ErrExportTooLarge)
	}
	return nil
}
