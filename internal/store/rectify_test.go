package store

import (
	"context"
	"errors"
	"testing"
)

func TestRectify(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()

	tests := []struct {
		name        string
		corrections map[string]string
		scope       Scope
		want        map[string]int64
		check       func(t *testing.T, tenant string)
	}{
		{
			name:        "name is corrected wherever the subject's name is held",
			corrections: map[string]string{FieldName: "Alice Corrected"},
			want:        map[string]int64{CategoryOrders: 3, CategoryShipping: 2, CategorySupport: 1},
			check: func(t *testing.T, tenant string) {
				if n := count(t, s, tenant, "orders", "buyer_name = 'Alice Corrected'"); n != 3 {
					t.Errorf("orders corrected = %d, want 3", n)
				}
				if got := text(t, s, tenant, "orders", "buyer_name", tiktok, "o3"); got != "Bob B" {
					t.Errorf("bob's name = %s", got)
				}
			},
		},
		{
			name:        "address fields correct order addresses and shipments, but add no address where none was held",
			corrections: map[string]string{FieldAddressLine1: " Neue Str. 5 ", FieldCity: "Hamburg"},
			want:        map[string]int64{CategoryShipping: 4},
			check: func(t *testing.T, tenant string) {
				if got := text(t, s, tenant, "orders", "ship_address_line1", tiktok, "o1"); got != "Neue Str. 5" {
					t.Errorf("order address = %q", got)
				}
				if got := text(t, s, tenant, "orders", "ship_city", tiktok, "o2"); got != "<null>" {
					t.Errorf("order without address got city %q", got)
				}
				if n := count(t, s, tenant, "shipments", "city = 'Hamburg'"); n != 2 {
					t.Errorf("shipments corrected = %d, want 2", n)
				}
			},
		},
		{
			name:        "a correction equal to the held value is no change",
			corrections: map[string]string{FieldEmail: "alice@example.com"},
			want:        map[string]int64{},
			check:       func(t *testing.T, tenant string) {},
		},
		{
			name:        "scope limits the correction",
			corrections: map[string]string{FieldEmail: "alice@new.example"},
			scope:       Scope{Integrations: []string{tiktok}, Categories: []string{CategorySupport}},
			want:        map[string]int64{CategorySupport: 1},
			check: func(t *testing.T, tenant string) {
				if got := text(t, s, tenant, "orders", "buyer_email", tiktok, "o1"); got != "alice@example.com" {
					t.Errorf("out-of-scope order email = %s", got)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tenant := newTenant(t, s)
			seed(t, s, tenant)
			got, err := s.Rectify(ctx, tenant, []string{alice}, tt.corrections, tt.scope)
			if err != nil {
				t.Fatal(err)
			}
			sameMap(t, "corrected", got.Categories, tt.want)
			var sum int64
			for _, n := range tt.want {
				sum += n
			}
			if got.Corrected != sum {
				t.Errorf("Corrected = %d, want %d", got.Corrected, sum)
			}
			tt.check(t, tenant)
			again, err := s.Rectify(ctx, tenant, []string{alice}, tt.corrections, tt.scope)
			if err != nil || again.Corrected != 0 || len(again.Categories) != 0 {
				t.Errorf("second run = %+v, %v; want no change", again, err)
			}
		})
	}

	t.Run("erased data is not brought back by a correction", func(t *testing.T) {
		tenant := newTenant(t, s)
		seed(t, s, tenant)
		if _, err := s.Erase(ctx, tenant, []string{alice}, Scope{Categories: []string{CategoryOrders}}, nil); err != nil {
			t.Fatal(err)
		}
		got, err := s.Rectify(ctx, tenant, []string{alice}, map[string]string{FieldName: "Alice"}, Scope{Categories: []string{CategoryOrders}})
		if err != nil || got.Corrected != 0 {
			t.Errorf("Rectify = %+v, %v; want nothing corrected", got, err)
		}
	})

	rejected := []struct {
		name        string
		corrections map[string]string
		wantIs      error
	}{
		{"an unknown field", map[string]string{FieldName: "A", "iban": "DE00"}, ErrUnknownField},
		{"an empty value", map[string]string{FieldPhone: "  "}, nil},
		{"no corrections", map[string]string{}, nil},
	}
	for _, tt := range rejected {
		t.Run("rejects "+tt.name+" before writing anything", func(t *testing.T) {
			tenant := newTenant(t, s)
			seed(t, s, tenant)
			_, err := s.Rectify(ctx, tenant, []string{alice}, tt.corrections, Scope{})
			if err == nil {
				t.Fatal("Rectify succeeded")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error = %v, want %v", err, tt.wantIs)
			}
			if n := count(t, s, tenant, "orders", "buyer_name = 'A'"); n != 0 {
				t.Errorf("a rejected call changed %d orders", n)
			}
		})
	}
}
