package aliexpresstest

import (
	"encoding/json"
	"strings"
	"time"

	// The platform's times are US Pacific; a minimal image may ship no zoneinfo.
	_ "time/tzdata"

	"github.com/alitok/workspace-operator/internal/provider/providertest"
)

// pacific is the zone of the platform's "yyyy-MM-dd HH:mm:ss" times.
var pacific = func() *time.Location {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		panic(err) // time/tzdata is embedded
	}
	return loc
}()

// Time formats t as the platform does: US Pacific wall-clock time.
func Time(t time.Time) string { return t.In(pacific).Format("2006-01-02 15:04:05") }

// Buyer is a shopper of the fake seller: the identity its orders, order details and disputes carry.
type Buyer struct {
	// LoginID is the buyer's AliExpress login ID.
	LoginID string
	// Name is the buyer's full name, also the recipient of the shipping address.
	Name string
}

// NewBuyer returns a buyer with a random login ID, named after name ("alice" → "Alice Example").
func NewBuyer(name string) Buyer {
	return Buyer{LoginID: "de" + providertest.RandomDigits(10) + providertest.RandomHex(2), Name: strings.ToUpper(name[:1]) + name[1:] + " Example"}
}

// Order is an order list item of b as aliexpress.trade.seller.orderlist.get returns it, placed an hour before
// updated and paid: the buyer's login ID and name, the amount paid and one product. id is decimal digits; it
// goes out as a JSON number, as the platform sends it.
func Order(id string, b Buyer, status string, updated time.Time) map[string]any {
	return map[string]any{
		"order_id": json.Number(id), "order_status": status, "gmt_create": Time(updated.Add(-time.Hour)),
		"gmt_update": Time(updated), "gmt_pay_time": Time(updated.Add(-55 * time.Minute)),
		"buyer_login_id": b.LoginID, "buyer_signer_fullname": b.Name,
		"pay_amount": map[string]any{"amount": "3.50", "currency_code": "USD"},
		"product_list": map[string]any{"order_product_dto": []map[string]any{{"product_id": json.Number("1005001000000001"),
			"product_name": "Lamp", "sku_code": "LAMP-1", "product_count": 1,
			"product_unit_price": map[string]any{"amount": "3.50", "currency_code": "USD"}}}},
	}
}

// OrderDetail is the details of order id as aliexpress.solution.order.info.get returns them: the buyer, the
// shipping address in Berlin and one shipment, tracking number "LP" + id, sent half an hour before updated.
func OrderDetail(id string, b Buyer, status string, updated time.Time) map[string]any {
	return map[string]any{
		"id": json.Number(id), "order_status": status, "gmt_create": Time(updated.Add(-time.Hour)),
		"gmt_modified": Time(updated), "buyer_signer_fullname": b.Name,
		"buyer_info":   map[string]any{"login_id": b.LoginID},
		"order_amount": map[string]any{"amount": "3.50", "currency_code": "USD"},
		"receipt_address": map[string]any{"contact_person": b.Name, "phone_country": "49", "mobile_no": "301234567",
			"detail_address": "Main St 1", "address2": "", "city": "Berlin", "province": "Berlin", "zip": "10115",
			"country": "DE"},
		"logistic_info_list": map[string]any{"global_aeop_tp_logistic_info_dto": []map[string]any{{
			"logistics_no": "LP" + id, "logistics_service": "CAINIAO_STANDARD", "receive_status": "not_received",
			"gmt_send": Time(updated.Add(-30 * time.Minute))}}},
		"child_order_list": map[string]any{"global_aeop_tp_child_order_dto": []map[string]any{{
			"product_id": json.Number("1005001000000001"), "product_name": "Lamp", "sku_code": "LAMP-1",
			"product_count": 1, "product_price": map[string]any{"amount": "3.50", "currency_code": "USD"}}}},
	}
}

// Product is a product as aliexpress.solution.product.list.get returns it, priced 12.5 to 15 USD. id is
// decimal digits.
func Product(id, subject string, updated time.Time) map[string]any {
	return map[string]any{
		"product_id": json.Number(id), "subject": subject, "gmt_create": Time(updated.Add(-24 * time.Hour)),
		"gmt_modified": Time(updated), "product_min_price": "12.5", "product_max_price": "15",
		"currency_code": "USD",
	}
}

// Issue is a dispute of b over orderID as aliexpress.issue.issuelist.get returns it: status is processing,
// canceled_issue or finish. id and orderID are decimal digits.
func Issue(id, orderID string, b Buyer, status string, updated time.Time) map[string]any {
	return map[string]any{
		"issue_id": json.Number(id), "order_id": json.Number(orderID), "parent_order_id": json.Number(orderID),
		"issue_status": status, "reason_english": "not received", "buyer_login_id": b.LoginID,
		"gmt_create": Time(updated.Add(-time.Hour)), "gmt_modified": Time(updated),
	}
}

// AddOrder adds an order of b: Order(id, b, status, updated) to the order list and
// OrderDetail(id, b, status, updated) to the details, which the fulfillment feature reads.
func (p *Platform) AddOrder(id string, b Buyer, status string, updated time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.records[FeatureOrders] = append(p.records[FeatureOrders], Order(id, b, status, updated))
	p.records[FeatureFulfillment] = append(p.records[FeatureFulfillment], OrderDetail(id, b, status, updated))
}

// AddProduct adds Product(id, subject, updated) to the products on sale.
func (p *Platform) AddProduct(id, subject string, updated time.Time) {
	p.add(FeatureProducts, Product(id, subject, updated))
}

// AddIssue adds Issue(id, orderID, b, status, updated) to the disputes, which the returns feature reads.
func (p *Platform) AddIssue(id, orderID string, b Buyer, status string, updated time.Time) {
	p.add(FeatureReturns, Issue(id, orderID, b, status, updated))
}
