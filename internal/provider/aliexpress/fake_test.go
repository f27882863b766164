package aliexpress

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alitok/workspace-operator/internal/provider/aliexpress/aliexpresstest"
	"github.com/alitok/workspace-operator/internal/provider/httpretry"
)

// Test credentials. The fake gateway is given the same ones.
const (
	testAppKey    = "501234"
	testAppSecret = "s3cr3t-app-secret"
	testToken     = "50000600a12bcDEFtoken"
	testRefresh   = "50001600z98yxWVUrefresh"
)

// testNow is the clock of every test client and of the fake gateway: 04:00 in Los Angeles (PST, UTC-8).
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// reply is one scripted response.
type reply struct {
	status int
	header map[string]string
	body   string
	// echo makes the gateway repeat the request's parameters, the token among them, in its error message.
	echo bool
}

// jsonParam decodes the JSON business parameter name of r.
func jsonParam(t *testing.T, r aliexpresstest.Request, name string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Params[name]), &m); err != nil {
		t.Fatalf("parameter %s = %q: %v", name, r.Params[name], err)
	}
	return m
}

// fakeGateway is the fake AliExpress gateway of aliexpresstest with the test credentials and clock. Calls that
// pass its checks of app key, timestamp, signature and token (or, for a refresh, refresh token) get their answers
// from a script keyed by API, status filter and page.
type fakeGateway struct {
	*aliexpresstest.Platform
	url string

	mu     sync.Mutex
	script map[string][]reply
}

func newFakeGateway(t *testing.T) *fakeGateway {
	t.Helper()
	p := aliexpresstest.New(t.Cleanup)
	p.AppKey, p.AppSecret, p.AccessToken, p.RefreshToken = testAppKey, testAppSecret, testToken, testRefresh
	p.Now = func() time.Time { return testNow }
	g := &fakeGateway{Platform: p, script: map[string][]reply{}}
	p.Override(http.HandlerFunc(g.serve))
	g.url = p.StartTLS()
	return g
}

// on scripts the replies to api (for products, "api/status") at page; each request takes the next, the last one
// repeats. Page 0 is for calls without pages.
func (g *fakeGateway) on(api string, page int, replies ...reply) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.script[api+"|"+strconv.Itoa(page)] = replies
}

func (g *fakeGateway) seen() []aliexpresstest.Request { return g.Requests() }

// serve answers a call the platform has checked; its form is parsed.
func (g *fakeGateway) serve(w http.ResponseWriter, r *http.Request) {
	key := r.Form.Get("method")
	if strings.HasPrefix(r.URL.Path, "/rest/") {
		key = strings.TrimPrefix(r.URL.Path, "/rest")
	}
	page := 0
	for _, name := range []string{"param_aeop_order_query", "aeop_a_e_product_list_query", "query_dto"} {
		if v := r.Form.Get(name); v != "" {
			var q struct {
				CurrentPage int    `json:"current_page"`
				Status      string `json:"product_status_type"`
			}
			_ = json.Unmarshal([]byte(v), &q)
			page = q.CurrentPage
			if q.Status != "" {
				key += "/" + q.Status
			}
		}
	}
	key += "|" + strconv.Itoa(page)

	g.mu.Lock()
	replies := g.script[key]
	var rep reply
	switch len(replies) {
	case 0:
		g.mu.Unlock()
		writeJSON(w, http.StatusOK, errorResponse("ISV", "InvalidApiPath", "No script for "+key))
		return
	case 1:
		rep = replies[0]
	default:
		rep, g.script[key] = replies[0], replies[1:]
	}
	g.mu.Unlock()

	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	if rep.echo {
		rep.body = errorResponse("ISV", "MissingParameter", fmt.Sprintf("bad request %v (secret %s)", r.Form, testAppSecret))
	}
	status := rep.status
	if status == 0 {
		status = http.StatusOK
	}
	writeJSON(w, status, rep.body)
}

func errorResponse(typ, code, msg string) string {
	b, _ := json.Marshal(map[string]any{"error_response": map[string]any{
		"type": typ, "code": code, "msg": msg, "request_id": "r-" + strings.ToLower(code)}})
	return string(b)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// response wraps an API response object the way the gateway does.
func response(api string, obj any) reply {
	b, err := json.Marshal(map[string]any{strings.ReplaceAll(api, ".", "_") + "_response": obj, "request_id": "r-ok"})
	if err != nil {
		panic(err)
	}
	return reply{body: string(b)}
}

// ordersPage is a page of minimal orders out of totalPages.
func ordersPage(totalPages int, ids ...string) reply {
	items := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		items = append(items, map[string]any{"order_id": json.Number(id), "order_status": "WAIT_SELLER_SEND_GOODS",
			"gmt_update": "2026-03-01 01:00:00"})
	}
	return response(apiOrderList, map[string]any{"result": map[string]any{
		"success": true, "total_page": totalPages, "total_count": 5, "target_list": map[string]any{"aeop_order_item_dto": items}}})
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

// newTestClient returns a client of g with the test credentials, a fixed clock, three attempts and recorded
// (instant) backoff waits at the bottom of the jitter range. mutate, if given, adjusts the config first.
func newTestClient(t *testing.T, g *fakeGateway, mutate ...func(*Config)) (*Client, *sleeps) {
	t.Helper()
	s := &sleeps{}
	cfg := Config{
		BaseURL:     g.url,
		HTTPClient:  g.Client(),
		Credentials: Credentials{AppKey: testAppKey, AppSecret: testAppSecret, AccessToken: testToken},
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
