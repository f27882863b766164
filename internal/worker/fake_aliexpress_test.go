package worker

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAliExpress is an AliExpress IOP gateway stand-in. It checks the app key, the timestamp, the sign method,
// the signature (with signing code of its own) and the token, and serves the page-numbered list APIs and the
// order details from its data.
type fakeAliExpress struct {
	srv                      *httptest.Server
	appKey, appSecret, token string

	mu       sync.Mutex
	orders   []map[string]any          // order list items
	details  map[string]map[string]any // order details by order ID
	products []map[string]any          // onSelling products
	issues   []map[string]any
	// pageSize is how many orders a page carries.
	pageSize int
	requests []fakeRequest
}

func newFakeAliExpress(t *testing.T) *fakeAliExpress {
	g := &fakeAliExpress{appKey: "ae-app-" + randomHex(4), appSecret: "ae-secret-" + randomHex(12),
		token: "ae-token-" + randomHex(12), details: map[string]map[string]any{}, pageSize: 2}
	g.srv = httptest.NewTLSServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *fakeAliExpress) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		aeError(w, "MissingParameter", "bad request")
		return
	}
	params := map[string]string{}
	for k, v := range r.Form {
		params[k] = v[0]
	}
	g.mu.Lock()
	g.requests = append(g.requests, fakeRequest{path: r.URL.Path, query: r.URL.Query(), body: r.PostForm.Encode()})
	g.mu.Unlock()
	api := params["method"]
	ts, err := strconv.ParseInt(params["timestamp"], 10, 64)
	now := time.Now().UnixMilli()
	switch {
	case params["app_key"] != g.appKey:
		aeError(w, "InvalidAppKey", "The app key is invalid")
	case err != nil || params["sign_method"] != "sha256" || ts < now-300_000 || ts > now+300_000:
		aeError(w, "InvalidTimestamp", "The timestamp or sign method is invalid")
	case params["sign"] != aliexpressSign(g.appSecret, params):
		aeError(w, "IncompleteSignature", "The request signature does not conform to platform standards")
	case params["access_token"] != g.token:
		aeError(w, "IllegalAccessToken", "The specified access token is invalid or expired")
	case r.URL.Path != "/sync" || r.URL.Query().Get("method") != api:
		aeError(w, "InvalidApiPath", "unknown path")
	default:
		g.answer(w, api, params)
	}
}

func (g *fakeAliExpress) answer(w http.ResponseWriter, api string, params map[string]string) {
	var q struct {
		CurrentPage int         `json:"current_page"`
		Status      string      `json:"product_status_type"`
		OrderID     json.Number `json:"order_id"`
	}
	for _, name := range []string{"param_aeop_order_query", "aeop_a_e_product_list_query", "query_dto", "param1"} {
		if v, ok := params[name]; ok {
			_ = json.Unmarshal([]byte(v), &q)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch api {
	case "aliexpress.trade.seller.orderlist.get":
		pages := (len(g.orders) + g.pageSize - 1) / g.pageSize
		from, to := min((q.CurrentPage-1)*g.pageSize, len(g.orders)), min(q.CurrentPage*g.pageSize, len(g.orders))
		aeResponse(w, api, map[string]any{"result": map[string]any{"success": true, "total_page": pages,
			"total_count": len(g.orders), "target_list": map[string]any{"aeop_order_item_dto": g.orders[from:to]}}})
	case "aliexpress.solution.order.info.get":
		d, ok := g.details[q.OrderID.String()]
		if !ok {
			aeResponse(w, api, map[string]any{"result": map[string]any{"success": false, "error_code": "ORDER_NOT_FOUND"}})
			return
		}
		aeResponse(w, api, map[string]any{"result": map[string]any{"success": true, "data": d}})
	case "aliexpress.solution.product.list.get":
		var items []map[string]any
		if q.Status == "onSelling" {
			items = g.products
		}
		aeResponse(w, api, map[string]any{"result": map[string]any{"success": true, "total_page": 1,
			"aeop_a_e_product_display_d_t_o_list": map[string]any{"item_display_dto": items}}})
	case "aliexpress.issue.issuelist.get":
		aeResponse(w, api, map[string]any{"total_item": len(g.issues),
			"data_list": map[string]any{"issue_api_issue_dto": g.issues}})
	default:
		aeError(w, "InvalidApiPath", "unknown API")
	}
}

func aeResponse(w http.ResponseWriter, api string, obj any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{strings.ReplaceAll(api, ".", "_") + "_response": obj, "request_id": "req-ok"})
}

func aeError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"error_response": map[string]any{"type": "ISV", "code": code, "msg": msg,
		"request_id": "req-" + strings.ToLower(code)}})
}

// aliexpressSign is the documented signature of business APIs, written apart from the client's: uppercase hex
// of HMAC-SHA256 keyed with the app secret over the sorted key/value pairs of every parameter but sign.
func aliexpressSign(secret string, params map[string]string) string {
	var keys []string
	for k := range params {
		if k != "sign" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var msg strings.Builder
	for _, k := range keys {
		msg.WriteString(k + params[k])
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(msg.String()))
	return strings.ToUpper(hex.EncodeToString(m.Sum(nil)))
}

// credentials writes the fake's credentials as an ESO Secret mounts them and returns the directory.
func (g *fakeAliExpress) credentials(fx *fixture) string {
	dir := "creds-" + randomHex(4)
	fx.write(dir+"/app_key", g.appKey)
	fx.write(dir+"/app_secret", g.appSecret)
	fx.write(dir+"/access_token", g.token)
	fx.forbid(g.appSecret, g.token)
	return fx.dir + "/" + dir
}
