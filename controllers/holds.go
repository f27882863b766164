package controllers

import (
	"slices"
	"strings"
	"time"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

// heldCategories returns the categories under an active legal hold at now, in the fixed category order. A
// hold without categories holds them all; a hold whose `until` has passed no longer counts, without anyone
// editing it.
func heldCategories(t *workspacesv1alpha1.Tenant, now time.Time) []workspacesv1alpha1.DataCategory {
	held := map[workspacesv1alpha1.DataCategory]bool{}
	for _, h := range t.Spec.LegalHolds {
		if h.Until != nil && !now.Before(h.Until.Time) {
			continue
		}
		cats := h.Categories
		if len(cats) == 0 {
			cats = workspacesv1alpha1.AllCategories
		}
		for _, c := range cats {
			held[c] = true
		}
	}
	var out []workspacesv1alpha1.DataCategory
	for _, c := range workspacesv1alpha1.AllCategories {
		if held[c] {
			out = append(out, c)
		}
	}
	return out
}

// nextHoldExpiry is when the next active hold expires, or zero when none will.
func nextHoldExpiry(t *workspacesv1alpha1.Tenant, now time.Time) time.Time {
	var next time.Time
	for _, h := range t.Spec.LegalHolds {
		if h.Until != nil && now.Before(h.Until.Time) && (next.IsZero() || h.Until.Time.Before(next)) {
			next = h.Until.Time
		}
	}
	return next
}

// categoryList renders categories as a flag value.
func categoryList(cats []workspacesv1alpha1.DataCategory) string {
	s := make([]string, len(cats))
	for i, c := range cats {
		s[i] = string(c)
	}
	return strings.Join(s, ",")
}

// targeted returns the categories a request's scope names, all when it names none.
func targeted(scope *workspacesv1alpha1.RequestScope) []workspacesv1alpha1.DataCategory {
	if scope == nil || len(scope.Categories) == 0 {
		return workspacesv1alpha1.AllCategories
	}
	var out []workspacesv1alpha1.DataCategory
	for _, c := range workspacesv1alpha1.AllCategories {
		if slices.Contains(scope.Categories, c) {
			out = append(out, c)
		}
	}
	return out
}
