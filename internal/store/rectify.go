package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The fields Rectify corrects, as a Rectification request's Secret names them.
const (
	FieldName         = "name"
	FieldEmail        = "email"
	FieldPhone        = "phone"
	FieldAddressLine1 = "addressLine1"
	FieldAddressLine2 = "addressLine2"
	FieldCity         = "city"
	FieldPostalCode   = "postalCode"
	FieldRegion       = "region"
	FieldCountry      = "country"
)

// RectifiableFields lists every field Rectify accepts.
var RectifiableFields = []string{
	FieldName, FieldEmail, FieldPhone, FieldAddressLine1, FieldAddressLine2, FieldCity, FieldPostalCode, FieldRegion,
	FieldCountry,
}

// ErrUnknownField is returned by Rectify for a correction of a field it does not know.
var ErrUnknownField = errors.New("store: rectify: unknown field")

// RectifyResult is what Rectify changed.
type RectifyResult struct {
	// Corrected is the number of records changed, summed over Categories.
	Corrected int64
	// Categories counts changed records by category; categories with none are absent.
	Categories map[string]int64
}

// rectifyTarget is a group of columns of one table that belongs to one category.
type rectifyTarget struct {
	category string
	table    func(tenantTables) string
	columns  map[string]string // field -> column
}

// addressColumns maps the address fields to columns named prefix + their snake-case name.
func addressColumns(prefix string) map[string]string {
	return map[string]string{
		FieldAddressLine1: prefix + "address_line1", FieldAddressLine2: prefix + "address_line2",
		FieldCity: prefix + "city", FieldPostalCode: prefix + "postal_code", FieldRegion: prefix + "region",
		FieldCountry: prefix + "country",
	}
}

var rectifyTargets = []rectifyTarget{
	{CategoryOrders, func(t tenantTables) string { return t.orders },
		map[string]string{FieldName: "buyer_name", FieldEmail: "buyer_email", FieldPhone: "buyer_phone"}},
	{CategoryShipping, func(t tenantTables) string { return t.orders }, addressColumns("ship_")},
	{CategoryShipping, func(t tenantTables) string { return t.shipments },
		mergeMaps(map[string]string{FieldName: "recipient_name", FieldPhone: "recipient_phone"}, addressColumns(""))},
	{CategorySupport, func(t tenantTables) string { return t.returns },
		map[string]string{FieldName: "buyer_name", FieldEmail: "buyer_email"}},
}

func mergeMaps(a, b map[string]string) map[string]string {
	for k, v := range b {
		a[k] = v
	}
	return a
}

// Rectify applies corrections (field -> corrected value) to the subject's records within scope and reports how
// many records changed. It corrects only values the store holds: a field a record never had stays empty, because
// adding data to a record is not correcting it. Running it again changes nothing and reports zero. Unknown or empty
// fields are rejected before anything is written. Legal holds stop deletion, not correction, so Rectify takes none.
// A corrected email does not change the pseudonym: the caller that keys subjects by email must re-key them.
func (s *Store) Rectify(ctx context.Context, tenant string, pseudonyms []string, corrections map[string]string, scope Scope) (RectifyResult, error) {
	res := RectifyResult{Categories: map[string]int64{}}
	if err := checkSubjects(pseudonyms); err != nil {
		return res, err
	}
	if err := scope.validate(); err != nil {
		return res, err
	}
	if len(corrections) == 0 {
		return res, errors.New("store: rectify: no corrections given")
	}
	for _, f := range sortedKeys(corrections) {
		if !slices.Contains(RectifiableFields, f) {
			return res, fmt.Errorf("%w %q (allowed: %s)", ErrUnknownField, f, strings.Join(RectifiableFields, ", "))
		}
		if strings.TrimSpace(corrections[f]) == "" {
			return res, fmt.Errorf("store: rectify: the correction of %q is empty; use erasure to remove data", f)
		}
	}
	err := s.tenantTx(ctx, tenant, func(tx pgx.Tx, t tenantTables) error {
		for _, target := range rectifyTargets {
			if !scope.includes(target.category) {
				continue
			}
			n, err := rectifyOne(ctx, tx, t, target, pseudonyms, corrections, scope)
			if err != nil {
				return err
			}
			if n > 0 {
				res.Categories[target.category] += n
				res.Corrected += n
			}
		}
		return nil
	})
	if err != nil {
		return RectifyResult{Categories: map[string]int64{}}, err
	}
	return res, nil
}

// rectifyOne updates one column group, touching only rows where a held value differs from its correction.
func rectifyOne(ctx context.Context, tx pgx.Tx, t tenantTables, target rectifyTarget, subjects []string, corrections map[string]string, scope Scope) (int64, error) {
	args := []any{subjects, scope.integrations()}
	var sets, differs []string
	for _, f := range sortedKeys(target.columns) {
		v, ok := corrections[f]
		if !ok {
			continue
		}
		col := target.columns[f]
		args = append(args, strings.TrimSpace(v))
		p := len(args)
		sets = append(sets, fmt.Sprintf("%[1]s = CASE WHEN %[1]s IS NULL THEN NULL ELSE $%[2]d::text END", col, p))
		differs = append(differs, fmt.Sprintf("(%[1]s IS NOT NULL AND %[1]s IS DISTINCT FROM $%[2]d::text)", col, p))
	}
	if len(sets) == 0 {
		return 0, nil
	}
	tag, err := tx.Exec(ctx, fmt.Sprintf(`UPDATE %s SET %s WHERE buyer_pseudonym = ANY($1) AND %s AND (%s)`,
		target.table(t), strings.Join(sets, ", "), inIntegrations(2), strings.Join(differs, " OR ")), args...)
	if err != nil {
		return 0, fmt.Errorf("store: rectify %s: %w", target.category, err)
	}
	return tag.RowsAffected(), nil
}
