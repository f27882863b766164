package aliexpress

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"
)

// Business APIs.
const (
	apiOrderList   = "aliexpress.trade.seller.orderlist.get"
	apiOrderInfo   = "aliexpress.solution.order.info.get"
	apiProductList = "aliexpress.solution.product.list.get"
	apiIssueList   = "aliexpress.issue.issuelist.get"
)

// maxPages stops a listing whose page count never ends; at 50 a page that is half a million records.
const maxPages = 10000

// productStatuses are the product_status_type values ListProducts walks: the API lists one status at a time.
var productStatuses = []string{"onSelling", "offline", "auditing", "editingRequired"}

// The List… methods share a contract. They call fn for every record updated from since (inclusive; the zero time
// means from the beginning) until the client's clock at the start of the listing, page by page, and return that
// upper bound: a sync stores it and passes it as since next time, so no update falls between two runs. Records
// updated during the listing are picked up next time.
//
// An error from fn stops the listing and is returned unchanged. Any other error is an *Error naming the page.
// until is zero whenever err is not nil. A record may be delivered twice when it changes during a listing; sinks
// should upsert.

// ListOrders lists orders; the platform filters them by modification time.
func (c *Client) ListOrders(ctx context.Context, since time.Time, fn func(Order) error) (until time.Time, err error) {
	until = c.now().Truncate(time.Second)
	query := map[string]any{"modified_date_end": formatTime(c.loc, until)}
	if !since.IsZero() {
		query["modified_date_start"] = formatTime(c.loc, since)
	}
	err = walk(ctx, c, listing[wireOrder, Order]{
		api: apiOrderList, param: "param_aeop_order_query", query: query,
		decode: func(resp json.RawMessage) (page[wireOrder], error) {
			var r struct {
				Result struct {
					resultStatus
					TotalPage  flexString `json:"total_page"`
					TargetList struct {
						Items []wireOrder `json:"aeop_order_item_dto"`
					} `json:"target_list"`
				} `json:"result"`
			}
			if err := json.Unmarshal(resp, &r); err != nil {
				return page[wireOrder]{}, err
			}
			pages, err := count("total_page", r.Result.TotalPage)
			return page[wireOrder]{items: r.Result.TargetList.Items, pages: pages, status: r.Result.resultStatus}, err
		},
		record: func(w wireOrder) (Order, error) { return w.record(c.loc) },
	}, fn)
	return boundOrZero(until, err)
}

// ListProducts lists products of every status. The list API has no modification-time filter, so every product is
// fetched and those modified outside [since, until) are skipped here.
func (c *Client) ListProducts(ctx context.Context, since time.Time, fn func(Product) error) (until time.Time, err error) {
	until = c.now().Truncate(time.Second)
	for _, status := range productStatuses {
		err = walk(ctx, c, listing[wireProduct, Product]{
			api: apiProductList, op: apiProductList + " (" + status + ")", param: "aeop_a_e_product_list_query",
			query: map[string]any{"product_status_type": status},
			decode: func(resp json.RawMessage) (page[wireProduct], error) {
				var r struct {
					Result struct {
						resultStatus
						TotalPage flexString `json:"total_page"`
						List      struct {
							Items []wireProduct `json:"item_display_dto"`
						} `json:"aeop_a_e_product_display_d_t_o_list"`
					} `json:"result"`
				}
				if err := json.Unmarshal(resp, &r); err != nil {
					return page[wireProduct]{}, err
				}
				pages, err := count("total_page", r.Result.TotalPage)
				return page[wireProduct]{items: r.Result.List.Items, pages: pages, status: r.Result.resultStatus}, err
			},
			record: func(w wireProduct) (Product, error) { return w.record(c.loc, status) },
			keep:   func(p Product) bool { return inWindow(p.UpdatedAt, since, until) },
		}, fn)
		if err != nil {
			return time.Time{}, err
		}
	}
	return until, nil
}

// ListReturns lists disputes (issues). The issue list has no modification-time filter either; issues modified
// outside [since, until) are skipped here.
func (c *Client) ListReturns(ctx context.Context, since time.Time, fn func(Return) error) (until time.Time, err error) {
	until = c.now().Truncate(time.Second)
	err = walk(ctx, c, listing[wireIssue, Return]{
		api: apiIssueList, param: "query_dto", query: map[string]any{},
		decode: func(resp json.RawMessage) (page[wireIssue], error) {
			var r struct {
				TotalItem flexString `json:"total_item"`
				DataList  struct {
					Items []wireIssue `json:"issue_api_issue_dto"`
				} `json:"data_list"`
			}
			if err := json.Unmarshal(resp, &r); err != nil {
				return page[wireIssue]{}, err
			}
			total, err := count("total_item", r.TotalItem)
			// This API counts records, not pages.
			return page[wireIssue]{items: r.DataList.Items, pages: (total + c.pageSize - 1) / c.pageSize}, err
		},
		record: func(w wireIssue) (Return, error) { return w.record(c.loc) },
		keep:   func(r Return) bool { return inWindow(r.UpdatedAt, since, until) },
	}, fn)
	return boundOrZero(until, err)
}

// GetOrder fetches one order with its shipping address and shipments, which the order list does not carry.
func (c *Client) GetOrder(ctx context.Context, orderID string) (Order, error) {
	op := apiOrderInfo + " " + orderID
	if _, err := strconv.ParseUint(orderID, 10, 64); err != nil {
		return Order{}, &Error{Op: op, Err: errors.New("order ID must be decimal digits")}
	}
	// The ID goes out as a JSON number, as the API wants; json.Number keeps all its digits.
	param, err := json.Marshal(map[string]any{"order_id": json.Number(orderID)})
	if err != nil {
		return Order{}, &Error{Op: op, Err: err}
	}
	resp, err := c.do(ctx, call{api: apiOrderInfo, op: op, params: map[string]string{"param1": string(param)}})
	if err != nil {
		return Order{}, err
	}
	var r struct {
		Result struct {
			resultStatus
			Data *wireOrderDetail `json:"data"`
		} `json:"result"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		return Order{}, &Error{Op: op, Kind: ErrMalformedResponse, Err: err}
	}
	if e := c.resultError(op, 0, r.Result.resultStatus); e != nil {
		return Order{}, e
	}
	if r.Result.Data == nil {
		return Order{}, &Error{Op: op, Kind: ErrMalformedResponse, Err: errors.New("result has no data")}
	}
	o, err := r.Result.Data.record(orderID, c.loc)
	if err != nil {
		return Order{}, &Error{Op: op, Kind: ErrMalformedResponse, Err: err}
	}
	return o, nil
}

// resultStatus is the outcome a result object reports besides the gateway's: business failures (an unknown
// account, a bad filter) arrive as HTTP 200 with success false.
type resultStatus struct {
	Success      *bool      `json:"success"`
	ErrorCode    flexString `json:"error_code"`
	ErrorMessage string     `json:"error_message"`
}

func (c *Client) resultError(op string, pageNo int, s resultStatus) error {
	if s.Success == nil || *s.Success {
		return nil
	}
	return &Error{Op: op, Page: pageNo, Code: c.scrub(string(s.ErrorCode)), Message: c.scrub(s.ErrorMessage)}
}

// listing describes a page-numbered list API.
type listing[W, T any] struct {
	api string
	// op names the listing in errors; api when empty.
	op string
	// param is the business parameter holding the JSON query; query is its content but for the page fields.
	param string
	query map[string]any
	// decode reads one page of the API response object.
	decode func(json.RawMessage) (page[W], error)
	// record converts a wire record; keep, when set, drops records outside the listing's window.
	record func(W) (T, error)
	keep   func(T) bool
}

func (l listing[W, T]) name() string { return call{api: l.api, op: l.op}.name() }

type page[W any] struct {
	items  []W
	pages  int
	status resultStatus
}

// walk fetches pages 1, 2, … until the reported page count or an empty page, delivering each page's records to fn.
func walk[W, T any](ctx context.Context, c *Client, l listing[W, T], fn func(T) error) error {
	for n := 1; n <= maxPages; n++ {
		q := maps.Clone(l.query)
		q["current_page"] = n
		q["page_size"] = c.pageSize
		param, err := json.Marshal(q)
		if err != nil {
			return &Error{Op: l.name(), Page: n, Err: err}
		}
		r := call{api: l.api, op: l.name(), params: map[string]string{l.param: string(param)}, page: n}
		resp, err := c.do(ctx, r)
		if err != nil {
			return err
		}
		p, err := l.decode(resp)
		if err != nil {
			return &Error{Op: r.name(), Page: n, Kind: ErrMalformedResponse, Err: err}
		}
		if err := c.resultError(r.name(), n, p.status); err != nil {
			return err
		}
		// The whole page is converted before fn sees any record, so a corrupt page delivers nothing.
		recs := make([]T, 0, len(p.items))
		for _, w := range p.items {
			t, err := l.record(w)
			if err != nil {
				return &Error{Op: r.name(), Page: n, Kind: ErrMalformedResponse, Err: err}
			}
			if l.keep == nil || l.keep(t) {
				recs = append(recs, t)
			}
		}
		for _, t := range recs {
			if err := fn(t); err != nil {
				return err
			}
		}
		if len(p.items) == 0 || n >= p.pages {
			return nil
		}
	}
	return &Error{Op: l.name(), Page: maxPages, Kind: ErrMalformedResponse, Err: fmt.Errorf("more than %d pages", maxPages)}
}

// count reads a non-negative count; absent counts as zero.
func count(field string, v flexString) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(string(v))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s: %.20q is not a count", field, string(v))
	}
	return n, nil
}

// inWindow reports whether a record modified at t belongs to the listing [since, until). A record without a
// modification time is kept: dropping it could lose it for good.
func inWindow(t, since, until time.Time) bool {
	return t.IsZero() || (!t.Before(since) && t.Before(until))
}

func boundOrZero(until time.Time, err error) (time.Time, error) {
	if err != nil {
		return time.Time{}, err
	}
	return until, nil
}
