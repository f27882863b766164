package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

const (
	testAppKey    = "test-app-key"
	testAppSecret = "test-app-secret-do-not-log"
)

// now is the receiver's clock in the tests; events are stamped relative to it.
var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// sign computes TikTok Shop's webhook signature independently of the code under test:
// hex(HMAC-SHA256(key = app secret, message = app key + body)).
func sign(secret, key string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(key))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

func event(typ int, shop string, at time.Time) []byte {
	return fmt.Appendf(nil, `{"type":%d,"tts_notification_id":"n%d","shop_id":%q,"timestamp":%d,"data":{"message":"seller revoked authorization"}}`,
		typ, at.UnixNano(), shop, at.Unix())
}

func integration(ns, name string, p workspacesv1alpha1.Provider, account string, annotations map[string]string) *workspacesv1alpha1.Integration {
	return &workspacesv1alpha1.Integration{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: annotations},
		Spec: workspacesv1alpha1.IntegrationSpec{
			Provider: p,
			Account:  workspacesv1alpha1.AccountRef{ID: account},
		},
	}
}

// fixture is a receiver over a fake client holding Integrations of two tenants, with the account index
// registered as the manager's cache registers it.
type fixture struct {
	h       *TikTokShop
	stored  client.WithWatch // the fake API server's objects, read past the interceptors
	logs    *bytes.Buffer
	patches *atomic.Int32
}

func newFixture(t *testing.T, funcs interceptor.Funcs) *fixture {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := workspacesv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	patches := &atomic.Int32{}
	patch := funcs.Patch
	funcs.Patch = func(ctx context.Context, c client.WithWatch, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
		patches.Add(1)
		if patch != nil {
			return patch(ctx, c, obj, p, opts...)
		}
		return c.Patch(ctx, obj, p, opts...)
	}
	stored := fake.NewClientBuilder().WithScheme(scheme).
		WithIndex(&workspacesv1alpha1.Integration{}, AccountIndex, accountKeys).
		WithObjects(
			integration("tenant-acme", "tiktok-uk", workspacesv1alpha1.ProviderTikTokShop, "7494", nil),
			integration("tenant-beta", "tiktok-shared", workspacesv1alpha1.ProviderTikTokShop, "7494", nil),
			integration("tenant-acme", "aliexpress-same-id", workspacesv1alpha1.ProviderAliExpress, "7494", nil),
			integration("tenant-acme", "tiktok-other", workspacesv1alpha1.ProviderTikTokShop, "8000", nil),
			integration("tenant-acme", "tiktok-revoked", workspacesv1alpha1.ProviderTikTokShop, "9000",
				map[string]string{workspacesv1alpha1.RevokedAnnotation: "2026-02-01T00:00:00Z"}),
		).
		Build()
	c := interceptor.NewClient(stored, funcs)
	logs := &bytes.Buffer{}
	log := funcr.New(func(prefix, args string) { fmt.Fprintln(logs, prefix, args) }, funcr.Options{Verbosity: 1})
	h := NewTikTokShop(c, log, TikTokShopOptions{
		Credentials: AppCredentials{Key: testAppKey, Secret: testAppSecret},
		Now:         func() time.Time { return now },
	})
	return &fixture{h: h, stored: stored, logs: logs, patches: patches}
}

// deliver posts body with the given Authorization header (none when empty).
func (f *fixture) deliver(method string, body []byte, authorization, contentType string) *httptest.ResponseRecorder {
	r := httptest.NewRequestWithContext(context.Background(), method, TikTokShopPath, bytes.NewReader(body))
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

// revoked returns each Integration's RevokedAnnotation ("" when absent), by namespace/name.
func (f *fixture) revoked(t *testing.T) map[string]string {
	t.Helper()
	var list workspacesv1alpha1.IntegrationList
	if err := f.stored.List(context.Background(), &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, i := range list.Items {
		out[i.Namespace+"/"+i.Name] = i.Annotations[workspacesv1alpha1.RevokedAnnotation]
	}
	return out
}

func TestTikTokShopReceiverAnswersAndActs(t *testing.T) {
	deauth := event(6, "7494", now.Add(-30*time.Second))
	at := now.Add(-30 * time.Second).Format(time.RFC3339)
	untouched := map[string]string{
		"tenant-acme/tiktok-uk":          "",
		"tenant-beta/tiktok-shared":      "",
		"tenant-acme/aliexpress-same-id": "",
		"tenant-acme/tiktok-other":       "",
		"tenant-acme/tiktok-revoked":     "2026-02-01T00:00:00Z",
	}
	with := func(changes map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range untouched {
			out[k] = v
		}
		for k, v := range changes {
			out[k] = v
		}
		return out
	}
	oversized := append(append([]byte(`{"type":6,"shop_id":"7494","timestamp":`), fmt.Appendf(nil, "%d", now.Unix())...),
		append([]byte(`,"data":{"pad":"`), append(bytes.Repeat([]byte("x"), MaxBodyBytes), []byte(`"}}`)...)...)...)

	tests := []struct {
		name          string
		method        string
		body          []byte
		authorization string // "sign" signs body with the app's key and secret
		contentType   string
		funcs         interceptor.Funcs
		wantCode      int
		wantRevoked   map[string]string
		wantPatches   int32
	}{
		{
			name: "a signed deauthorization marks every TikTok Shop Integration of the shop, in every tenant",
			body: deauth, authorization: "sign", contentType: "application/json",
			wantCode:    http.StatusOK,
			wantRevoked: with(map[string]string{"tenant-acme/tiktok-uk": at, "tenant-beta/tiktok-shared": at}),
			wantPatches: 2,
		},
		{
			name: "a charset parameter is still JSON",
			body: deauth, authorization: "sign", contentType: "application/json; charset=utf-8",
			wantCode:    http.StatusOK,
			wantRevoked: with(map[string]string{"tenant-acme/tiktok-uk": at, "tenant-beta/tiktok-shared": at}),
			wantPatches: 2,
		},
		{
			name: "an Integration already marked revoked keeps its first revocation time",
			body: event(6, "9000", now), authorization: "sign",
			wantCode: http.StatusOK, wantRevoked: untouched,
		},
		{
			name: "an unknown shop is a plain 200 that touches nothing",
			body: event(6, "1111", now), authorization: "sign",
			wantCode: http.StatusOK, wantRevoked: untouched,
		},
		{
			name: "another event type is acknowledged and ignored",
			body: event(1, "7494", now), authorization: "sign",
			wantCode: http.StatusOK, wantRevoked: untouched,
		},
		{
			name: "a missing signature is 401 and changes nothing",
			body: deauth, authorization: "",
			wantCode: http.StatusUnauthorized, wantRevoked: untouched,
		},
		{
			name: "a signature with another secret is 401 and changes nothing",
			body: deauth, authorization: sign("guessed-secret", testAppKey, deauth),
			wantCode: http.StatusUnauthorized, wantRevoked: untouched,
		},
		{
			name: "a signature of another body (the shop ID swapped) is 401 and changes nothing",
			body: deauth, authorization: sign(testAppSecret, testAppKey, event(6, "8000", now.Add(-30*time.Second))),
			wantCode: http.StatusUnauthorized, wantRevoked: untouched,
		},
		{
			name: "malformed JSON is checked only after the signature: unsigned, 401",
			body: []byte(`{"type":6,`), authorization: "",
			wantCode: http.StatusUnauthorized, wantRevoked: untouched,
		},
		{
			name: "signed malformed JSON is 400",
			body: []byte(`{"type":6,`), authorization: "sign",
			wantCode: http.StatusBadRequest, wantRevoked: untouched,
		},
		{
			name: "a signed event without a type is 400",
			body: []byte(`{"shop_id":"7494","timestamp":1772366370}`), authorization: "sign",
			wantCode: http.StatusBadRequest, wantRevoked: untouched,
		},
		{
			name: "a signed deauthorization without a shop is 400",
			body: event(6, "", now), authorization: "sign",
			wantCode: http.StatusBadRequest, wantRevoked: untouched,
		},
		{
			name: "a signed body declared as something else than JSON is 415",
			body: deauth, authorization: "sign", contentType: "application/x-www-form-urlencoded",
			wantCode: http.StatusUnsupportedMediaType, wantRevoked: untouched,
		},
		{
			name: "a stale timestamp is 400 and changes nothing",
			body: event(6, "7494", now.Add(-DefaultMaxEventAge-time.Second)), authorization: "sign",
			wantCode: http.StatusBadRequest, wantRevoked: untouched,
		},
		{
			name: "a timestamp too far in the future is 400 and changes nothing",
			body: event(6, "7494", now.Add(DefaultMaxEventAge+time.Second)), authorization: "sign",
			wantCode: http.StatusBadRequest, wantRevoked: untouched,
		},
		{
			name: "a signed event without a timestamp is 400",
			body: []byte(`{"type":6,"shop_id":"7494"}`), authorization: "sign",
			wantCode: http.StatusBadRequest, wantRevoked: untouched,
		},
		{
			name: "a body over the cap is 413, signed or not",
			body: oversized, authorization: "sign",
			wantCode: http.StatusRequestEntityTooLarge, wantRevoked: untouched,
		},
		{
			name:   "another method is 405",
			method: http.MethodGet, body: nil,
			wantCode: http.StatusMethodNotAllowed, wantRevoked: untouched,
		},
		{
			name: "an API server error while patching is 503, so that the platform retries",
			body: deauth, authorization: "sign",
			funcs: interceptor.Funcs{Patch: func(context.Context, client.WithWatch, client.Object, client.Patch, ...client.PatchOption) error {
				return errors.New("etcdserver: request timed out")
			}},
			wantCode: http.StatusServiceUnavailable, wantRevoked: untouched, wantPatches: 2,
		},
		{
			name: "an error reading Integrations is 503",
			body: deauth, authorization: "sign",
			funcs: interceptor.Funcs{List: func(context.Context, client.WithWatch, client.ObjectList, ...client.ListOption) error {
				return errors.New("cache not started")
			}},
			wantCode: http.StatusServiceUnavailable, wantRevoked: untouched,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.funcs)
			auth := tt.authorization
			if auth == "sign" {
				auth = sign(testAppSecret, testAppKey, tt.body)
			}
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			w := f.deliver(method, tt.body, auth, tt.contentType)
			if w.Code != tt.wantCode {
				t.Errorf("status = %d, want %d (body %q)", w.Code, tt.wantCode, w.Body.String())
			}
			if want := http.StatusText(tt.wantCode) + "\n"; w.Body.String() != want {
				t.Errorf("response body = %q, want only %q", w.Body.String(), want)
			}
			if got := f.revoked(t); !maps.Equal(got, tt.wantRevoked) {
				t.Errorf("revoked annotations = %v, want %v", got, tt.wantRevoked)
			}
			if got := f.patches.Load(); got != tt.wantPatches {
				t.Errorf("patches sent = %d, want %d", got, tt.wantPatches)
			}
			assertNothingSecretLogged(t, f.logs.String(), tt.body, auth)
		})
	}
}

// assertNothingSecretLogged fails when the log holds the app secret, the signature or any part of the body.
func assertNothingSecretLogged(t *testing.T, logs string, body []byte, signature string) {
	t.Helper()
	secrets := []string{testAppSecret, testAppKey}
	if signature != "" {
		secrets = append(secrets, signature)
	}
	if len(body) > 0 {
		secrets = append(secrets, `"message":"seller revoked authorization"`, "seller revoked authorization", string(body[:min(len(body), 20)]))
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the log holds %q:\n%s", s, logs)
		}
	}
	if strings.Contains(logs, "7494") {
		t.Errorf("the log holds the shop ID:\n%s", logs)
	}
}

func TestTikTokShopReplayIsAcknowledgedWithoutActingAgain(t *testing.T) {
	f := newFixture(t, interceptor.Funcs{})
	body := event(6, "7494", now.Add(-time.Minute))
	sig := sign(testAppSecret, testAppKey, body)
	if w := f.deliver(http.MethodPost, body, sig, "application/json"); w.Code != http.StatusOK {
		t.Fatalf("first delivery: status %d", w.Code)
	}
	// The seller authorized again and a person removed the mark: a replay of the old delivery must not put it back.
	unmark(t, f, "tenant-acme", "tiktok-uk")
	if w := f.deliver(http.MethodPost, body, strings.ToUpper(sig), "application/json"); w.Code != http.StatusOK {
		t.Fatalf("replay: status %d, want 200 so that the platform stops retrying", w.Code)
	}
	if got := f.revoked(t)["tenant-acme/tiktok-uk"]; got != "" {
		t.Errorf("the replay marked the Integration again (%s)", got)
	}
	if got := f.patches.Load(); got != 2 {
		t.Errorf("patches = %d, want the first delivery's 2 only", got)
	}
	// A new deauthorization (a new timestamp, so a new signature) is acted on.
	again := event(6, "7494", now)
	if w := f.deliver(http.MethodPost, again, sign(testAppSecret, testAppKey, again), "application/json"); w.Code != http.StatusOK {
		t.Fatalf("new delivery: status %d", w.Code)
	}
	if got, want := f.revoked(t)["tenant-acme/tiktok-uk"], now.Format(time.RFC3339); got != want {
		t.Errorf("after a new deauthorization the mark is %q, want %q", got, want)
	}
}

func TestTikTokShopDeliveryThatFailedIsActedOnWhenRetried(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	f := newFixture(t, interceptor.Funcs{Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
		if down.Load() {
			return errors.New("connection refused")
		}
		return c.Patch(ctx, obj, p, opts...)
	}})
	body := event(6, "7494", now)
	sig := sign(testAppSecret, testAppKey, body)
	if w := f.deliver(http.MethodPost, body, sig, "application/json"); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("with the API server down: status %d, want 503", w.Code)
	}
	down.Store(false)
	if w := f.deliver(http.MethodPost, body, sig, "application/json"); w.Code != http.StatusOK {
		t.Fatalf("retry: status %d, want 200", w.Code)
	}
	if got := f.revoked(t)["tenant-acme/tiktok-uk"]; got != now.Format(time.RFC3339) {
		t.Errorf("after the retry the mark is %q: the failed delivery was remembered as done", got)
	}
}

func unmark(t *testing.T, f *fixture, ns, name string) {
	t.Helper()
	i := &workspacesv1alpha1.Integration{}
	if err := f.stored.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, i); err != nil {
		t.Fatal(err)
	}
	delete(i.Annotations, workspacesv1alpha1.RevokedAnnotation)
	if err := f.stored.Update(context.Background(), i); err != nil {
		t.Fatal(err)
	}
}

func TestReplayCacheForgetsExpiredThenOldestWhenFull(t *testing.T) {
	c := newReplayCache(3)
	c.add("a", now.Add(time.Minute), now)
	c.add("b", now.Add(3*time.Minute), now)
	c.add("c", now.Add(2*time.Minute), now)
	if !c.seen("a", now) || c.seen("a", now.Add(time.Minute)) {
		t.Error("an entry is seen until it expires, and not after")
	}
	// Full: the expired "a" goes first.
	later := now.Add(90 * time.Second)
	c.add("d", later.Add(time.Minute), later)
	if c.seen("a", later) || !c.seen("b", later) || !c.seen("c", later) || !c.seen("d", later) {
		t.Errorf("after adding d: %v", c.expires)
	}
	// Full of live entries: the one expiring soonest ("c") goes.
	c.add("e", later.Add(5*time.Minute), later)
	if len(c.expires) != 3 || c.seen("c", later) || !c.seen("e", later) {
		t.Errorf("after adding e: %v", c.expires)
	}
}
