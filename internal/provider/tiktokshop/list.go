package tiktokshop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// API paths, version 202309.
const (
	pathShops    = "/authorization/202309/shops"
	pathProducts = "/product/202309/products/search"
	pathOrders   = "/order/202309/orders/search"
	pathPackages = "/fulfillment/202309/packages/search"
	pathReturns  = "/return_refund/202309/returns/search"
)

// AuthorizedShops lists the shops the access token may act for, with the cipher each shop-scoped call needs.
func (c *Client) AuthorizedShops(ctx context.Context) ([]Shop, error) {
	r := call{method: http.MethodGet, path: pathShops}
	data, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	var page struct {
		Shops []wireShop `json:"shops"`
	}
	if err := json.Unmarshal(data, &page); err != nil {
		return nil, &Error{Op: r.op(), Kind: ErrMalformedResponse, Err: err}
	}
	shops := make([]Shop, 0, len(page.Shops))
	for _, s := range page.Shops {
		shops = append(shops, s.record())
	}
	return shops, nil
}

// The List… methods below share a contract. They call fn for every record updated from since (inclusive; the zero
// time means from the beginning) until the client's clock at the start of the listing (exclusive), page by page,
// and return that upper bound: a sync stores it and passes it as since next time, so no update falls between two
// runs. The bound is fixed up front so that records updated during the listing cannot shift pages under it; they
// are picked up next time.
//
// An error from fn stops the listing and is returned unchanged. Any other error is an *Error naming the page.
// until is zero whenever err is not nil. A record may be delivered twice when it changes during a listing; sinks
// should upsert.

// ListProducts lists products of every status.
func (c *Client) ListProducts(ctx context.Context, since time.Time, fn func(Product) error) (until time.Time, err error) {
	until = c.now().Truncate(time.Second)
	// Products filter on an inclusive upper bound (update_time_le), the others on an exclusive one.
	filter := map[string]any{"status": "ALL", "update_time_le": until.Unix() - 1}
	if !since.IsZero() {
		filter["update_time_ge"] = since.Unix()
	}
	err = list(ctx, c, pathProducts, "products", nil, filter, wireProduct.record, fn)
	return boundOrZero(until, err)
}

// ListOrders lists orders, oldest update first.
func (c *Client) ListOrders(ctx context.Context, since time.Time, fn func(Order) error) (until time.Time, err error) {
	until = c.now().Truncate(time.Second)
	err = list(ctx, c, pathOrders, "orders", sortByUpdate(), window(since, until), wireOrder.record, fn)
	return boundOrZero(until, err)
}

// ListPackages lists packages (shipments), oldest update first.
func (c *Client) ListPackages(ctx context.Context, since time.Time, fn func(Package) error) (until time.Time, err error) {
	until = c.now().Truncate(time.Second)
	err = list(ctx, c, pathPackages, "packages", sortByUpdate(), window(since, until), wirePackage.record, fn)
	return boundOrZero(until, err)
}

// ListReturns lists return and refund requests.
func (c *Client) ListReturns(ctx context.Context, since time.Time, fn func(Return) error) (until time.Time, err error) {
	until = c.now().Truncate(time.Second)
	err = list(ctx, c, pathReturns, "return_orders", nil, window(since, until), wireReturn.record, fn)
	return boundOrZero(until, err)
}

// sortByUpdate asks for a stable order, where the API supports sorting.
func sortByUpdate() url.Values {
	return url.Values{"sort_field": {"update_time"}, "sort_order": {"ASC"}}
}

func window(since, until time.Time) map[string]any {
	f := map[string]any{"update_time_lt": until.Unix()}
	if !since.IsZero() {
		f["update_time_ge"] = since.Unix()
	}
	return f
}

func boundOrZero(until time.Time, err error) (time.Time, error) {
	if err != nil {
		return time.Time{}, err
	}
	return until, nil
}

// list walks a token-paginated search: POST path with filter as body, following next_page_token until it is empty.
// items is the data field holding the page's records.
func list[W, T any](ctx context.Context, c *Client, path, items string, query url.Values, filter map[string]any,
	record func(W) T, fn func(T) error) error {
	seen := map[string]bool{}
	token := ""
	for page := 1; ; page++ {
		q := url.Values{"page_size": {strconv.Itoa(c.pageSize)}}
		for k, v := range query {
			q[k] = v
		}
		if token != "" {
			q.Set("page_token", token)
		}
		r := call{method: http.MethodPost, path: path, query: q, body: filter, shop: true, page: page}
		data, err := c.do(ctx, r)
		if err != nil {
			return err
		}
		// The whole page is decoded before fn sees any record, so a corrupt page delivers nothing.
		recs, next, err := decodePage[W](data, items)
		if err != nil {
			return &Error{Op: r.op(), Page: page, Kind: ErrMalformedResponse, Err: err}
		}
		for _, w := range recs {
			if err := fn(record(w)); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		// A token seen before would loop forever; a platform bug, but the sync must end.
		if seen[next] {
			return &Error{Op: r.op(), Page: page, Kind: ErrMalformedResponse,
				Err: errors.New("next_page_token repeats an earlier page")}
		}
		seen[next] = true
		token = next
	}
}

func decodePage[W any](data json.RawMessage, items string) ([]W, string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, "", fmt.Errorf("data: %w", err)
	}
	var next string
	if raw, ok := fields["next_page_token"]; ok {
		if err := json.Unmarshal(raw, &next); err != nil {
			return nil, "", fmt.Errorf("next_page_token: %w", err)
		}
	}
	var recs []W
	if raw, ok := fields[items]; ok {
		if err := json.Unmarshal(raw, &recs); err != nil {
			return nil, "", fmt.Errorf("%s: %w", items, err)
		}
	}
	return recs, next, nil
}
