package worker

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/contract"
	"github.com/alitok/workspace-operator/internal/store"
)

// runSync copies one feature of one Integration into the tenant's schema. Records are written in batches as they
// arrive; a failure part-way leaves the batches written so far (each is whole, and the next run rewrites
// nothing for them) and does not advance the cursor, so the next run picks up the rest.
func runSync(ctx context.Context, r *runner, in *contract.Sync) error {
	r.res.Tenant, r.res.Integration, r.res.Provider, r.res.Feature = in.Tenant, in.Integration, string(in.Provider), string(in.Feature)
	since, err := validateSync(in)
	if err != nil {
		return err
	}

	creds, err := r.readCredentials(in.Credentials.Path)
	if err != nil {
		return err
	}
	if !creds.expiresAt.IsZero() {
		r.res.TokenExpiresAt = creds.expiresAt.Format(time.RFC3339)
	}
	key, err := r.readHMACKey(in.HMACKey.Path)
	if err != nil {
		return err
	}
	restricted := map[string]bool{}
	if in.RestrictionList.Path != "" {
		if restricted, err = r.readRestrictionList(in.RestrictionList.Path); err != nil {
			return err
		}
	}
	if in.Restrictions.Path != "" {
		more, err := r.readRestrictionDir(in.Restrictions.Path)
		if err != nil {
			return err
		}
		maps.Copy(restricted, more)
	}

	// The database comes before the platform: a sync that cannot store what it fetches should not spend the
	// platform's rate limit.
	st, err := r.openStore(ctx, in.Database.Path)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.EnsureSchema(ctx, in.Tenant); err != nil {
		return dbError("prepare the tenant's schema", err)
	}

	src, err := platforms[in.Provider].source(ctx, r, in, creds, key)
	if err != nil {
		return err
	}
	s := newSink(st, in.Tenant, in.Integration, restricted)
	until, err := src.sync(ctx, in.Feature, since, s)
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

// validateSync checks what flag parsing cannot: names, a registered platform, a known feature, the cursor.
func validateSync(in *contract.Sync) (since time.Time, err error) {
	if err := checkTenant(in.Tenant); err != nil {
		return since, err
	}
	if err := checkIntegration("integration", in.Integration); err != nil {
		return since, err
	}
	if err := checkProvider(in.Provider); err != nil {
		return since, err
	}
	if !slices.Contains(workspacesv1alpha1.Features, in.Feature) {
		return since, usageError("--feature %q is not one of products, orders, fulfillment, returns", in.Feature)
	}
	if in.Since != "" {
		if since, err = time.Parse(time.RFC3339, in.Since); err != nil {
			return since, usageError("--since %q is not an RFC 3339 time", in.Since)
		}
	}
	return since, nil
}

// source lists one platform's records of a feature and hands them to a sink.
type source interface {
	// sync delivers the feature's records updated from since on and returns the listing's upper bound, the
	// next run's since.
	sync(ctx context.Context, feature workspacesv1alpha1.FeatureName, since time.Time, s *sink) (until time.Time, err error)
}

// sourceFactory makes one platform's source from a sync's inputs, its credentials and the tenant's HMAC key.
type sourceFactory func(ctx context.Context, r *runner, in *contract.Sync, c credentials, key []byte) (source, error)

// platform is what the worker does with one platform: copy its records, and renew its access tokens.
type platform struct {
	source  sourceFactory
	refresh refreshFunc
}

// platforms are the platforms the worker knows, by the API's provider name. Each platform's file registers its
// own (after cert-manager's issuer factories): a provider without one is refused as a usage error, never handed
// to another platform's client.
var platforms = map[workspacesv1alpha1.Provider]platform{}

// registerPlatform registers a platform; registering one twice, or half of one, is a programming error.
func registerPlatform(p workspacesv1alpha1.Provider, pl platform) {
	if _, dup := platforms[p]; dup || pl.source == nil || pl.refresh == nil {
		panic("worker: platform registered twice or incomplete: " + string(p))
	}
	platforms[p] = pl
}

// registeredProviders lists the providers with a registered platform, sorted.
func registeredProviders() []string {
	var out []string
	for p := range platforms {
		out = append(out, string(p))
	}
	slices.Sort(out)
	return out
}

// checkProvider refuses a provider the worker has no client for.
func checkProvider(p workspacesv1alpha1.Provider) error {
	if _, ok := platforms[p]; !ok {
		return usageError("--provider %q has no registered client (registered: %s)", p, strings.Join(registeredProviders(), ", "))
	}
	return nil
}

// syncBatch is how many records are written per store call: each call is one transaction, so a failure costs at
// most one batch of work, and memory stays bounded however large the listing.
const syncBatch = 500

// sink buffers synced records per table, drops those of restricted buyers, and writes them in batches.
type sink struct {
	tenant, integration string
	restricted          map[string]bool
	counts              contract.SyncCounts

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
