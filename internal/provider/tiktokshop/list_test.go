package tiktokshop

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"
)

var since = testNow.Add(-24 * time.Hour)

func TestListOrdersWalksEveryPageInOrder(t *testing.T) {
	f := newFakePlatform(t)
	f.on(pathOrders, "", ordersPage("p2", "o1", "o2"))
	f.on(pathOrders, "p2", ordersPage("p3", "o3", "o4"))
	f.on(pathOrders, "p3", ordersPage("", "o5"))
	c, _ := newTestClient(t, f)

	var got []string
	until, err := c.ListOrders(context.Background(), since, func(o Order) error {
		got = append(got, o.ID)
		return nil
	})
	if err != nil {
		t.Fatalf("ListOrders: %v", err)
	}
	if want := []string{"o1", "o2", "o3", "o4", "o5"}; !reflect.DeepEqual(got, want) {
		t.Errorf("orders = %v, want %v", got, want)
	}
	if !until.Equal(testNow) {
		t.Errorf("until = %v, want the clock's now %v", until, testNow)
	}

	reqs := f.seen()
	if len(reqs) != 3 {
		t.Fatalf("requests = %d, want 3", len(reqs))
	}
	for i, wantToken := range []string{"", "p2", "p3"} {
		r := reqs[i]
		if r.Method != http.MethodPost || r.Query.Get("page_token") != wantToken || r.Query.Get("page_size") != "50" ||
			r.Query.Get("sort_field") != "update_time" || r.Query.Get("sort_order") != "ASC" {
			t.Errorf("request %d = %s %v, want POST page_token %q page_size 50 sorted by update_time", i+1, r.Method, r.Query, wantToken)
		}
		var filter map[string]int64
		if err := json.Unmarshal([]byte(r.Body), &filter); err != nil {
			t.Fatalf("request %d body %q: %v", i+1, r.Body, err)
		}
		if want := map[string]int64{"update_time_ge": since.Unix(), "update_time_lt": testNow.Unix()}; !reflect.DeepEqual(filter, want) {
			t.Errorf("request %d filter = %v, want %v", i+1, filter, want)
		}
	}
}

func TestListOrdersFromTheBeginningSendsNoLowerBound(t *testing.T) {
	f := newFakePlatform(t)
	f.on(pathOrders, "", ordersPage("", "o1"))
	c, _ := newTestClient(t, f)
	if _, err := c.ListOrders(context.Background(), time.Time{}, func(Order) error { return nil }); err != nil {
		t.Fatalf("ListOrders: %v", err)
	}
	if body := f.seen()[0].Body; body != `{"update_time_lt":1772366400}` {
		t.Errorf("filter = %s, want only the upper bound", body)
	}
}

func TestListOrdersMapsPersonalAndFulfillmentFields(t *testing.T) {
	f := newFakePlatform(t)
	f.on(pathOrders, "", reply{body: `{"code":0,"message":"Success","request_id":"r1","data":{"total_count":1,"next_page_token":"",
		"orders":[{"id":"576461413038785752","status":"IN_TRANSIT","create_time":1772280000,"update_time":1772366000,
		"paid_time":1772280060,"user_id":"7021436810468230477","buyer_email":"v2abc@scs.tiktokw.us",
		"tracking_number":"TT123","shipping_provider":"USPS",
		"recipient_address":{"name":"Jane Doe","phone_number":"(+1)213-***-1234","full_address":"1 Main St, Springfield",
			"address_line1":"1 Main St","address_line2":"Apt 2","postal_code":"90210","region_code":"US"},
		"payment":{"currency":"USD","total_amount":"25.98"},
		"line_items":[{"id":"li1","product_id":"p1","sku_id":"s1","seller_sku":"MUG-RED","product_name":"Mug",
			"sale_price":"12.99","currency":"USD","package_id":"pk1","display_status":"IN_TRANSIT"}],
		"packages":[{"id":"pk1"}]}]}}`})
	c, _ := newTestClient(t, f)

	var got []Order
	if _, err := c.ListOrders(context.Background(), since, func(o Order) error { got = append(got, o); return nil }); err != nil {
		t.Fatalf("ListOrders: %v", err)
	}
	want := []Order{{
		ID: "576461413038785752", Status: "IN_TRANSIT",
		CreatedAt: time.Unix(1772280000, 0).UTC(), UpdatedAt: time.Unix(1772366000, 0).UTC(), PaidAt: time.Unix(1772280060, 0).UTC(),
		BuyerUserID: "7021436810468230477", BuyerEmail: "v2abc@scs.tiktokw.us",
		ShippingAddress: Address{Name: "Jane Doe", Phone: "(+1)213-***-1234", FullAddress: "1 Main St, Springfield",
			Line1: "1 Main St", Line2: "Apt 2", PostalCode: "90210", RegionCode: "US"},
		Total: Money{Amount: "25.98", Currency: "USD"},
		LineItems: []LineItem{{ID: "li1", ProductID: "p1", SKUID: "s1", SellerSKU: "MUG-RED", ProductName: "Mug",
			SalePrice: Money{Amount: "12.99", Currency: "USD"}, PackageID: "pk1", Status: "IN_TRANSIT"}},
		PackageIDs: []string{"pk1"}, TrackingNumber: "TT123", ShippingProvider: "USPS",
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("orders =\n%+v\nwant\n%+v", got, want)
	}
}

func TestListProductsAsksForEveryStatusWithInclusiveBound(t *testing.T) {
	f := newFakePlatform(t)
	f.on(pathProducts, "", reply{body: `{"code":0,"data":{"next_page_token":"","total_count":1,"products":[
		{"id":"1729","title":"Mug","status":"ACTIVATE","create_time":1772000000,"update_time":1772300000,
		 "skus":[{"id":"s1","seller_sku":"MUG-RED","price":{"currency":"USD","sale_price":"12.99"},
		          "inventory":[{"quantity":3,"warehouse_id":"w1"},{"quantity":4,"warehouse_id":"w2"}]}]}]}}`})
	c, _ := newTestClient(t, f)

	var got []Product
	if _, err := c.ListProducts(context.Background(), since, func(p Product) error { got = append(got, p); return nil }); err != nil {
		t.Fatalf("ListProducts: %v", err)
	}
	want := []Product{{ID: "1729", Title: "Mug", Status: "ACTIVATE",
		CreatedAt: time.Unix(1772000000, 0).UTC(), UpdatedAt: time.Unix(1772300000, 0).UTC(),
		SKUs: []SKU{{ID: "s1", SellerSKU: "MUG-RED", Price: Money{Amount: "12.99", Currency: "USD"}, Quantity: 7}}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("products = %+v, want %+v", got, want)
	}
	var filter map[string]any
	_ = json.Unmarshal([]byte(f.seen()[0].Body), &filter)
	if filter["status"] != "ALL" || filter["update_time_le"] != float64(testNow.Unix()-1) || filter["update_time_ge"] != float64(since.Unix()) {
		t.Errorf("filter = %v, want status ALL and [since, now-1s]", filter)
	}
	if q := f.seen()[0].Query; q.Has("sort_field") {
		t.Errorf("products search sent sort_field %q, which it does not take", q.Get("sort_field"))
	}
}

func TestListPackagesMapsShipments(t *testing.T) {
	f := newFakePlatform(t)
	f.on(pathPackages, "", reply{body: `{"code":0,"data":{"next_page_token":"","packages":[
		{"id":"pk1","status":"FULFILLING","order_line_item_ids":["li1","li2"],"orders":[{"id":"o1"}],
		 "tracking_number":"1Z999","shipping_provider_id":"sp1","shipping_provider_name":"UPS",
		 "create_time":1772300000,"update_time":1772360000}]}}`})
	c, _ := newTestClient(t, f)

	var got []Package
	if _, err := c.ListPackages(context.Background(), since, func(p Package) error { got = append(got, p); return nil }); err != nil {
		t.Fatalf("ListPackages: %v", err)
	}
	want := []Package{{ID: "pk1", Status: "FULFILLING", OrderIDs: []string{"o1"}, LineItemIDs: []string{"li1", "li2"},
		TrackingNumber: "1Z999", ShippingProviderID: "sp1", ShippingProviderName: "UPS",
		CreatedAt: time.Unix(1772300000, 0).UTC(), UpdatedAt: time.Unix(1772360000, 0).UTC()}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("packages = %+v, want %+v", got, want)
	}
}

func TestListReturnsMapsRefunds(t *testing.T) {
	f := newFakePlatform(t)
	f.on(pathReturns, "", reply{body: `{"code":0,"data":{"next_page_token":"r2","return_orders":[
		{"return_id":"rt1","order_id":"o1","return_status":"AWAITING_BUYER_SHIP","return_type":"RETURN_AND_REFUND",
		 "return_reason":"damaged","return_tracking_number":"RT9","create_time":1772300000,"update_time":1772360000,
		 "refund_amount":{"currency":"USD","refund_total":"12.99"},"return_line_items":[{"order_line_item_id":"li1"}]}]}}`})
	f.on(pathReturns, "r2", ok(map[string]any{"return_orders": []any{}}))
	c, _ := newTestClient(t, f)

	var got []Return
	if _, err := c.ListReturns(context.Background(), since, func(r Return) error { got = append(got, r); return nil }); err != nil {
		t.Fatalf("ListReturns: %v", err)
	}
	want := []Return{{ID: "rt1", OrderID: "o1", Status: "AWAITING_BUYER_SHIP", Type: "RETURN_AND_REFUND", Reason: "damaged",
		Refund: Money{Amount: "12.99", Currency: "USD"}, TrackingNumber: "RT9", LineItemIDs: []string{"li1"},
		CreatedAt: time.Unix(1772300000, 0).UTC(), UpdatedAt: time.Unix(1772360000, 0).UTC()}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("returns = %+v, want %+v", got, want)
	}
	if n := len(f.seen()); n != 2 {
		t.Errorf("requests = %d, want 2 (an empty last page ends the listing)", n)
	}
}

func TestAuthorizedShopsIsASignedGetWithoutCipher(t *testing.T) {
	f := newFakePlatform(t)
	f.on(pathShops, "", ok(map[string]any{"shops": []map[string]any{
		{"id": "7494", "name": "Demo", "region": "GB", "cipher": "GCP_x", "code": "GBLC", "seller_type": "LOCAL"}}}))
	c, _ := newTestClient(t, f)

	shops, err := c.AuthorizedShops(context.Background())
	if err != nil {
		t.Fatalf("AuthorizedShops: %v", err)
	}
	if want := []Shop{{ID: "7494", Name: "Demo", Region: "GB", Cipher: "GCP_x", Code: "GBLC", SellerType: "LOCAL"}}; !reflect.DeepEqual(shops, want) {
		t.Errorf("shops = %+v, want %+v", shops, want)
	}
	if r := f.seen()[0]; r.Method != http.MethodGet || r.Body != "" {
		t.Errorf("request = %s with body %q, want GET without body", r.Method, r.Body)
	}
}

func TestListStopsAtCallbackErrorAndReturnsIt(t *testing.T) {
	f := newFakePlatform(t)
	f.on(pathOrders, "", ordersPage("p2", "o1", "o2"))
	f.on(pathOrders, "p2", ordersPage("", "o3"))
	c, _ := newTestClient(t, f)
	stop := errors.New("sink full")

	calls := 0
	until, err := c.ListOrders(context.Background(), since, func(Order) error { calls++; return stop })
	if err != stop || !until.IsZero() { //nolint:errorlint // the callback's error unchanged, not wrapped
		t.Fatalf("ListOrders = %v, %v; want the callback's error unchanged and no bound", until, err)
	}
	if calls != 1 || len(f.seen()) != 1 {
		t.Errorf("callback calls = %d, requests = %d; want 1 and 1", calls, len(f.seen()))
	}
}
