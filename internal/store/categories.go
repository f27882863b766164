package store

import (
	"fmt"
	"slices"
	"sort"
)

// The data categories, as the operator's API spells them.
const (
	CategoryProducts       = "products"
	CategoryOrders         = "orders"
	CategoryShipping       = "shipping"
	CategorySupport        = "support"
	CategoryAccountProfile = "accountProfile"
	CategoryLogs           = "logs"
)

// AllCategories lists every category in the API's order.
var AllCategories = []string{
	CategoryProducts, CategoryOrders, CategoryShipping, CategorySupport, CategoryAccountProfile, CategoryLogs,
}

// Scope narrows a data-subject operation. Empty lists mean everything.
type Scope struct {
	Integrations []string
	Categories   []string
}

// includes reports whether the scope covers category.
func (s Scope) includes(category string) bool {
	return len(s.Categories) == 0 || slices.Contains(s.Categories, category)
}

// integrations returns the integration filter as a non-nil slice: SQL treats an empty array as "all", and a nil
// slice would be sent as NULL.
func (s Scope) integrations() []string {
	return append([]string{}, s.Integrations...)
}

func (s Scope) validate() error {
	if err := checkCategories("scope", s.Categories); err != nil {
		return err
	}
	for _, in := range s.Integrations {
		if in == "" {
			return fmt.Errorf("store: scope names an empty integration")
		}
	}
	return nil
}

// checkCategories rejects unknown category names so that a typo in a hold or a retention rule cannot silently
// protect (or expose) nothing.
func checkCategories(what string, categories []string) error {
	for _, c := range categories {
		if !slices.Contains(AllCategories, c) {
			return fmt.Errorf("store: %s names unknown data category %q (known: %v)", what, c, AllCategories)
		}
	}
	return nil
}

// heldSet validates a set of held categories and drops entries set to false.
func heldSet(held map[string]bool) (map[string]bool, error) {
	out := map[string]bool{}
	for c, on := range held {
		if err := checkCategories("legal hold", []string{c}); err != nil {
			return nil, err
		}
		if on {
			out[c] = true
		}
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
