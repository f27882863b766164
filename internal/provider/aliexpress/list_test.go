package aliexpress

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

var since = testNow.Add(-24 * time.Hour)

func TestListOrdersWalksEveryPageInOrder(t *testing.T) {
	g := newFakeGateway(t)
	g.on(apiOrderList, 1, ordersPage(3, "1001", "1002"))
	g.on(apiOrderList, 2, ordersPage(3, "1003", "1004"))
	g.on(apiOrderList, 3, ordersPage(3, "1005"))
	c, _ := newTestClient(t, g)

	var got []string
	until, err := c.ListOrders(context.Background(), since, func(o Order) error {
		got = append(got, o.ID)
		return nil
	})
	if err != nil {
		t.Fatalf("ListOrders: %v", err)
	}
	if want := []string{"1001", "1002", "1003", "1004", "1005"}; !reflect.DeepEqual(got, want) {
		t.Errorf("orders = %v, want %v", got, want)
	}
	if !until.Equal(testNow) {
		t.Errorf("until = %v, want the clock's now %v", until, testNow)
	}

	reqs := g.seen()
	if len(reqs) != 3 {
		t.Fatalf("requests = %d, want 3", len(reqs))
	}
	for i, r := range reqs {
		q := jsonParam(t, r, "param_aeop_order_query")
		want := map[string]any{"current_page": float64(i + 1), "page_size": float64(50),
			// The platform's times are US Pacific: 12:00 UTC is 04:00 PST.
			"modified_date_start": "2026-02-28 04:00:00", "modified_date_end": "2026-03-01 04:00:00"}
		if !reflect.DeepEqual(q, want) {
			t.Errorf("request %d query = %v, want %v", i+1, q, want)
		}
		if r.Path != "/sync" || r.RawQuery != "method=aliexpress.trade.seller.orderlist.get" {
			t.Errorf("request %d URL = %s?%s, want /sync?method=<api> and nothing else", i+1, r.Path, r.RawQuery)
		}
		if r.Form.Get("access_token") != testToken || r.Form.Get("sign") == "" {
			t.Errorf("request %d: token and signature not in the POST form", i+1)
		}
	}
}

func TestListOrdersStopsAtAnEmptyPage(t *testing.T) {
	g := newFakeGateway(t)
	g.on(apiOrderList, 1, ordersPage(5, "1001"))
	g.on(apiOrderList, 2, ordersPage(5))
	c, _ := newTestClient(t, g)
	if _, err := c.ListOrders(context.Background(), since, func(Order) error { return nil }); err != nil {
		t.Fatalf("ListOrders: %v", err)
	}
	if n := len(g.seen()); n != 2 {
		t.Errorf("requests = %d, want 2: an empty page ends the listing whatever total_page says", n)
	}
}

func TestListOrdersMapsFieldsAndKeepsBigIDs(t *testing.T) {
	g := newFakeGateway(t)
	g.on(apiOrderList, 1, reply{body: `{"aliexpress_trade_seller_orderlist_get_response":{"result":{
		"success":true,"error_code":"1","total_page":1,"total_count":1,"current_page":1,"page_size":50,
		"target_list":{"aeop_order_item_dto":[{"order_id":3051234567890123456,"order_status":"WAIT_SELLER_SEND_GOODS",
			"gmt_create":"2026-02-28 10:00:00","gmt_update":"2026-03-01 01:30:00","gmt_pay_time":"2026-02-28 10:05:00",
			"buyer_login_id":"us1234567abc","buyer_signer_fullname":"Jane Doe",
			"pay_amount":{"amount":"25.98","currency_code":"USD"},
			"product_list":{"order_product_dto":[{"product_id":1005003033814656,"product_name":"Mug","sku_code":"MUG-RED",
				"product_count":2,"product_unit_price":{"amount":"12.99","currency_code":"USD"}}]}}]}}},"request_id":"r1"}`})
	c, _ := newTestClient(t, g)

	var got []Order
	if _, err := c.ListOrders(context.Background(), since, func(o Order) error { got = append(got, o); return nil }); err != nil {
		t.Fatalf("ListOrders: %v", err)
	}
	want := []Order{{
		ID: "3051234567890123456", Status: "WAIT_SELLER_SEND_GOODS",
		CreatedAt:    time.Date(2026, 2, 28, 18, 0, 0, 0, time.UTC), // 10:00 PST
		UpdatedAt:    time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC),
		PaidAt:       time.Date(2026, 2, 28, 18, 5, 0, 0, time.UTC),
		BuyerLoginID: "us1234567abc", BuyerName: "Jane Doe", Total: Money{Amount: "25.98", Currency: "USD"},
		Items: []OrderItem{{ProductID: "1005003033814656", Name: "Mug", SKUCode: "MUG-RED", Quantity: 2,
			UnitPrice: Money{Amount: "12.99", Currency: "USD"}}},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("orders =\n%+v\nwant\n%+v", got, want)
	}
}

func TestGetOrderAddsAddressAndShipments(t *testing.T) {
	g := newFakeGateway(t)
	g.on(apiOrderInfo, 0, response(apiOrderInfo, map[string]any{"result": map[string]any{"data": map[string]any{
		"order_status": "WAIT_BUYER_ACCEPT_GOODS", "gmt_create": "2026-02-28 10:00:00", "gmt_modified": "2026-03-01 01:30:00",
		"buyer_signer_fullname": "Jane Doe", "buyer_info": map[string]any{"login_id": "us1234567abc"},
		"order_amount": map[string]any{"amount": "25.98", "currency_code": "USD"},
		"receipt_address": map[string]any{"contact_person": "Jane Doe", "phone_country": "1", "mobile_no": "2135550100",
			"detail_address": "1 Main St", "address2": "Apt 2", "city": "Springfield", "province": "California",
			"zip": "90210", "country": "US"},
		"logistic_info_list": map[string]any{"global_aeop_tp_logistic_info_dto": []any{map[string]any{
			"logistics_no": "LP00123", "logistics_service": "CAINIAO_STANDARD", "receive_status": "not_received",
			"gmt_send": "2026-02-28 20:00:00"}}},
		"child_order_list": map[string]any{"global_aeop_tp_child_order_dto": []any{map[string]any{
			"product_id": 1005003033814656, "product_name": "Mug", "sku_code": "MUG-RED", "product_count": 2,
			"product_price": map[string]any{"amount": "12.99", "currency_code": "USD"}}}},
	}}}))
	c, _ := newTestClient(t, g)

	got, err := c.GetOrder(context.Background(), "3051234567890123456")
	if err != nil {
		t.Fatalf("GetOrder: %v", err)
	}
	want := Order{ID: "3051234567890123456", Status: "WAIT_BUYER_ACCEPT_GOODS",
		CreatedAt: time.Date(2026, 2, 28, 18, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC),
		BuyerLoginID: "us1234567abc", BuyerName: "Jane Doe", Total: Money{Amount: "25.98", Currency: "USD"},
		Items: []OrderItem{{ProductID: "1005003033814656", Name: "Mug", SKUCode: "MUG-RED", Quantity: 2,
			UnitPrice: Money{Amount: "12.99", Currency: "USD"}}},
		ShippingAddress: Address{Name: "Jane Doe", Phone: "+1 2135550100", Line1: "1 Main St", Line2: "Apt 2",
			City: "Springfield", Province: "California", PostalCode: "90210", Country: "US"},
		Shipments: []Shipment{{TrackingNumber: "LP00123", Carrier: "CAINIAO_STANDARD", Status: "not_received",
			ShippedAt: time.Date(2026, 3, 1, 4, 0, 0, 0, time.UTC)}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order =\n%+v\nwant\n%+v", got, want)
	}
	if p := g.seen()[0].Params["param1"]; p != `{"order_id":3051234567890123456}` {
		t.Errorf("param1 = %s, want the ID as a JSON number with every digit", p)
	}
}

func TestGetOrderRejectsNonNumericIDWithoutCalling(t *testing.T) {
	g := newFakeGateway(t)
	c, _ := newTestClient(t, g)
	if _, err := c.GetOrder(context.Background(), `1,"x":2`); err == nil {
		t.Fatal("GetOrder accepted a non-numeric ID")
	}
	if len(g.seen()) != 0 {
		t.Errorf("requests = %d, want none", len(g.seen()))
	}
}

func TestGetOrderWithoutDataReportsThePlatformError(t *testing.T) {
	g := newFakeGateway(t)
	g.on(apiOrderInfo, 0, response(apiOrderInfo, map[string]any{"result": map[string]any{
		"success": false, "error_code": "F00-10-10000-001", "error_message": "account not found"}}))
	c, _ := newTestClient(t, g)

	_, err := c.GetOrder(context.Background(), "1001")
	var e *Error
	if !errors.As(err, &e) || e.Code != "F00-10-10000-001" || e.Kind != nil {
		t.Fatalf("error = %v, want the business error F00-10-10000-001", err)
	}
}

func productsPage(totalPages int, products ...map[string]any) reply {
	return response(apiProductList, map[string]any{"result": map[string]any{"success": true, "total_page": totalPages,
		"product_count": len(products), "aeop_a_e_product_display_d_t_o_list": map[string]any{"item_display_dto": products}}})
}

func TestListProductsWalksEveryStatusAndKeepsTheWindow(t *testing.T) {
	g := newFakeGateway(t)
	product := func(id, modified string) map[string]any {
		return map[string]any{"product_id": id, "subject": "Mug " + id, "gmt_create": "2026-01-01 00:00:00",
			"gmt_modified": modified, "product_min_price": "9.99", "product_max_price": "12.99", "currency_code": "USD"}
	}
	g.on(apiProductList+"/onSelling", 1, productsPage(2, product("1", "2026-02-28 05:00:00"), product("2", "2026-01-15 00:00:00")))
	g.on(apiProductList+"/onSelling", 2, productsPage(2, product("3", "2026-03-01 03:59:59")))
	g.on(apiProductList+"/offline", 1, productsPage(1, product("4", "2026-03-01 04:00:00"))) // at until: next run's
	g.on(apiProductList+"/auditing", 1, productsPage(0))
	g.on(apiProductList+"/editingRequired", 1, productsPage(1, product("5", "")))
	c, _ := newTestClient(t, g)

	var got []string
	if _, err := c.ListProducts(context.Background(), since, func(p Product) error {
		got = append(got, p.ID+"/"+p.Status)
		return nil
	}); err != nil {
		t.Fatalf("ListProducts: %v", err)
	}
	// 2 is older than since; 4 was modified at the bound; 5 has no modification time and is kept.
	if want := []string{"1/onSelling", "3/onSelling", "5/editingRequired"}; !reflect.DeepEqual(got, want) {
		t.Errorf("products = %v, want %v", got, want)
	}
	if n := len(g.seen()); n != 5 {
		t.Errorf("requests = %d, want 5", n)
	}
}

func TestListReturnsPagesByItemCount(t *testing.T) {
	g := newFakeGateway(t)
	issue := func(id string) map[string]any {
		return map[string]any{"issue_id": id, "order_id": 3051234567890123456, "parent_order_id": 3051234567890123456,
			"issue_status": "processing", "reason_english": "Item not received", "buyer_login_id": "us1234567abc",
			"gmt_create": "2026-02-28 06:00:00", "gmt_modified": "2026-02-28 07:00:00"}
	}
	page := func(items ...map[string]any) reply {
		return response(apiIssueList, map[string]any{"current_page": 1, "page_size": 2, "total_item": 3,
			"data_list": map[string]any{"issue_api_issue_dto": items}})
	}
	g.on(apiIssueList, 1, page(issue("11"), issue("12")))
	g.on(apiIssueList, 2, page(issue("13")))
	c, _ := newTestClient(t, g, func(cfg *Config) { cfg.PageSize = 2 })

	var got []Return
	if _, err := c.ListReturns(context.Background(), since, func(r Return) error { got = append(got, r); return nil }); err != nil {
		t.Fatalf("ListReturns: %v", err)
	}
	if len(got) != 3 || len(g.seen()) != 2 {
		t.Fatalf("returns = %d over %d requests, want 3 over 2 (3 items at 2 a page)", len(got), len(g.seen()))
	}
	want := Return{ID: "11", OrderID: "3051234567890123456", ParentOrderID: "3051234567890123456", Status: "processing",
		Reason: "Item not received", BuyerLoginID: "us1234567abc",
		CreatedAt: time.Date(2026, 2, 28, 14, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 2, 28, 15, 0, 0, 0, time.UTC)}
	if !reflect.DeepEqual(got[0], want) {
		t.Errorf("return = %+v, want %+v", got[0], want)
	}
}

func TestListStopsAtCallbackErrorAndReturnsIt(t *testing.T) {
	g := newFakeGateway(t)
	g.on(apiOrderList, 1, ordersPage(2, "1001", "1002"))
	c, _ := newTestClient(t, g)
	stop := errors.New("sink full")

	calls := 0
	until, err := c.ListOrders(context.Background(), since, func(Order) error { calls++; return stop })
	if err != stop || !until.IsZero() || calls != 1 || len(g.seen()) != 1 { //nolint:errorlint // the callback's own error, not wrapped
		t.Fatalf("ListOrders = %v, %v after %d calls and %d requests; want the callback's error, no bound, 1 and 1",
			until, err, calls, len(g.seen()))
	}
}
