package tiktokshop

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/alitok/workspace-operator/internal/provider/httpretry"
	"github.com/alitok/workspace-operator/internal/provider/tiktokshop/tiktokshoptest"
)

// Test credentials. The fake platform is given the same ones.
const (
	testAppKey    = "6a1b2c3d4e"
	testAppSecret = "s3cr3t-app-secret"
	testToken     = "ROW_tok-abcdef123456"
	testCipher    = "ROW_cipher_XYZ"
	testRefresh   = "ROW_refresh-0987654321"
)

// testNow is the clock of every test client and of the fake platform.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// reply is one scripted response.
type reply struct {
	status int
	header map[string]string
	body   string
	// echo makes the platform repeat the request's query, token and the app secret in its error message, as a
	// careless platform might; errors must not pass them on.
	echo bool
}

// fakePlatform is the fake TikTok Shop of tiktokshoptest with the test credentials and clock. Requests that pass
// its checks of app key, token, timestamp, signature and shop cipher (or, for a refresh, of app key, secret and
// refresh token) get their answers from a script keyed by path and page token.
type fakePlatform struct {
	*tiktokshoptest.Platform
	url string

	mu     sync.Mutex
	script map[string][]reply // key: path + "|" + page_token
}

func newFakePlatform(t *testing.T) *fakePlatform {
	t.Helper()
	p := tiktokshoptest.New(t.Cleanup)
	p.AppKey, p.AppSecret, p.AccessToken, p.ShopCipher = testAppKey, testAppSecret, testToken, testCipher
	p.RefreshToken = testRefresh
	p.Now = func() time.Time { return testNow }
	f := &fakePlatform{Platform: p, script: map[string][]reply{}}
	p.Override(http.HandlerFunc(f.serve))
	f.url = p.StartTLS()
	return f
}

// on scripts the replies to path at page token; each request takes the next, the last one repeats.
func (f *fakePlatform) on(path, pageToken string, replies ...reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script[path+"|"+pageToken] = replies
}

func (f *fakePlatform) seen() []tiktokshoptest.Request { return f.Requests() }

func (f *fakePlatform) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	key := r.URL.Path + "|" + r.URL.Query().Get("page_token")
	replies := f.script[key]
	var rep reply
	switch len(replies) {
	case 0:
		f.mu.Unlock()
		writeJSON(w, http.StatusNotFound, `{"code":36009009,"message":"Not found."}`)
		return
	case 1:
		rep = replies[0]
	default:
		rep, f.script[key] = replies[0], replies[1:]
	}
	f.mu.Unlock()

	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	if rep.echo {
		msg := fmt.Sprintf("rejected %s with token %s (app secret %s)", r.URL.RawQuery, r.Header.Get("x-tts-access-token"), testAppSecret)
		b, _ := json.Marshal(map[string]any{"code": 36009004, "message": msg, "request_id": "r-echo"})
		rep.body = string(b)
	}
	status := rep.status
	if status == 0 {
		status = http.StatusOK
	}
	writeJSON(w, status, rep.body)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// ok wraps data in a success envelope.
func ok(data any) reply {
	b, err := json.Marshal(data)
	if err != nil {
		panic(err)
	}
	return reply{body: `{"code":0,"message":"Success","request_id":"r-ok","data":` + string(b) + `}`}
}

// sleeps records the client's backoff waits instead of waiting.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// newTestClient returns a client of f with the test credentials, a fixed clock, three attempts and recorded
// (instant) backoff waits at the bottom of the jitter range. mutate, if given, adjusts the config first.
func newTestClient(t *testing.T, f *fakePlatform, mutate ...func(*Config)) (*Client, *sleeps) {
	t.Helper()
	s := &sleeps{}
	cfg := Config{
		BaseURL:     f.url,
		HTTPClient:  f.Client(),
		Credentials: Credentials{AppKey: testAppKey, AppSecret: testAppSecret, AccessToken: testToken, ShopCipher: testCipher},
		Now:         func() time.Time { return testNow },
		Retry: httpretry.Policy{MaxAttempts: 3, BaseDelay: time.Second, MaxDelay: 10 * time.Second,
			Sleep: s.sleep, Rand: func() float64 { return 0 }},
	}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, s
}

// ordersPage is a page of minimal orders.
func ordersPage(next string, ids ...string) reply {
	orders := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		orders = append(orders, map[string]any{"id": id, "status": "AWAITING_SHIPMENT", "update_time": testNow.Unix() - 60})
	}
	return ok(map[string]any{"orders": orders, "next_page_token": next, "total_count": 5})
}
