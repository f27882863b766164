package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/alitok/workspace-operator/internal/contract"

	"github.com/alitok/workspace-operator/internal/store"
)

// The data-subject tasks: erase, export and rectify. Each finds the subject by the pseudonyms of the identifiers
// in --subject-dir, within the scope of --integrations and --categories (empty: everything).

// validateSubject checks what flag parsing cannot: the names of the tenant and the integrations in scope.
func validateSubject(in *contract.Subject) error {
	if err := checkTenant(in.Tenant); err != nil {
		return err
	}
	for _, name := range in.Integrations {
		if err := checkIntegration("integrations", name); err != nil {
			return err
		}
	}
	return nil
}

func scopeOf(in *contract.Subject) store.Scope {
	return store.Scope{Integrations: in.Integrations, Categories: categories(in.Categories)}
}

// openSubject validates the flags, computes the subject's pseudonyms and connects to the database.
func (r *runner) openSubject(ctx context.Context, in *contract.Subject) (*store.Store, []string, error) {
	r.res.Tenant = in.Tenant
	if err := validateSubject(in); err != nil {
		return nil, nil, err
	}
	key, err := r.readHMACKey(in.HMACKey.Path)
	if err != nil {
		return nil, nil, err
	}
	pseudonyms, err := r.readSubject(in.SubjectDir.Path, key)
	if err != nil {
		return nil, nil, err
	}
	st, err := r.openStore(ctx, in.Database.Path)
	if err != nil {
		return nil, nil, err
	}
	return st, pseudonyms, nil
}

// eraseCounts is erasure's report for one category.
type eraseCounts struct {
	Found      int64 `json:"found"`
	Erased     int64 `json:"erased,omitempty"`
	Anonymized int64 `json:"anonymized,omitempty"`
	Held       int64 `json:"held,omitempty"`
}

// runErase erases the subject's personal data, except in held categories, and reports what it found, erased,
// anonymized and kept for a hold.
func runErase(ctx context.Context, r *runner, in *contract.Erase) error {
	st, pseudonyms, err := r.openSubject(ctx, &in.Subject)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := st.Erase(ctx, in.Tenant, pseudonyms, scopeOf(&in.Subject), heldMap(in.Held))
	if err != nil && !noSchema(err) {
		return dbError("erase", err)
	}
	counts := map[string]eraseCounts{}
	totals := map[string]int64{"found": 0, "erased": 0, "anonymized": 0, "held": 0}
	for c, n := range res.Categories {
		counts[c] = eraseCounts{Found: n.Found, Erased: n.Erased, Anonymized: n.Anonymized, Held: n.Held}
		totals["found"] += n.Found
		totals["erased"] += n.Erased
		totals["anonymized"] += n.Anonymized
		totals["held"] += n.Held
	}
	r.res.Counts, r.res.Totals, r.res.Held = counts, totals, res.HeldCategories()
	return nil
}

// runRectify applies the corrections in the subject's corrections.json. Legal holds stop deletion, not
// correction, so --held-categories is accepted and checked but changes nothing.
func runRectify(ctx context.Context, r *runner, in *contract.Rectify) error {
	r.res.Tenant = in.Tenant
	if err := validateSubject(&in.Subject); err != nil {
		return err
	}
	corrections, err := r.readCorrections(in.SubjectDir.Path)
	if err != nil {
		return err
	}
	st, pseudonyms, err := r.openSubject(ctx, &in.Subject)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := st.Rectify(ctx, in.Tenant, pseudonyms, corrections, scopeOf(&in.Subject))
	if err != nil && !noSchema(err) {
		return dbError("rectify", err)
	}
	r.res.Counts, r.res.Totals = nonNil(res.Categories), map[string]int64{"corrected": res.Corrected}
	return nil
}

// runExport writes the subject's data to --output and/or the Secret --export-secret, and reports its size and
// SHA-256 for the receipt. Legal holds do not restrict access, so --held-categories changes nothing.
func runExport(ctx context.Context, r *runner, in *contract.Export) error {
	r.res.Tenant = in.Tenant
	if err := validateSubject(&in.Subject); err != nil {
		return err
	}
	maxBytes := in.MaxBytes
	switch {
	case maxBytes == 0:
		maxBytes = contract.DefaultExportMaxBytes
	case maxBytes < 0:
		return usageError("--max-bytes must be positive, got %d", maxBytes)
	}
	if in.Output == "" && in.ExportSecret == "" {
		return usageError("--output or --export-secret is required: the export must go somewhere")
	}
	var secretNS, secretName string
	if in.ExportSecret != "" {
		var err error
		if secretNS, secretName, err = parseSecretRef("export-secret", in.ExportSecret); err != nil {
			return err
		}
	}
	st, pseudonyms, err := r.openSubject(ctx, &in.Subject)
	if err != nil {
		return err
	}
	defer st.Close()
	doc, counts, err := st.Export(ctx, in.Tenant, pseudonyms, scopeOf(&in.Subject), maxBytes)
	if noSchema(err) {
		doc, counts, err = emptyExport(in.Tenant)
	}
	if err != nil {
		return dbError("export", err)
	}
	sum := sha256.Sum256(doc)
	total := int64(0)
	for _, n := range counts {
		total += int64(n)
	}
	r.res.Counts, r.res.Totals = counts, map[string]int64{"records": total}
	r.res.SHA256, r.res.Bytes = hex.EncodeToString(sum[:]), len(doc)

	if in.Output != "" {
		if err := writePrivateFile(in.Output, doc); err != nil {
			return fail(contract.ReasonExportOutput, fmt.Errorf("write the export to %s: %w", in.Output, err))
		}
	}
	if in.ExportSecret != "" {
		if err := r.writeExportSecret(ctx, secretNS, secretName, doc); err != nil {
			return err
		}
		r.res.ExportSecret = in.ExportSecret
	}
	return nil
}

// emptyExport is the export of a tenant with no schema: the subject has no data there.
func emptyExport(tenant string) ([]byte, map[string]int, error) {
	// Indented like the store's exports, so that an empty export looks like any other.
	doc, err := json.MarshalIndent(store.ExportDocument{Tenant: tenant}, "", "  ")
	return doc, map[string]int{}, err
}

// writePrivateFile writes data readable by the owner only, through a temporary file renamed into place, so that
// a reader never sees half an export and a failed run leaves the previous one intact.
func writePrivateFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// nonNil returns m, or an empty map for nil, so that "counts" is {} rather than absent.
func nonNil[V any](m map[string]V) map[string]V {
	if m == nil {
		return map[string]V{}
	}
	return m
}
