// Package aliexpresstest is a fake AliExpress Open Platform (IOP) gateway: one seller's account, served by any
// listener, TLS or not.
//
// It checks every call's app key, timestamp, sign method, signature and access token the way the platform
// documents them, with signing code of its own rather than the client's, and serves the page-numbered order,
// product and dispute lists and the order details from the records it is given. The lists ignore their
// modification-time filters: every listing returns all the feature's records, so a sync with a cursor sees them
// again.
//
// Its tokens expire and are refreshed as the gateway's are: the system API /auth/token/refresh (APITokenRefresh)
// trades the refresh token for a new access token and a new refresh token and retires the old ones (see the
// lifetimes and RefreshGrace on Platform). SetRevoked and Reauthorize play the seller's side; AliExpress documents no
// notice to the app when a seller cancels its authorization, so the fake sends none.
//
// It does not depend on package testing: unit tests, an end-to-end test serving it to the worker's image and a
// `go run` program can all use it.
package aliexpresstest

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
	FeatureProducts = string(workspacesv1alpha1.FeatureProducts)
	FeatureOrders   = string(workspacesv1alpha1.FeatureOrders)
	// FeatureFulfillment's records are order details: AliExpress has no shipment list, so a fulfillment sync
	// walks the orders and fetches each one's details, which carry its shipments and address.
	FeatureFulfillment = string(workspacesv1alpha1.FeatureFulfillment)
	// FeatureReturns' records are disputes ("issues").
	FeatureReturns = string(workspacesv1alpha1.FeatureReturns)
)

// APITokenRefresh is the system API that refreshes tokens, served at /rest/auth/token/refresh.
const APITokenRefresh = "/auth/token/refresh"

// The business APIs the platform serves.
const (
	APIOrderList   = "aliexpress.trade.seller.orderlist.get"
	APIOrderInfo   = "aliexpress.solution.order.info.get"
	APIProductList = "aliexpress.solution.product.list.get"
	APIIssueList   = "aliexpress.issue.issuelist.get"
)

// The names of the credential files the worker reads from its --credentials-dir.
const (
	FileAppKey      = "app_key"
	FileAppSecret   = "app_secret"
	FileAccessToken = "access_token"
	FileExpireAt    = "access_token_expire_at"
	// FileRefreshToken and FileRefreshExpireAt (Unix seconds) hold what a token refresh needs.
	FileRefreshToken    = "refresh_token"
	FileRefreshExpireAt = "refresh_token_expire_at"
)

// DefaultAccessTokenLifetime is the life of an access token a refresh issues when AccessTokenLifetime is zero: 30
// days, the expires_in of the refresh API's documented answer.
const DefaultAccessTokenLifetime = 30 * 24 * time.Hour

var features = []string{FeatureProducts, FeatureOrders, FeatureFulfillment, FeatureReturns}

// Platform is a fake AliExpress gateway. Its exported fields are read while it serves: set them before serving
// and change its behaviour afterwards only through its methods, which are safe for concurrent use.
type Platform struct {
	// AppKey and AppSecret identify the app; AccessToken is the seller's token. New makes them random.
	AppKey, AppSecret, AccessToken string
	// SellerID is the seller account the token acts for, an Integration's account ID. Calls do not carry it: a
	// token belongs to one seller. New makes it random.
	SellerID string
	// AccessTokenExpiresAt, when not zero, is when the token expires: later calls fail with IllegalAccessToken,
	// and CredentialFiles carries the expiry.
	AccessTokenExpiresAt time.Time
	// RefreshToken is the seller's refresh token, which APITokenRefresh trades for new tokens. New makes it random.
	RefreshToken string
	// RefreshTokenExpiresAt, when not zero, is when RefreshToken expires: refreshes then fail with
	// IllegalRefreshToken.
	RefreshTokenExpiresAt time.Time
	// AccessTokenLifetime is how long an access token issued by a refresh or by Reauthorize lives;
	// DefaultAccessTokenLifetime when zero. The fields above hold the tokens until the first refresh; Tokens
	// returns the current ones.
	AccessTokenLifetime time.Duration
	// RefreshTokenLifetime is how long a refresh token issued by a refresh or by Reauthorize lives. When zero, a
	// refresh keeps the expiry of the refresh token it replaces, and Reauthorize's refresh token never expires.
	RefreshTokenLifetime time.Duration
	// RefreshGrace is how long the access token a refresh replaces keeps working (until its own expiry at most);
	// zero retires it with the refresh. The refresh token a refresh replaces is retired at once.
	RefreshGrace time.Duration
	// PageSize is the most records a page of the order and product lists carries, whatever the request asks
	// for; 0 leaves it to the request. New sets 2, so that a handful of records already spans pages. The dispute
	// list always pages as asked: it reports an item count, from which the client works out the pages.
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

// Request is a call as the gateway received it, whether or not it passed the checks.
type Request struct {
	Method string
	Path   string
	// RawQuery is the URL's query: business calls carry only method=<api> there.
	RawQuery string
	// Form is the POST form, body parameters only.
	Form url.Values
	// Params are the parameters as the gateway reads them, query and form together, first values.
	Params map[string]string
	// API is the API called: a business API's method, or a system API's path after /rest.
	API string
}

// New returns a platform with random credentials and no records. cleanup, when given (a test's t.Cleanup fits),
// is where StartTLS registers the server's Close; without it the caller closes the platform.
func New(cleanup ...func(func())) *Platform {
	return &Platform{
		AppKey: "50" + providertest.RandomDigits(4), AppSecret: providertest.RandomHex(16), AccessToken: "50000" + providertest.RandomHex(20),
		RefreshToken: "50001" + providertest.RandomHex(20),
		SellerID:     "2" + providertest.RandomDigits(9), PageSize: 2, server: providertest.TLSServer{Cleanup: cleanup}, records: map[string][]map[string]any{},
	}
}

// Handler returns the gateway, to serve on any listener.
func (p *Platform) Handler() http.Handler { return http.HandlerFunc(p.serve) }

// StartTLS serves the platform on a local TLS server (httptest's certificate, see Client) and returns its
// https:// URL, the API base URL to give a client. A second call returns the same URL.
func (p *Platform) StartTLS() string { return p.server.Start(p.Handler()) }

// Client returns an HTTP client that trusts the server StartTLS started, or nil before StartTLS.
func (p *Platform) Client() *http.Client { return p.server.Client() }

// Close stops the server StartTLS started; calls to it are then refused. It may be called more than once.
func (p *Platform) Close() { p.server.Close() }

// CredentialFiles returns the credential files (name → content) the worker reads from its --credentials-dir
// for this seller, with the current tokens (see Tokens): app_key, app_secret, access_token and refresh_token, plus
// access_token_expire_at and refresh_token_expire_at (Unix seconds) for tokens that expire.
func (p *Platform) CredentialFiles() map[string]string {
	g := p.Tokens()
	files := map[string]string{FileAppKey: p.AppKey, FileAppSecret: p.AppSecret, FileAccessToken: g.AccessToken,
		FileRefreshToken: g.RefreshToken}
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

// Refreshes returns how many refreshes the platform granted. Refused ones are among Requests, with API
// APITokenRefresh.
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
	g := Grant{AccessToken: "50000" + providertest.RandomHex(20), AccessTokenExpiresAt: now.Add(life).Truncate(time.Second),
		RefreshToken: "50001" + providertest.RandomHex(20), RefreshTokenExpiresAt: refreshEnd.Truncate(time.Second)}
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

// Seed replaces the records of feature with records, in the APIs' shapes: order list items (Order), order
// details with an "id" (OrderDetail), products (Product, listed as onSelling; the other statuses list nothing)
// or disputes (Issue). The platform keeps the maps: do not change them afterwards.
func (p *Platform) Seed(feature string, records ...map[string]any) {
	mustFeature(feature)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.records[feature] = append([]map[string]any(nil), records...)
}

func (p *Platform) add(feature string, records ...map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.records[feature] = append(p.records[feature], records...)
}

// SetRevoked plays a seller who cancels the app's authorization, or undoes it: while revoked, every call fails as
// with a revoked token (IllegalAccessToken) and every refresh with IllegalRefreshToken. Reauthorize ends it with new
// tokens.
func (p *Platform) SetRevoked(revoked bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.revoked = revoked
}

// SetCorruptPage makes page n of every list come back with a record list that is not a list, so the page
// cannot be read; 0 stops it.
func (p *Platform) SetCorruptPage(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.corruptPage = n
}

// Override hands every call that passes the gateway's checks (app key, timestamp, signature, token, path; for a
// refresh the refresh token instead of the token) to h instead of the platform's own APIs; nil restores them.
// Client tests script replies this way (call limits, server errors, odd pages) and keep the checks; an overridden
// refresh grants nothing. The request's form is parsed already.
func (p *Platform) Override(h http.Handler) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.override = h
}

// Requests returns the calls received so far, oldest first.
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

// serve checks a call as the gateway does. Business APIs are POST /sync?method=<api>, system APIs POST
// /rest/<path>; either reads its parameters from the query and the form alike.
func (p *Platform) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	formErr := r.ParseForm()
	params := map[string]string{}
	for k, v := range r.Form {
		params[k] = v[0]
	}
	api, system := params["method"], strings.HasPrefix(r.URL.Path, "/rest/")
	if system {
		api = strings.TrimPrefix(r.URL.Path, "/rest")
	}
	p.mu.Lock()
	p.requests = append(p.requests, Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Form: r.PostForm, Params: params, API: api})
	override := p.override
	p.mu.Unlock()

	now := p.now()
	expiresAt, tokenOK := p.accessExpiry(params["access_token"], now)
	ts, tsErr := strconv.ParseInt(params["timestamp"], 10, 64)
	switch {
	case r.Method != http.MethodPost || formErr != nil:
		errorReply(w, "MissingParameter", "The request must be a POST with a form")
	case params["app_key"] != p.AppKey:
		errorReply(w, "InvalidAppKey", "The app key is invalid")
	case tsErr != nil || params["sign_method"] != "sha256" ||
		ts < now.UnixMilli()-300_000 || ts > now.UnixMilli()+300_000:
		errorReply(w, "InvalidTimestamp", "The timestamp or sign method is invalid")
	case params["sign"] != sign(p.AppSecret, api, params):
		errorReply(w, "IncompleteSignature", "The request signature does not conform to platform standards")
	case system && api == APITokenRefresh:
		p.refresh(w, r, params, override)
	case !tokenOK || !expiresAt.IsZero() && !now.Before(expiresAt):
		errorReply(w, "IllegalAccessToken", "The specified access token is invalid or expired")
	case !system && (r.URL.Path != "/sync" || r.URL.Query().Get("method") != api):
		errorReply(w, "InvalidApiPath", "The API path is invalid")
	case override != nil:
		r.Body = io.NopCloser(bytes.NewReader(body))
		override.ServeHTTP(w, r)
	default:
		p.answer(w, api, params)
	}
}

// refresh serves APITokenRefresh once the gateway's checks of app key, timestamp and signature passed: the system
// API's bare answer with the new tokens, or IllegalRefreshToken in the gateway's top-level error shape for a refresh
// token that is unknown, replaced, expired or revoked.
func (p *Platform) refresh(w http.ResponseWriter, r *http.Request, params map[string]string, override http.Handler) {
	now := p.now()
	p.mu.Lock()
	old := p.current()
	if p.revoked || params["refresh_token"] != old.RefreshToken ||
		!old.RefreshTokenExpiresAt.IsZero() && !now.Before(old.RefreshTokenExpiresAt) {
		p.mu.Unlock()
		writeJSON(w, map[string]any{"type": "ISV", "code": "IllegalRefreshToken",
			"message": "The specified refresh token is invalid or expired", "request_id": providertest.RandomHex(6)})
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
	refreshEnd := g.RefreshTokenExpiresAt
	if refreshEnd.IsZero() {
		refreshEnd = now.AddDate(100, 0, 0) // the gateway names an end for every refresh token
	}
	writeJSON(w, map[string]any{
		"access_token": g.AccessToken, "expire_time": g.AccessTokenExpiresAt.UnixMilli(),
		"expires_in":    int64(g.AccessTokenExpiresAt.Sub(now) / time.Second),
		"refresh_token": g.RefreshToken, "refresh_token_valid_time": refreshEnd.UnixMilli(),
		"refresh_expires_in": int64(refreshEnd.Sub(now) / time.Second),
		"seller_id":          p.SellerID, "user_id": p.SellerID, "havana_id": "3000" + p.SellerID,
		"account": "seller@example.com", "account_platform": "seller_center", "user_nick": "test-seller",
		"locale": "en_US", "sp": "ae", "code": "0", "request_id": providertest.RandomHex(6),
	})
}

// query is what the platform reads of a call's JSON business parameter.
type query struct {
	CurrentPage int         `json:"current_page"`
	PageSize    int         `json:"page_size"`
	Status      string      `json:"product_status_type"`
	OrderID     json.Number `json:"order_id"`
}

// businessParams are the business APIs' JSON parameters.
var businessParams = []string{"param_aeop_order_query", "aeop_a_e_product_list_query", "query_dto", "param1"}

func (p *Platform) answer(w http.ResponseWriter, api string, params map[string]string) {
	var q query
	for _, name := range businessParams {
		if v, ok := params[name]; ok {
			if err := json.Unmarshal([]byte(v), &q); err != nil {
				errorReply(w, "InvalidParameter", "Parameter "+name+" is not valid JSON")
				return
			}
		}
	}
	q.CurrentPage = max(q.CurrentPage, 1)
	resp, ok := p.response(api, q)
	if !ok {
		errorReply(w, "InvalidApiPath", "The API "+api+" does not exist")
		return
	}
	writeJSON(w, map[string]any{strings.ReplaceAll(api, ".", "_") + "_response": resp, "request_id": providertest.RandomHex(6)})
}

// response is a business API's response object, or false for an API the platform does not know.
func (p *Platform) response(api string, q query) (map[string]any, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	// list is a page of records, or on the corrupt page something that is not a list.
	list := func(items []map[string]any) any {
		if p.corruptPage == q.CurrentPage {
			return map[string]any{"oops": true}
		}
		return items
	}
	switch api {
	case APIOrderList:
		all, size := p.records[FeatureOrders], p.listSize(q.PageSize)
		items, pages := page(all, q.CurrentPage, size)
		return map[string]any{"result": map[string]any{"success": true, "error_code": "1", "total_page": pages,
			"total_count": len(all), "current_page": q.CurrentPage, "page_size": size,
			"target_list": map[string]any{"aeop_order_item_dto": list(items)}}}, true
	case APIOrderInfo:
		for _, d := range p.records[FeatureFulfillment] {
			if fmt.Sprint(d["id"]) == q.OrderID.String() {
				return map[string]any{"result": map[string]any{"success": true, "data": d}}, true
			}
		}
		return map[string]any{"result": map[string]any{"success": false, "error_code": "ORDER_NOT_FOUND",
			"error_message": "The order does not exist or does not belong to the seller"}}, true
	case APIProductList:
		var all []map[string]any
		if q.Status == "onSelling" {
			all = p.records[FeatureProducts]
		}
		items, pages := page(all, q.CurrentPage, p.listSize(q.PageSize))
		return map[string]any{"result": map[string]any{"success": true, "total_page": pages,
			"product_count": len(all), "current_page": q.CurrentPage,
			"aeop_a_e_product_display_d_t_o_list": map[string]any{"item_display_dto": list(items)}}}, true
	case APIIssueList:
		all, size := p.records[FeatureReturns], q.PageSize
		if size < 1 {
			size = 20
		}
		items, _ := page(all, q.CurrentPage, size)
		return map[string]any{"current_page": q.CurrentPage, "page_size": size, "total_item": len(all),
			"data_list": map[string]any{"issue_api_issue_dto": list(items)}}, true
	}
	return nil, false
}

// listSize is the page size of the order and product lists: the request's, capped at PageSize.
func (p *Platform) listSize(asked int) int {
	size := asked
	if size < 1 {
		size = 20
	}
	if p.PageSize > 0 {
		size = min(size, p.PageSize)
	}
	return size
}

// page cuts page n (from 1) of size records out of all and returns it with the page count.
func page(all []map[string]any, n, size int) ([]map[string]any, int) {
	from, to := min((n-1)*size, len(all)), min(n*size, len(all))
	return all[from:to], (len(all) + size - 1) / size
}

// errorReply writes the gateway's error shape; the gateway answers errors with HTTP 200.
func errorReply(w http.ResponseWriter, code, msg string) {
	writeJSON(w, map[string]any{"error_response": map[string]any{"type": "ISV", "code": code, "msg": msg,
		"request_id": providertest.RandomHex(6)}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

func mustFeature(feature string) {
	for _, f := range features {
		if f == feature {
			return
		}
	}
	panic(fmt.Sprintf("aliexpresstest: unknown feature %q (want products, orders, fulfillment or returns)", feature))
}
