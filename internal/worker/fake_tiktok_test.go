package worker

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"
)

// fakeTikTok is a TikTok Shop Open API stand-in. It checks the app key, the token header, the timestamp, the
// shop cipher and the signature the way the platform documents them, with signing code of its own, and serves
// token-paginated searches from its lists.
type fakeTikTok struct {
	srv                                      *httptest.Server
	appKey, appSecret, token, cipher, shopID string

	mu sync.Mutex
	// lists holds the records of each search path.
	lists map[string][]map[string]any
	// pageSize is how many records a page carries, whatever the client asks for.
	pageSize int
	// revoked answers every call as a revoked token would: HTTP 401.
	revoked bool
	// corruptPage, when not zero, is the page of every search that comes back corrupt.
	corruptPage int
	requests    []fakeRequest
}

// fakeRequest is a request as a fake platform saw it.
type fakeRequest struct {
	path  string
	query url.Values
	body  string
}

func newFakeTikTok(t *testing.T) *fakeTikTok {
	f := &fakeTikTok{
		appKey: "tt-app-" + randomHex(4), appSecret: "tt-secret-" + randomHex(12), token: "tt-token-" + randomHex(12),
		cipher: "ROW_cipher_" + randomHex(4), shopID: "7494512345678901234",
		lists: map[string][]map[string]any{}, pageSize: 2,
	}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// The search paths and the data field holding their records.
var tiktokSearches = map[string]string{
	"/product/202309/products/search":      "products",
	"/order/202309/orders/search":          "orders",
	"/fulfillment/202309/packages/search":  "packages",
	"/return_refund/202309/returns/search": "return_orders",
}

const tiktokShopsPath = "/authorization/202309/shops"

func (f *fakeTikTok) set(path string, records ...map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists[path] = records
}

// update changes the fake's behaviour under its lock, as its handlers run on other goroutines.
func (f *fakeTikTok) update(change func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change()
}

func (f *fakeTikTok) seen() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeRequest(nil), f.requests...)
}

func (f *fakeTikTok) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	q := r.URL.Query()
	f.mu.Lock()
	f.requests = append(f.requests, fakeRequest{path: r.URL.Path, query: q, body: string(body)})
	revoked, corrupt, size := f.revoked, f.corruptPage, f.pageSize
	f.mu.Unlock()

	ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	now := time.Now().Unix()
	signBody := string(body)
	if r.Method == http.MethodGet {
		signBody = ""
	}
	shopScoped := r.URL.Path != tiktokShopsPath
	switch {
	case q.Get("app_key") != f.appKey:
		ttReply(w, http.StatusOK, 36009004, "Invalid credentials. Invalid app_key.", nil)
	case revoked || r.Header.Get("x-tts-access-token") != f.token:
		ttReply(w, http.StatusUnauthorized, 105001, "Invalid credentials. The access token is invalid.", nil)
	case err != nil || ts < now-300 || ts > now+300:
		ttReply(w, http.StatusOK, 36009004, "Invalid timestamp.", nil)
	case q.Get("sign") != tiktokSign(f.appSecret, r.URL.Path, q, signBody):
		ttReply(w, http.StatusOK, 106001, "Invalid credentials. The sign is invalid.", nil)
	case shopScoped && q.Get("shop_cipher") != f.cipher, !shopScoped && q.Has("shop_cipher"):
		ttReply(w, http.StatusOK, 36009004, "Unexpected or missing shop_cipher.", nil)
	case r.URL.Path == tiktokShopsPath:
		ttReply(w, http.StatusOK, 0, "Success", map[string]any{"shops": []map[string]any{
			{"id": "1111", "cipher": "ROW_other", "name": "Other shop", "region": "GB"},
			{"id": f.shopID, "cipher": f.cipher, "name": "Test shop", "region": "GB"},
		}})
	default:
		items, ok := tiktokSearches[r.URL.Path]
		if !ok || r.Method != http.MethodPost || !json.Valid(body) {
			ttReply(w, http.StatusNotFound, 36009009, "Not found.", nil)
			return
		}
		page := 1
		if tok := q.Get("page_token"); tok != "" {
			page, _ = strconv.Atoi(tok[len("page-"):])
		}
		if page == corrupt {
			// A record list that is not a list: the page cannot be read.
			ttReply(w, http.StatusOK, 0, "Success", map[string]any{items: map[string]any{"oops": true}})
			return
		}
		f.mu.Lock()
		all := f.lists[r.URL.Path]
		f.mu.Unlock()
		from, to := min((page-1)*size, len(all)), min(page*size, len(all))
		data := map[string]any{items: all[from:to], "total_count": len(all)}
		if to < len(all) {
			data["next_page_token"] = "page-" + strconv.Itoa(page+1)
		}
		ttReply(w, http.StatusOK, 0, "Success", data)
	}
}

func ttReply(w http.ResponseWriter, status, code int, message string, data any) {
	body := map[string]any{"code": code, "message": message, "request_id": "req-" + strconv.Itoa(code)}
	if data != nil {
		body["data"] = data
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// tiktokSign is the documented signature, written apart from the client's: lowercase hex of HMAC-SHA256 keyed
// with the app secret over secret + path + the sorted query pairs but sign and access_token + body + secret.
func tiktokSign(secret, path string, q url.Values, body string) string {
	var keys []string
	for k := range q {
		if k != "sign" && k != "access_token" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	msg := secret + path
	for _, k := range keys {
		msg += k + q[k][0]
	}
	msg += body + secret
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// credentials writes the fake's credentials as an ESO Secret mounts them and returns the directory. withCipher
// says whether the shop cipher is among them; expireAt, when not zero, is the token's expiry.
func (f *fakeTikTok) credentials(fx *fixture, withCipher bool, expireAt time.Time) string {
	dir := "creds-" + randomHex(4)
	fx.write(dir+"/app_key", f.appKey)
	fx.write(dir+"/app_secret", f.appSecret+"\n")
	fx.write(dir+"/access_token", f.token+"\n")
	if withCipher {
		fx.write(dir+"/shop_cipher", f.cipher)
	}
	if !expireAt.IsZero() {
		fx.write(dir+"/access_token_expire_at", strconv.FormatInt(expireAt.Unix(), 10))
	}
	fx.forbid(f.appSecret, f.token)
	return fx.dir + "/" + dir
}
