package tiktokshop

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/alitok/workspace-operator/internal/provider/httpretry"
)

// Test credentials. The fake platform knows the same ones.
const (
	testAppKey    = "6a1b2c3d4e"
	testAppSecret = "s3cr3t-app-secret"
	testToken     = "ROW_tok-abcdef123456"
	testCipher    = "ROW_cipher_XYZ"
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

// seen is a request as the fake platform received it.
type seen struct {
	method string
	path   string
	query  url.Values
	header http.Header
	body   string
}

// fakePlatform is a TikTok Shop stand-in. It checks app key, token and signature the way the platform documents
// them, with its own signing code, and answers from a script keyed by path and page token.
type fakePlatform struct {
	srv *httptest.Server

	mu       sync.Mutex
	script   map[string][]reply // key: path + "|" + page_token
	requests []seen
}

func newFakePlatform(t *testing.T) *fakePlatform {
	t.Helper()
	f := &fakePlatform{script: map[string][]reply{}}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// on scripts the replies to path at page token; each request takes the next, the last one repeats.
func (f *fakePlatform) on(path, pageToken string, replies ...reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script[path+"|"+pageToken] = replies
}

func (f *fakePlatform) seen() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.requests...)
}

func (f *fakePlatform) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	q := r.URL.Query()
	f.mu.Lock()
	f.requests = append(f.requests, seen{method: r.Method, path: r.URL.Path, query: q, header: r.Header.Clone(), body: string(body)})
	f.mu.Unlock()

	if q.Get("app_key") != testAppKey {
		writeJSON(w, http.StatusOK, `{"code":36009004,"message":"Invalid credentials. Invalid `+"`app_key`"+` query parameter.","request_id":"r-appkey"}`)
		return
	}
	if r.Header.Get("x-tts-access-token") != testToken {
		writeJSON(w, http.StatusUnauthorized, `{"code":105001,"message":"Invalid credentials. The access token is invalid.","request_id":"r-token"}`)
		return
	}
	ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	if err != nil || ts < testNow.Unix()-300 || ts > testNow.Unix()+300 {
		writeJSON(w, http.StatusOK, `{"code":36009004,"message":"Invalid timestamp.","request_id":"r-ts"}`)
		return
	}
	signBody := string(body)
	if r.Method == http.MethodGet {
		signBody = ""
	}
	if want := platformSign(testAppSecret, r.URL.Path, q, signBody); q.Get("sign") != want {
		writeJSON(w, http.StatusOK, `{"code":106001,"message":"Invalid credentials. The sign is invalid.","request_id":"r-sign"}`)
		return
	}
	shopScoped := r.URL.Path != pathShops
	if shopScoped && q.Get("shop_cipher") != testCipher || !shopScoped && q.Has("shop_cipher") {
		writeJSON(w, http.StatusOK, `{"code":36009004,"message":"Unexpected or missing shop_cipher.","request_id":"r-cipher"}`)
		return
	}

	f.mu.Lock()
	key := r.URL.Path + "|" + q.Get("page_token")
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

// platformSign is the documented signature, written independently of Sign so that a change to either shows:
// HMAC-SHA256 keyed with the secret over secret + path + sorted key/value pairs (without sign and access_token)
// + body + secret, as lowercase hex.
func platformSign(secret, path string, q url.Values, body string) string {
	var keys []string
	for k := range q {
		if k == "sign" || k == "access_token" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	msg := secret + path
	for _, k := range keys {
		msg += k + q[k][0]
	}
	msg += body + secret
	return hmacHex(secret, msg)
}

func hmacHex(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
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
		BaseURL:     f.srv.URL,
		HTTPClient:  f.srv.Client(),
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
