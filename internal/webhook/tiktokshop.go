package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/provider/tiktokshop"
)

const (
	// TikTokShopPath is where the receiver takes TikTok Shop's webhooks; register https://<host>/webhooks/tiktokshop
	// in the Partner Center.
	TikTokShopPath = "/webhooks/tiktokshop"
	// MaxBodyBytes bounds a webhook body. TikTok Shop's notifications are a few hundred bytes.
	MaxBodyBytes = 64 << 10
	// DefaultMaxEventAge is how far an event's timestamp may be from the receiver's clock, either way.
	DefaultMaxEventAge = 5 * time.Minute
	// FieldOwner is the field manager of the receiver's patches.
	FieldOwner = "workspace-operator-webhook"

	// apiTimeout bounds the API server work of one request, so the platform gets an answer (503: retry) before it
	// gives up on the delivery.
	apiTimeout = 5 * time.Second
	// maxRemembered bounds the replay cache.
	maxRemembered = 4096
)

// outcome is what became of a request; it names the metric label and the log line.
type outcome string

const (
	outcomeRevoked         outcome = "revoked"
	outcomeAlreadyRevoked  outcome = "already_revoked"
	outcomeUnknownShop     outcome = "unknown_shop"
	outcomeIgnored         outcome = "ignored"
	outcomeReplay          outcome = "replay"
	outcomeUnauthorized    outcome = "unauthorized"
	outcomeStale           outcome = "stale"
	outcomeMalformed       outcome = "malformed"
	outcomeUnsupportedType outcome = "unsupported_media_type"
	outcomeTooLarge        outcome = "too_large"
	outcomeWrongMethod     outcome = "method_not_allowed"
	outcomeUnavailable     outcome = "unavailable"
)

// TikTokShop receives TikTok Shop's webhooks. A verified seller deauthorization marks every Integration of the
// shop with RevokedAnnotation; other event types are acknowledged and ignored.
//
// Answers: 200 whenever the platform must not send the notification again (acted on, already acted on, an unknown
// shop, a type it ignores); 401 for a bad or missing signature; 400 for a verified body it cannot use (not JSON,
// no type or shop, a timestamp outside MaxEventAge); 413, 415, 405 for the wrong size, media type or method; 503
// when the API server failed it, so that the platform retries.
type TikTokShop struct {
	client      client.Client
	log         logr.Logger
	creds       AppCredentials
	maxEventAge time.Duration
	now         func() time.Time
	seen        *replayCache
}

// TikTokShopOptions configure a TikTokShop receiver.
type TikTokShopOptions struct {
	// Credentials are the app's key and secret, which sign every webhook.
	Credentials AppCredentials
	// MaxEventAge is how far an event's timestamp may be from now, either way; zero is DefaultMaxEventAge.
	MaxEventAge time.Duration
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// NewTikTokShop returns the receiver. c must list Integrations through AccountIndex (IndexIntegrationsByAccount)
// and may patch them.
func NewTikTokShop(c client.Client, log logr.Logger, opts TikTokShopOptions) *TikTokShop {
	h := &TikTokShop{client: c, log: log, creds: opts.Credentials, maxEventAge: opts.MaxEventAge, now: opts.Now,
		seen: newReplayCache(maxRemembered)}
	if h.maxEventAge <= 0 {
		h.maxEventAge = DefaultMaxEventAge
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h
}

// ServeHTTP answers one delivery. The body says no more than the status: a caller learns nothing about which
// shops are connected.
func (h *TikTokShop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	code, out := h.serve(w, r)
	requests.WithLabelValues("tiktokshop", string(out)).Inc()
	if code == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(http.StatusText(code) + "\n"))
}

// serve checks and acts on a delivery in the order that keeps an unauthenticated caller from costing more than
// one bounded read and one HMAC: size, then signature, and only then parsing.
func (h *TikTokShop) serve(w http.ResponseWriter, r *http.Request) (int, outcome) {
	log := h.log.WithValues("remoteAddr", r.RemoteAddr)
	if r.Method != http.MethodPost {
		return http.StatusMethodNotAllowed, outcomeWrongMethod
	}
	if r.ContentLength > MaxBodyBytes {
		log.Info("refused a webhook: body too large", "contentLength", r.ContentLength)
		return http.StatusRequestEntityTooLarge, outcomeTooLarge
	}
	body, err := readBody(w, r)
	if errors.As(err, new(*http.MaxBytesError)) {
		log.Info("refused a webhook: body too large", "limit", MaxBodyBytes)
		return http.StatusRequestEntityTooLarge, outcomeTooLarge
	}
	if err != nil {
		log.Info("refused a webhook: body could not be read")
		return http.StatusBadRequest, outcomeMalformed
	}
	signature := r.Header.Get("Authorization")
	if tiktokshop.VerifyWebhook(h.creds.Key, h.creds.Secret, body, signature) != nil {
		log.Info("refused a webhook: bad or missing signature", "bytes", len(body))
		return http.StatusUnauthorized, outcomeUnauthorized
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		log.Info("refused a signed webhook: not declared as JSON")
		return http.StatusUnsupportedMediaType, outcomeUnsupportedType
	}
	// The parser's errors can quote the body: they are not logged.
	ev, err := tiktokshop.ParseWebhook(body)
	if err != nil {
		log.Info("refused a signed webhook: not a TikTok Shop event")
		return http.StatusBadRequest, outcomeMalformed
	}
	log = log.WithValues("eventType", ev.Type, "notificationID", ev.NotificationID)
	now := h.now()
	if ev.Timestamp.IsZero() {
		log.Info("refused a signed webhook: no timestamp")
		return http.StatusBadRequest, outcomeMalformed
	}
	if skew := now.Sub(ev.Timestamp); skew > h.maxEventAge || skew < -h.maxEventAge {
		log.Info("refused a signed webhook: its timestamp is outside the accepted window", "skew", skew.Round(time.Second).String(), "window", h.maxEventAge.String())
		return http.StatusBadRequest, outcomeStale
	}
	if !ev.IsDeauthorization() {
		log.V(1).Info("ignored a webhook of a type the receiver does not act on")
		return http.StatusOK, outcomeIgnored
	}
	if ev.ShopID == "" {
		log.Info("refused a signed seller deauthorization: no shop_id")
		return http.StatusBadRequest, outcomeMalformed
	}
	replayKey := strings.ToLower(strings.TrimSpace(signature))
	if h.seen.seen(replayKey, now) {
		log.Info("a seller deauthorization delivered again was already acted on")
		return http.StatusOK, outcomeReplay
	}
	code, out := h.revoke(r.Context(), log, ev)
	if code == http.StatusOK {
		h.seen.add(replayKey, ev.Timestamp.Add(h.maxEventAge), now)
	}
	return code, out
}

// revoke marks every TikTok Shop Integration of the event's shop as revoked at the event's time.
func (h *TikTokShop) revoke(ctx context.Context, log logr.Logger, ev tiktokshop.Event) (int, outcome) {
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	var list workspacesv1alpha1.IntegrationList
	if err := h.client.List(ctx, &list,
		client.MatchingFields{AccountIndex: AccountKey(workspacesv1alpha1.ProviderTikTokShop, ev.ShopID)}); err != nil {
		log.Error(err, "cannot look up the shop's Integrations; the platform will retry")
		return http.StatusServiceUnavailable, outcomeUnavailable
	}
	if len(list.Items) == 0 {
		// The shop ID stays out of the log: it identifies a seller, one this installation does not serve.
		log.Info("a seller deauthorization names a shop no Integration connects; nothing to do")
		return http.StatusOK, outcomeUnknownShop
	}
	revokedAt := ev.Timestamp.UTC().Format(time.RFC3339)
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{
		workspacesv1alpha1.RevokedAnnotation: revokedAt,
	}}})
	if err != nil {
		log.Error(err, "cannot build the revocation patch")
		return http.StatusServiceUnavailable, outcomeUnavailable
	}
	out, failed := outcomeAlreadyRevoked, false
	for i := range list.Items {
		intg := &list.Items[i]
		ilog := log.WithValues("integration", klog.KObj(intg))
		if at, ok := intg.Annotations[workspacesv1alpha1.RevokedAnnotation]; ok {
			ilog.Info("the Integration is already marked revoked", "revokedAt", at)
			continue
		}
		err := h.client.Patch(ctx, intg, client.RawPatch(types.MergePatchType, patch), client.FieldOwner(FieldOwner))
		switch {
		case apierrors.IsNotFound(err):
			ilog.Info("the Integration was deleted before it could be marked revoked")
		case err != nil:
			ilog.Error(err, "cannot mark the Integration revoked; the platform will retry")
			failed = true
		default:
			ilog.Info("marked the Integration revoked", "reason", "the seller deauthorized the app on TikTok Shop", "revokedAt", revokedAt)
			out = outcomeRevoked
		}
	}
	if failed {
		return http.StatusServiceUnavailable, outcomeUnavailable
	}
	return http.StatusOK, out
}

// readBody reads at most MaxBodyBytes; more is an *http.MaxBytesError.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	defer body.Close()
	return io.ReadAll(body)
}

// isJSON reports whether a Content-Type names JSON. An absent one is let through: the parser decides.
func isJSON(contentType string) bool {
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}
