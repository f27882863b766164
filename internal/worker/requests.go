package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/alitok/workspace-operator/internal/store"
)

// The data-subject tasks: erase, export and rectify. Each finds the subject by the pseudonyms of the identifiers
// in --subject-dir, within the scope of --integrations and --categories (empty: everything).

// subjectOptions are the flags the data-subject tasks share.
type subjectOptions struct {
	tenant, subjectDir, hmacKeyFile, dsnFile string
	held, integrations, categories           listFlag
}

func (o *subjectOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.tenant, "tenant", "", "the Tenant (required)")
	fs.StringVar(&o.subjectDir, "subject-dir", "", "directory of the subject's files: email, [buyer_ids] (<provider>:<id> per line), [corrections.json] (required)")
	fs.StringVar(&o.hmacKeyFile, "hmac-key-file", "", "file holding the tenant's HMAC key, raw bytes (required)")
	fs.StringVar(&o.dsnFile, "database-dsn-file", "", "file holding the PostgreSQL DSN (required)")
	fs.Var(&o.held, "held-categories", "comma-separated data categories under a legal hold")
	fs.Var(&o.integrations, "integrations", "comma-separated Integrations in scope (default: all)")
	fs.Var(&o.categories, "categories", "comma-separated data categories in scope (default: all)")
}

func (o subjectOptions) validate() error {
	if err := required(map[string]string{"tenant": o.tenant, "subject-dir": o.subjectDir,
		"hmac-key-file": o.hmacKeyFile, "database-dsn-file": o.dsnFile}); err != nil {
		return err
	}
	if err := checkTenant(o.tenant); err != nil {
		return err
	}
	for _, in := range o.integrations {
		if err := checkIntegration("integrations", in); err != nil {
			return err
		}
	}
	if err := checkCategories("held-categories", o.held); err != nil {
		return err
	}
	return checkCategories("categories", o.categories)
}

func (o subjectOptions) scope() store.Scope {
	return store.Scope{Integrations: o.integrations, Categories: o.categories}
}

// openSubject validates the flags, computes the subject's pseudonyms and connects to the database.
func (r *runner) openSubject(ctx context.Context, o subjectOptions) (*store.Store, []string, error) {
	r.res.Tenant = o.tenant
	if err := o.validate(); err != nil {
		return nil, nil, err
	}
	key, err := r.readHMACKey(o.hmacKeyFile)
	if err != nil {
		return nil, nil, err
	}
	pseudonyms, err := r.readSubject(o.subjectDir, key)
	if err != nil {
		return nil, nil, err
	}
	st, err := r.openStore(ctx, o.dsnFile)
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
func runErase(ctx context.Context, r *runner, args []string) error {
	var o subjectOptions
	fs := r.newFlags("erase")
	o.register(fs)
	if err := r.parse(fs, args); err != nil {
		return err
	}
	st, pseudonyms, err := r.openSubject(ctx, o)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := st.Erase(ctx, o.tenant, pseudonyms, o.scope(), heldMap(o.held))
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
func runRectify(ctx context.Context, r *runner, args []string) error {
	var o subjectOptions
	fs := r.newFlags("rectify")
	o.register(fs)
	if err := r.parse(fs, args); err != nil {
		return err
	}
	r.res.Tenant = o.tenant
	if err := o.validate(); err != nil {
		return err
	}
	corrections, err := r.readCorrections(o.subjectDir)
	if err != nil {
		return err
	}
	st, pseudonyms, err := r.openSubject(ctx, o)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := st.Rectify(ctx, o.tenant, pseudonyms, corrections, o.scope())
	if err != nil && !noSchema(err) {
		return dbError("rectify", err)
	}
	r.res.Counts, r.res.Totals = nonNil(res.Categories), map[string]int64{"corrected": res.Corrected}
	return nil
}

// exportOptions are export's flags besides the shared ones.
type exportOptions struct {
	subjectOptions
	maxBytes     int
	output       string
	exportSecret string
}

// DefaultExportMaxBytes bounds an export unless --max-bytes says otherwise.
const DefaultExportMaxBytes = 4 << 20

// runExport writes the subject's data to --output and/or the Secret --export-secret, and reports its size and
// SHA-256 for the receipt. Legal holds do not restrict access, so --held-categories changes nothing.
func runExport(ctx context.Context, r *runner, args []string) error {
	var o exportOptions
	fs := r.newFlags("export")
	o.register(fs)
	fs.IntVar(&o.maxBytes, "max-bytes", DefaultExportMaxBytes, "largest export accepted, in bytes")
	fs.StringVar(&o.output, "output", "", "file the export JSON is written to")
	fs.StringVar(&o.exportSecret, "export-secret", "", "NAMESPACE/NAME of an existing Secret whose key "+exportSecretKey+" receives the export")
	if err := r.parse(fs, args); err != nil {
		return err
	}
	r.res.Tenant = o.tenant
	if err := o.validate(); err != nil {
		return err
	}
	if o.maxBytes <= 0 {
		return usageError("--max-bytes must be positive, got %d", o.maxBytes)
	}
	if o.output == "" && o.exportSecret == "" {
		return usageError("--output or --export-secret is required: the export must go somewhere")
	}
	var secretNS, secretName string
	if o.exportSecret != "" {
		var err error
		if secretNS, secretName, err = parseSecretRef(o.exportSecret); err != nil {
			return err
		}
	}
	st, pseudonyms, err := r.openSubject(ctx, o.subjectOptions)
	if err != nil {
		return err
	}
	defer st.Close()
	doc, counts, err := st.Export(ctx, o.tenant, pseudonyms, o.scope(), o.maxBytes)
	if noSchema(err) {
		doc, counts, err = emptyExport(o.tenant)
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

	if o.output != "" {
		if err := writePrivateFile(o.output, doc); err != nil {
			return fail(ReasonExportOutput, fmt.Errorf("write the export to %s: %w", o.output, err))
		}
	}
	if o.exportSecret != "" {
		if err := r.writeExportSecret(ctx, secretNS, secretName, doc); err != nil {
			return err
		}
		r.res.ExportSecret = o.exportSecret
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
