// Package tiktokshoptest is a fake TikTok Shop Open API: one seller's shop, served by any listener, TLS or not.
//
// It checks every request's app key, access token, timestamp, shop cipher and signature the way the platform
// documents them, with signing code of its own rather than the client's, and serves the token-paginated searches
// of products, orders, packages and returns from the records it is given. The searches ignore their filters:
// every listing returns all the feature's records, so a sync with a cursor sees them again.
//
// Its tokens expire and are refreshed as the platform's are: the auth host's token refresh (PathTokenRefresh) trades
// the refresh token for a new access token and a new refresh token and retires the old ones (see the lifetimes and
// RefreshGrace on Platform). The real auth host is apart from the API's (auth.tiktok-shops.com); the fake serves both
// on one listener, so a test gives the same URL as both base URLs. SetRevoked and Reauthorize play the seller's
// side, and DeauthorizationWebhook the platform's notice of a revocation.
//
// It does not depend on package testing: unit tests, an end-to-end test serving it to the worker's image and a
// `go run` program can all use it.
package tiktokshoptest

import (
	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"

	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/alitok/workspace-operator/internal/provider/providertest"
)

// The features, as the API names them (and the worker's --feature flag).
const (
	FeatureProducts    = string(workspacesv1alpha1.FeatureProducts)
	FeatureOrders      = string(workspacesv1alpha1.FeatureOrders)
	FeatureFulfillment = string(workspacesv1alpha1.FeatureFulfillment)
	FeatureReturns     = string(workspacesv1alpha1.FeatureReturns)
)

// The API paths the platform serves, and the auth host's token refresh.
const (
	PathTokenRefresh = "/api/v2/token/refresh"
	PathShops        = "/authorization/202309/shops"
	PathProducts     = "/product/202309/products/search"
	PathOrders       = "/order/202309/orders/search"
	PathPackages     = "/fulfillment/202309/packages/search"
	PathReturns      = "/return_refund/202309/returns/search"
)

// search is a feature's search API: its path and the data field holding its records.
type search struct{ path, field string }

var searches = map[string]search{
	FeatureProducts:    {PathProducts, "products"},
	FeatureOrders:      {PathOrders, "orders"},
	FeatureFulfillment: {PathPackages, "packages"},
	FeatureReturns:     {PathReturns, "return_orders"},
}

// The names of the credential files the worker reads from its --credentials-dir.
const (
	FileAppKey      = "app_key"
	FileAppSecret   = "app_secret"
	FileAccessToken = "access_token"
	FileShopCipher  = "shop_cipher"
	FileExpireAt    = "access_token_expire_at"
	// FileRefreshToken and FileRefreshExpireAt (Unix seconds) hold what a token refresh needs.
	FileRefreshToken    = "refresh_token"
	FileRefreshExpireAt = "refresh_token_expire_at"
)

// DefaultAccessTokenLifetime is the life of an access token a refresh issues when AccessTokenLifetime is zero: a
// week, as the platform's.
const DefaultAccessTokenLifetime = 7 * 24 * time.Hour

// maxBody bounds what is read of a request body; search filters are tiny.
const maxBody = 1 << 20

// Platform is a fake TikTok Shop. Its exported fields are read while it serves: set them before serving and
// change its behaviour afterwards only through its methods, which are safe for concurrent use.
type Platform struct {
	// AppKey and AppSecret identify the app; AccessToken is the seller's token. New makes them random.
	AppKey, AppSecret, AccessToken string
	// ShopID and ShopCipher name the one shop the token may act for: ShopID is an Integration's account ID,
	// ShopCipher what every shop-scoped call must carry. New makes them random.
	ShopID, ShopCipher string
	// AccessTokenExpiresAt, when not zero, is when the token expires: later calls fail as expired, and
	// CredentialFiles carries the expiry.
	AccessTokenExpiresAt time.Time
	// RefreshToken is the seller's refresh token, which PathTokenRefresh trades for new tokens. New makes it random.
	RefreshToken string
	// RefreshTokenExpiresAt, when not zero, is when RefreshToken expires, and with it the seller's authorization:
	// refreshes are then refused as for an unknown token (code 36004005).
	RefreshTokenExpiresAt time.Time
	// AccessTokenLifetime is how long an access token issued by a refresh or by Reauthorize lives;
	// DefaultAccessTokenLifetime when zero. The fields above hold the tokens until the first refresh; Tokens
	// returns the current ones.
	AccessTokenLifetime time.Duration
	// RefreshTokenLifetime is how long a refresh token issued by a refresh or by Reauthorize lives. When zero, a
	// refresh keeps the expiry of the refresh token it replaces, since the end of an authorization does not move,
	// and Reauthorize's refresh token never expires.
	RefreshTokenLifetime time.Duration
	// RefreshGrace is how long the access token a refresh replaces keeps working (until its own expiry at most);
	// zero retires it with the refresh. The refresh token a refresh replaces is retired at once.
	RefreshGrace time.Duration
	// PageSize is the most records a search page carries, whatever the request asks for; 0 leaves it to the
	// request. New sets 2, so that a handful of records already spans pages.
	PageSize int
	// Now is the platform's clock: request timestamps must be within 5 minutes of it. time.Now when nil.
	Now func() time.Time

	server providertest.TLSServer

	mu          sync.Mutex
	records     map[string][]map[string]any // by feature
	revoked     bool
	corruptPage int
	override    http.Handler
	requests    []Request
	// issued holds the tokens of the last refresh or Reauthorize; until then the exported fields hold them.
	issued *Grant
	// replaced is the access token the last refresh retired, usable until replacedUntil (RefreshGrace).
	replaced       string
	replacedUntil  time.Time
	replacedExpiry time.Time
	refreshes      int
}

// Grant is the seller's tokens as the platform last granted them.
type Grant struct {
	AccessToken           string
	AccessTokenExpiresAt  time.Time // zero: never
	RefreshToken          string
	RefreshTokenExpiresAt time.Time // zero: never
}

// Request is a request as the platform received it, whether or not it passed the checks.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   string
}

// New returns a platform with random credentials and no records. cleanup, when given (a test's t.Cleanup fits),
// is where StartTLS registers the server's Close; without it the caller closes the platform.
func New(cleanup ...func(func())) *Platform {
	return &Platform{
		AppKey: "6" + providertest.RandomHex(6), AppSecret: providertest.RandomHex(20), AccessToken: "ROW_" + providertest.RandomHex(24),
		RefreshToken: "ROW_" + providertest.RandomHex(24),
		ShopID:       "7" + providertest.RandomDigits(18), ShopCipher: "ROW_" + providertest.RandomHex(16),
		PageSize: 2, server: providertest.TLSServer{Cleanup: cleanup}, records: map[string][]map[string]any{},
	}
}

// Handler returns the platform's API, to serve on any listener.
func (p *Platform) Handler() http.Handler { return http.HandlerFunc(p.serve) }

// StartTLS serves the platform on a local TLS server (httptest's certificate, see Client) and returns its
// https:// URL, the API base URL to give a client. A second call returns the same URL.
func (p *Platform) StartTLS() string { return p.server.Start(p.Handler()) }

// Client returns an HTTP client that trusts the server StartTLS started, or nil before StartTLS.
func (p *Platform) Client() *http.Client { return p.server.Client() }

// Close stops the server StartTLS started; calls to it are then refused. It may be called more than once.
func (p *Platform) Close() { p.server.Close() }

// CredentialFiles returns the credential files (name → content) the worker reads from its --credentials-dir
// for this shop, with the current tokens (see Tokens): app_key, app_secret, access_token, refresh_token and
// shop_cipher, plus access_token_expire_at and refresh_token_expire_at (Unix seconds) for tokens that expire.
// Without shop_cipher the worker looks the shop up by its --account-id.
func (p *Platform) CredentialFiles() map[string]string {
	g := p.Tokens()
	files := map[string]string{FileAppKey: p.AppKey, FileAppSecret: p.AppSecret, FileAccessToken: g.AccessToken,
		FileRefreshToken: g.RefreshToken, FileShopCipher: p.ShopCipher}
	if !g.AccessTokenExpiresAt.IsZero() {
		files[FileExpireAt] = strconv.FormatInt(g.AccessTokenExpiresAt.Unix(), 10)
	}
	if !g.RefreshTokenExpiresAt.IsZero() {
		files[FileRefreshExpireAt] = strconv.FormatInt(g.RefreshTokenExpiresAt.Unix(), 10)
	}
	return files
}

// Tokens returns the seller's current tokens: those of the last refresh or Reauthorize, or before either the
// exported fields'.
func (p *Platform) Tokens() Grant {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.current()
}

// current is Tokens with p.mu held.
func (p *Platform) current() Grant {
	if p.issued != nil {
		return *p.issued
	}
	return Grant{AccessToken: p.AccessToken, AccessTokenExpiresAt: p.AccessTokenExpiresAt,
		RefreshToken: p.RefreshToken, RefreshTokenExpiresAt: p.RefreshTokenExpiresAt}
}

// Refreshes returns how many refreshes the platform granted. Refused ones are among Requests, at PathTokenRefresh.
func (p *Platform) Refreshes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refreshes
}

// Reauthorize plays a seller who authorizes the app again: it ends a revocation (SetRevoked) and grants new
// tokens, retiring the old ones at once, and returns them. It is not counted among Refreshes.
func (p *Platform) Reauthorize() Grant {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.revoked = false
	p.replaced = ""
	return p.grant(time.Time{})
}

// grant issues new tokens as of now and makes them current; the refresh token expires at refreshEnd when
// RefreshTokenLifetime is zero. p.mu is held.
func (p *Platform) grant(refreshEnd time.Time) Grant {
	now := p.now()
	life := p.AccessTokenLifetime
	if life <= 0 {
		life = DefaultAccessTokenLifetime
	}
	if p.RefreshTokenLifetime > 0 {
		refreshEnd = now.Add(p.RefreshTokenLifetime)
	}
	g := Grant{AccessToken: "ROW_" + providertest.RandomHex(24), AccessTokenExpiresAt: now.Add(life).Truncate(time.Second),
		RefreshToken: "ROW_" + providertest.RandomHex(24), RefreshTokenExpiresAt: refreshEnd.Truncate(time.Second)}
	p.issued = &g
	return g
}

// accessExpiry reports whether token is a usable access token of the seller's, and when it expires (zero: never).
func (p *Platform) accessExpiry(token string, now time.Time) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.revoked || token == "" {
		return time.Time{}, false
	}
	if g := p.current(); token == g.AccessToken {
		return g.AccessTokenExpiresAt, true
	}
	if token == p.replaced && now.Before(p.replacedUntil) {
		return p.replacedExpiry, true
	}
	return time.Time{}, false
}

// Seed replaces the records feature's search serves with records, in the search API's shape (see Order,
// Product, Package and Return). The platform keeps the maps: do not change them afterwards.
func (p *Platform) Seed(feature string, records ...map[string]any) {
	mustFeature(feature)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.records[feature] = append([]map[string]any(nil), records...)
}

func (p *Platform) add(feature string, record map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.records[feature] = append(p.records[feature], record)
}

// SetRevoked plays a seller who cancels the app's authorization, or undoes it: while revoked, every call fails as
// with a revoked token (HTTP 401, code 105001) and every refresh as with an unknown refresh token (code 36004005).
// Reauthorize ends it with new tokens.
func (p *Platform) SetRevoked(revoked bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.revoked = revoked
}

// SetCorruptPage makes page n of every search come back with a record list that is not a list, so the page
// cannot be read; 0 stops it.
func (p *Platform) SetCorruptPage(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.corruptPage = n
}

// Override hands every request that passes the platform's checks (app key, token, timestamp, signature, shop
// cipher; for a refresh app key, secret and refresh token) to h instead of the platform's own endpoints; nil
// restores them. Client tests script replies this way (rate limits, server errors, odd pages) and keep the checks;
// an overridden refresh grants nothing. h can read the request's body.
func (p *Platform) Override(h http.Handler) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.override = h
}

// Requests returns the requests received so far, oldest first.
func (p *Platform) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.requests...)
}

func (p *Platform) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Platform) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	q := r.URL.Query()
	p.mu.Lock()
	p.requests = append(p.requests, Request{Method: r.Method, Path: r.URL.Path, Query: q, Header: r.Header.Clone(),
		Body: string(body)})
	override := p.override
	p.mu.Unlock()

	if r.URL.Path == PathTokenRefresh {
		p.refresh(w, r, q, override)
		return
	}
	now := p.now()
	expiresAt, tokenOK := p.accessExpiry(r.Header.Get("x-tts-access-token"), now)
	ts, tsErr := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	signed := string(body)
	if r.Method == http.MethodGet {
		signed = ""
	}
	shopScoped := r.URL.Path != PathShops
	switch {
	case q.Get("app_key") != p.AppKey:
		reply(w, http.StatusOK, 36009004, "Invalid credentials. Invalid `app_key` query parameter.", nil)
	case !tokenOK:
		reply(w, http.StatusUnauthorized, 105001, "Invalid credentials. The access token is invalid.", nil)
	case !expiresAt.IsZero() && !now.Before(expiresAt):
		reply(w, http.StatusUnauthorized, 105002, "Expired credentials. The access token has expired.", nil)
	case tsErr != nil || ts < now.Unix()-300 || ts > now.Unix()+300:
		reply(w, http.StatusOK, 36009004, "Invalid timestamp.", nil)
	case q.Get("sign") != sign(p.AppSecret, r.URL.Path, q, signed):
		reply(w, http.StatusOK, 106001, "Invalid credentials. The sign is invalid.", nil)
	case shopScoped && q.Get("shop_cipher") != p.ShopCipher, !shopScoped && q.Has("shop_cipher"):
		reply(w, http.StatusOK, 36009004, "Unexpected or missing shop_cipher.", nil)
	case override != nil:
		r.Body = io.NopCloser(bytes.NewReader(body))
		override.ServeHTTP(w, r)
	case r.URL.Path == PathShops && r.Method == http.MethodGet:
		reply(w, http.StatusOK, 0, "Success", map[string]any{"shops": []map[string]any{
			{"id": "7494000000000000001", "cipher": "ROW_othershop", "name": "Other shop", "region": "GB",
				"code": "GBLCOTHER", "seller_type": "LOCAL"},
			{"id": p.ShopID, "cipher": p.ShopCipher, "name": "Test shop", "region": "GB", "code": "GBLCTEST",
				"seller_type": "LOCAL"},
		}})
	default:
		p.search(w, r, q, body)
	}
}

// refresh serves the auth host's token refresh: a GET whose query carries app_key, app_secret, refresh_token and
// grant_type=refresh_token, unsigned. It answers the platform's envelope; code 36004005 ("can not find related auth
// record") is what the host answers for a refresh token it does not know, and the fake answers it for an expired,
// replaced or revoked one too. A wrong app key or secret earns 36004004.
func (p *Platform) refresh(w http.ResponseWriter, r *http.Request, q url.Values, override http.Handler) {
	if r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	switch {
	case q.Get("app_key") != p.AppKey || q.Get("app_secret") != p.AppSecret:
		reply(w, http.StatusOK, 36004004, "Invalid app_key or app_secret.", nil)
		return
	case q.Get("grant_type") != "refresh_token":
		reply(w, http.StatusOK, 36009004, "Invalid grant_type.", nil)
		return
	}
	now := p.now()
	p.mu.Lock()
	old := p.current()
	if p.revoked || q.Get("refresh_token") != old.RefreshToken ||
		!old.RefreshTokenExpiresAt.IsZero() && !now.Before(old.RefreshTokenExpiresAt) {
		p.mu.Unlock()
		reply(w, http.StatusOK, 36004005, "can not find related auth record", nil)
		return
	}
	if override != nil {
		p.mu.Unlock()
		override.ServeHTTP(w, r)
		return
	}
	p.replaced, p.replacedUntil, p.replacedExpiry = old.AccessToken, now.Add(p.RefreshGrace), old.AccessTokenExpiresAt
	g := p.grant(old.RefreshTokenExpiresAt)
	p.refreshes++
	p.mu.Unlock()
	reply(w, http.StatusOK, 0, "success", map[string]any{
		"access_token": g.AccessToken, "access_token_expire_in": unixOrFar(g.AccessTokenExpiresAt),
		"refresh_token": g.RefreshToken, "refresh_token_expire_in": unixOrFar(g.RefreshTokenExpiresAt),
		"open_id": "open-" + p.ShopID, "seller_name": "Test shop", "seller_base_region": "GB", "user_type": 0,
		"granted_scopes": []string{"seller.authorization.info", "seller.order.info", "seller.product.basic"},
	})
}

// farFuture is what the platform sends for a refresh token that in practice never expires (a date in 2123).
const farFuture = 4841467787

// unixOrFar is t in Unix seconds, or farFuture for the zero time (a token that never expires).
func unixOrFar(t time.Time) int64 {
	if t.IsZero() {
		return farFuture
	}
	return t.Unix()
}

// search serves a page of a feature's records. Page tokens are "page-N"; the last page has an empty
// next_page_token.
func (p *Platform) search(w http.ResponseWriter, r *http.Request, q url.Values, body []byte) {
	feature := ""
	for f, s := range searches {
		if s.path == r.URL.Path {
			feature = f
		}
	}
	if feature == "" || r.Method != http.MethodPost || !json.Valid(body) {
		reply(w, http.StatusNotFound, 36009009, "Not found.", nil)
		return
	}
	page := 1
	if tok := q.Get("page_token"); tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "page-"))
		if err != nil || n < 1 || !strings.HasPrefix(tok, "page-") {
			reply(w, http.StatusOK, 36009004, "Invalid page_token.", nil)
			return
		}
		page = n
	}
	size, _ := strconv.Atoi(q.Get("page_size"))
	if size < 1 {
		reply(w, http.StatusOK, 36009004, "Invalid page_size.", nil)
		return
	}
	field := searches[feature].field

	if p.PageSize > 0 {
		size = min(size, p.PageSize)
	}
	p.mu.Lock()
	all, corrupt := p.records[feature], p.corruptPage == page
	p.mu.Unlock()
	if corrupt {
		reply(w, http.StatusOK, 0, "Success", map[string]any{field: map[string]any{"oops": true}})
		return
	}
	from, to := min((page-1)*size, len(all)), min(page*size, len(all))
	data := map[string]any{field: all[from:to], "total_count": len(all), "next_page_token": ""}
	if to < len(all) {
		data["next_page_token"] = "page-" + strconv.Itoa(page+1)
	}
	reply(w, http.StatusOK, 0, "Success", data)
}

// reply writes the platform's envelope: code 0 and data on success, a code and message otherwise.
func reply(w http.ResponseWriter, status, code int, message string, data any) {
	body := map[string]any{"code": code, "message": message, "request_id": "2026" + providertest.RandomHex(8)}
	if data != nil {
		body["data"] = data
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func mustFeature(feature string) {
	if _, ok := searches[feature]; !ok {
		panic(fmt.Sprintf("tiktokshoptest: unknown feature %q (want products, orders, fulfillment or returns)", feature))
	}
}
