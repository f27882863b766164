package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// The queries of Export. NULL columns are read as empty strings or nil times, which the JSON omits.

func exportOrders(ctx context.Context, tx pgx.Tx, t tenantTables, subjects []string, scope Scope, b *exportBudget) ([]ExportedOrder, error) {
	rows, err := tx.Query(ctx, `SELECT integration, external_id, coalesce(status, ''), coalesce(total_amount::text, ''),
			coalesce(currency, ''), placed_at, updated_at, coalesce(buyer_user_id, ''), coalesce(buyer_name, ''),
			coalesce(buyer_email, ''), coalesce(buyer_phone, '')
		FROM `+t.orders+` WHERE buyer_pseudonym = ANY($1) AND `+inIntegrations(2)+`
		ORDER BY integration, external_id`, subjects, scope.integrations())
	if err != nil {
		return nil, fmt.Errorf("store: export orders: %w", err)
	}
	var out []ExportedOrder
	var o ExportedOrder
	var placed, updated pgtype.Timestamptz
	_, err = pgx.ForEachRow(rows, []any{&o.Integration, &o.ExternalID, &o.Status, &o.TotalAmount, &o.Currency,
		&placed, &updated, &o.BuyerUserID, &o.BuyerName, &o.BuyerEmail, &o.BuyerPhone}, func() error {
		rec := o
		rec.PlacedAt, rec.UpdatedAt = timePtr(placed), timePtr(updated)
		out = append(out, rec)
		return b.spend(rec)
	})
	if err != nil {
		return nil, exportErr("orders", err)
	}
	return out, nil
}

func exportShipping(ctx context.Context, tx pgx.Tx, t tenantTables, subjects []string, scope Scope, b *exportBudget) ([]ExportedShipping, error) {
	// Shipments first, then the addresses on orders, each in a stable order so two exports of unchanged data are
	// byte-for-byte equal.
	rows, err := tx.Query(ctx, `
		SELECT 'shipment', integration, external_id, coalesce(order_external_id, ''), coalesce(status, ''),
			coalesce(carrier, ''), coalesce(tracking_number, ''), coalesce(recipient_name, ''),
			coalesce(recipient_phone, ''), coalesce(address_line1, ''), coalesce(address_line2, ''),
			coalesce(city, ''), coalesce(postal_code, ''), coalesce(region, ''), coalesce(country, ''), updated_at
		FROM `+t.shipments+` WHERE buyer_pseudonym = ANY($1) AND `+inIntegrations(2)+`
		UNION ALL
		SELECT 'order', integration, external_id, '', '', '', '', '', '', coalesce(ship_address_line1, ''), coalesce(ship_address_line2, ''),
			coalesce(ship_city, ''), coalesce(ship_postal_code, ''), coalesce(ship_region, ''),
			coalesce(ship_country, ''), updated_at
		FROM `+t.orders+` WHERE buyer_pseudonym = ANY($1) AND `+inIntegrations(2)+` AND `+hasAddress+`
		ORDER BY 1 DESC, 2, 3`, subjects, scope.integrations())
	if err != nil {
		return nil, fmt.Errorf("store: export shipping: %w", err)
	}
	var out []ExportedShipping
	var s ExportedShipping
	var updated pgtype.Timestamptz
	_, err = pgx.ForEachRow(rows, []any{&s.Source, &s.Integration, &s.ExternalID, &s.OrderExternalID, &s.Status,
		&s.Carrier, &s.TrackingNumber, &s.RecipientName, &s.RecipientPhone, &s.Address.Line1, &s.Address.Line2,
		&s.Address.City, &s.Address.PostalCode, &s.Address.Region, &s.Address.Country, &updated}, func() error {
		rec := s
		rec.UpdatedAt = timePtr(updated)
		out = append(out, rec)
		return b.spend(rec)
	})
	if err != nil {
		return nil, exportErr("shipping", err)
	}
	return out, nil
}

func exportReturns(ctx context.Context, tx pgx.Tx, t tenantTables, subjects []string, scope Scope, b *exportBudget) ([]ExportedReturn, error) {
	rows, err := tx.Query(ctx, `SELECT integration, external_id, coalesce(order_external_id, ''), coalesce(status, ''),
			coalesce(return_type, ''), coalesce(reason, ''), coalesce(refund_amount::text, ''), coalesce(currency, ''),
			coalesce(buyer_name, ''), coalesce(buyer_email, ''), updated_at
		FROM `+t.returns+` WHERE buyer_pseudonym = ANY($1) AND `+inIntegrations(2)+`
		ORDER BY integration, external_id`, subjects, scope.integrations())
	if err != nil {
		return nil, fmt.Errorf("store: export returns: %w", err)
	}
	var out []ExportedReturn
	var r ExportedReturn
	var updated pgtype.Timestamptz
	_, err = pgx.ForEachRow(rows, []any{&r.Integration, &r.ExternalID, &r.OrderExternalID, &r.Status, &r.Type,
		&r.Reason, &r.RefundAmount, &r.Currency, &r.BuyerName, &r.BuyerEmail, &updated}, func() error {
		rec := r
		rec.UpdatedAt = timePtr(updated)
		out = append(out, rec)
		return b.spend(rec)
	})
	if err != nil {
		return nil, exportErr("returns", err)
	}
	return out, nil
}

// timePtr turns a nullable timestamp into the pointer the JSON omits when absent. Each call allocates, so records
// never share a time.
func timePtr(ts pgtype.Timestamptz) *time.Time {
	if !ts.Valid {
		return nil
	}
	v := ts.Time.UTC()
	return &v
}

// exportErr passes ErrExportTooLarge through as it is and labels database errors with what was being read.
func exportErr(what string, err error) error {
	if errors.Is(err, ErrExportTooLarge) {
		return err
	}
	return fmt.Errorf("store: export %s: %w", what, err)
}
