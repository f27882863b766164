package worker

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/alitok/workspace-operator/internal/store"
)

// The features a sync copies, as the Integration API names them.
const (
	featureProducts    = "products"
	featureOrders      = "orders"
	featureFulfillment = "fulfillment"
	featureReturns     = "returns"
)

var features = []string{featureProducts, featureOrders, featureFulfillment, featureReturns}

// syncOptions are sync's flags.
type syncOptions struct {
	tenant, integration, provider, feature, accountID                     string
	credentialsDir, dsnFile, hmacKeyFile, restrictionList, restrictionDir string
	since, apiBaseURL                                                     string
}

// runSync copies one feature of one Integration into the tenant's schema. Records are written in batches as they
// arrive; a failure part-way leaves the batches written so far (each is whole, and the next run rewrites
// nothing for them) and does not advance the cursor, so the next run picks up the rest.
func runSync(ctx context.Context, r *runner, args []string) error {
	var o syncOptions
	fs := r.newFlags("sync")
	fs.StringVar(&o.tenant, "tenant", "", "the Tenant (required)")
	fs.StringVar(&o.integration, "integration", "", "the Integration (required)")
	fs.StringVar(&o.provider, "provider", "", "TikTokShop or AliExpress (required)")
	fs.StringVar(&o.feature, "feature", "", "products, orders, fulfillment or returns (required)")
	fs.StringVar(&o.accountID, "account-id", "", "the seller account (TikTok Shop: the shop ID, used to find the shop cipher when the credentials have none)")
	fs.StringVar(&o.credentialsDir, "credentials-dir", "", "directory of the credential files app_key, app_secret, access_token, [shop_cipher], [access_token_expire_at] (required)")
	fs.StringVar(&o.dsnFile, "database-dsn-file", "", "file holding the PostgreSQL DSN (required)")
	fs.StringVar(&o.hmacKeyFile, "hmac-key-file", "", "file holding the tenant's HMAC key, raw bytes (required)")
	fs.StringVar(&o.restrictionList, "restriction-list", "", "file holding a JSON array of pseudonyms whose records are not synced")
	fs.StringVar(&o.restrictionDir, "restriction-dir", "", "folder of such files, one per restriction (the mounted restriction-list ConfigMap)")
	fs.StringVar(&o.since, "since", "", "RFC 3339 cursor: sync records updated from then on (default: everything)")
	fs.StringVar(&o.apiBaseURL, "api-base-url", "", "the provider API's https://host (default: the provider's own)")
	if err := r.parse(fs, args); err != nil {
		return err
	}
	r.res.Tenant, r.res.Integration, r.res.Provider, r.res.Feature = o.tenant, o.integration, o.provider, o.feature
	since, err := o.validate()
	if err != nil {
		return err
	}

	creds, err := r.readCredentials(o.credentialsDir)
	if err != nil {
		return err
	}
	if !creds.expiresAt.IsZero() {
		r.res.TokenExpiresAt = creds.expiresAt.Format(time.RFC3339)
	}
	key, err := r.readHMACKey(o.hmacKeyFile)
	if err != nil {
		return err
	}
	restricted := map[string]bool{}
	if o.restrictionList != "" {
		if restricted, err = r.readRestrictionList(o.restrictionList); err != nil {
			return err
		}
	}
	if o.restrictionDir != "" {
		more, err := r.readRestrictionDir(o.restrictionDir)
		if err != nil {
			return err
		}
		maps.Copy(restricted, more)
	}

	// The database comes before the platform: a sync that cannot store what it fetches should not spend the
	// platform's rate limit.
	st, err := r.openStore(ctx, o.dsnFile)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.EnsureSchema(ctx, o.tenant); err != nil {
		return dbError("prepare the tenant's schema", err)
	}

	src, err := r.newSource(ctx, o, creds, key)
	if err != nil {
		return err
	}
	s := newSink(st, o.tenant, o.integration, restricted)
	until, err := src.sync(ctx, o.feature, since, s)
	if err == nil {
		err = s.flush(ctx)
	}
	r.res.Counts = s.counts
	if err != nil {
		return err
	}
	r.res.Cursor = until.UTC().Format(time.RFC3339)
	return nil
}

func (o syncOptions) validate() (since time.Time, err error) {
	if err := required(map[string]string{
		"tenant": o.tenant, "integration": o.integration, "provider": o.provider, "feature": o.feature,
		"credentials-dir": o.credentialsDir, "database-dsn-file": o.dsnFile, "hmac-key-file": o.hmacKeyFile,
	}); err != nil {
		return since, err
	}
	if err := checkTenant(o.tenant); err != nil {
		return since, err
	}
	if err := checkIntegration("integration", o.integration); err != nil {
		return since, err
	}
	if !slices.Contains(providers, o.provider) {
		return since, usageError("--provider %q is not one of TikTokShop, AliExpress", o.provider)
	}
	if !slices.Contains(features, o.feature) {
		return since, usageError("--feature %q is not one of products, orders, fulfillment, returns", o.feature)
	}
	if o.since != "" {
		if since, err = time.Parse(time.RFC3339, o.since); err != nil {
			return since, usageError("--since %q is not an RFC 3339 time", o.since)
		}
	}
	return since, nil
}

// source lists one provider's records of a feature and hands them to a sink.
type source interface {
	// sync delivers the feature's records updated from since on and returns the listing's upper bound, the
	// next run's since.
	sync(ctx context.Context, feature string, since time.Time, s *sink) (until time.Time, err error)
}

// newSource makes the provider's client.
func (r *runner) newSource(ctx context.Context, o syncOptions, c credentials, key []byte) (source, error) {
	if o.provider == providerTikTokShop {
		return r.newTikTokSource(ctx, o, c, key)
	}
	return r.newAliExpressSource(o, c, key)
}

// syncBatch is how many records are written per store call: each call is one transaction, so a failure costs at
// most one batch of work, and memory stays bounded however large the listing.
const syncBatch = 500

// sink buffers synced records per table, drops those of restricted buyers, and writes them in batches.
type sink struct {
	tenant, integration string
	restricted          map[string]bool
	counts              SyncCounts

	products  batch[store.Product]
	orders    batch[store.Order]
	shipments batch[store.Shipment]
	returns   batch[store.Return]
}

// batch is the pending records of one table and the store call that writes them.
type batch[R any] struct {
	rows  []R
	write func(ctx context.Context, tenant, integration string, rows []R) (int, error)
}

func newSink(st *store.Store, tenant, integration string, restricted map[string]bool) *sink {
	return &sink{
		tenant: tenant, integration: integration, restricted: restricted,
		products:  batch[store.Product]{write: st.UpsertProducts},
		orders:    batch[store.Order]{write: st.UpsertOrders},
		shipments: batch[store.Shipment]{write: st.UpsertShipments},
		returns:   batch[store.Return]{write: st.UpsertReturns},
	}
}

func (s *sink) product(ctx context.Context, p store.Product) error {
	return put(ctx, s, &s.products, p, "")
}

func (s *sink) order(ctx context.Context, o store.Order) error {
	return put(ctx, s, &s.orders, o, o.BuyerPseudonym)
}

func (s *sink) shipment(ctx context.Context, sh store.Shipment) error {
	return put(ctx, s, &s.shipments, sh, sh.BuyerPseudonym)
}

func (s *sink) ret(ctx context.Context, rt store.Return) error {
	return put(ctx, s, &s.returns, rt, rt.BuyerPseudonym)
}

// put counts a fetched record and queues it, unless its buyer is restricted.
func put[R any](ctx context.Context, s *sink, b *batch[R], rec R, buyer string) error {
	s.counts.Fetched++
	if buyer != "" && s.restricted[buyer] {
		s.counts.SkippedRestricted++
		return nil
	}
	b.rows = append(b.rows, rec)
	if len(b.rows) >= syncBatch {
		return flushBatch(ctx, s, b)
	}
	return nil
}

func flushBatch[R any](ctx context.Context, s *sink, b *batch[R]) error {
	if len(b.rows) == 0 {
		return nil
	}
	n, err := b.write(ctx, s.tenant, s.integration, b.rows)
	if err != nil {
		return dbError("write synced records", err)
	}
	s.counts.Written += n
	b.rows = b.rows[:0]
	return nil
}

// flush writes every pending record.
func (s *sink) flush(ctx context.Context) error {
	if err := flushBatch(ctx, s, &s.products); err != nil {
		return err
	}
	if err := flushBatch(ctx, s, &s.orders); err != nil {
		return err
	}
	if err := flushBatch(ctx, s, &s.shipments); err != nil {
		return err
	}
	return flushBatch(ctx, s, &s.returns)
}
