package aliexpress

import (
	"fmt"
	"time"
)

// The records below keep what a sync needs, not every field the API returns. Fields marked "Personal data" identify
// or locate a buyer; the storage layer pseudonymizes them.

// Money is an amount as the platform sends it: a decimal string, so no precision is lost to floating point.
type Money struct {
	Amount   string
	Currency string
}

// Product is a listing.
type Product struct {
	ID      string
	Subject string
	// Status is the product_status_type it was listed under: onSelling, offline, auditing or editingRequired.
	Status    string
	MinPrice  Money
	MaxPrice  Money
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Order is a buyer's order. ListOrders fills the summary; GetOrder adds ShippingAddress and Shipments.
type Order struct {
	ID        string
	Status    string
	CreatedAt time.Time
	UpdatedAt time.Time
	PaidAt    time.Time
	// BuyerLoginID is the buyer's AliExpress login ID. Personal data.
	BuyerLoginID string
	// BuyerName is the buyer's full name. Personal data.
	BuyerName string
	Total     Money
	Items     []OrderItem
	// ShippingAddress is filled by GetOrder only. Personal data.
	ShippingAddress Address
	// Shipments are filled by GetOrder only.
	Shipments []Shipment
}

// OrderItem is one product line of an order.
type OrderItem struct {
	ProductID string
	Name      string
	SKUCode   string
	Quantity  int
	UnitPrice Money
}

// Address is a shipping address. Every field is personal data.
type Address struct {
	Name       string
	Phone      string
	Line1      string
	Line2      string
	City       string
	Province   string
	PostalCode string
	Country    string
}

// Shipment is a parcel sent for an order: the fulfillment record.
type Shipment struct {
	TrackingNumber string
	// Carrier is the logistics service, e.g. CAINIAO_STANDARD.
	Carrier   string
	Status    string
	ShippedAt time.Time
}

// Return is a dispute ("issue"): the buyer's claim for a refund or return.
type Return struct {
	ID            string
	OrderID       string
	ParentOrderID string
	// Status is processing, canceled_issue or finish.
	Status string
	Reason string
	// BuyerLoginID is the buyer's AliExpress login ID. Personal data.
	BuyerLoginID string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Wire shapes. Lists are wrapped in an object named after the element type, e.g.
// {"target_list": {"aeop_order_item_dto": [...]}}.

type wireMoney struct {
	Amount       flexString `json:"amount"`
	CurrencyCode string     `json:"currency_code"`
}

func (m wireMoney) money() Money { return Money{Amount: string(m.Amount), Currency: m.CurrencyCode} }

type wireOrder struct {
	OrderID             flexString `json:"order_id"`
	OrderStatus         string     `json:"order_status"`
	GmtCreate           string     `json:"gmt_create"`
	GmtUpdate           string     `json:"gmt_update"`
	GmtPayTime          string     `json:"gmt_pay_time"`
	BuyerLoginID        string     `json:"buyer_login_id"`
	BuyerSignerFullname string     `json:"buyer_signer_fullname"`
	PayAmount           wireMoney  `json:"pay_amount"`
	ProductList         struct {
		Items []struct {
			ProductID        flexString `json:"product_id"`
			ProductName      string     `json:"product_name"`
			SKUCode          string     `json:"sku_code"`
			ProductCount     int        `json:"product_count"`
			ProductUnitPrice wireMoney  `json:"product_unit_price"`
		} `json:"order_product_dto"`
	} `json:"product_list"`
}

func (w wireOrder) record(loc *time.Location) (Order, error) {
	o := Order{ID: string(w.OrderID), Status: w.OrderStatus, BuyerLoginID: w.BuyerLoginID,
		BuyerName: w.BuyerSignerFullname, Total: w.PayAmount.money()}
	var err error
	if o.CreatedAt, err = parseTime(loc, "gmt_create", w.GmtCreate); err != nil {
		return Order{}, err
	}
	if o.UpdatedAt, err = parseTime(loc, "gmt_update", w.GmtUpdate); err != nil {
		return Order{}, err
	}
	if o.PaidAt, err = parseTime(loc, "gmt_pay_time", w.GmtPayTime); err != nil {
		return Order{}, err
	}
	for _, p := range w.ProductList.Items {
		o.Items = append(o.Items, OrderItem{ProductID: string(p.ProductID), Name: p.ProductName, SKUCode: p.SKUCode,
			Quantity: p.ProductCount, UnitPrice: p.ProductUnitPrice.money()})
	}
	return o, nil
}

// wireOrderDetail is aliexpress.solution.order.info.get's result.data.
type wireOrderDetail struct {
	OrderStatus         string    `json:"order_status"`
	GmtCreate           string    `json:"gmt_create"`
	GmtModified         string    `json:"gmt_modified"`
	BuyerSignerFullname string    `json:"buyer_signer_fullname"`
	OrderAmount         wireMoney `json:"order_amount"`
	BuyerInfo           struct {
		LoginID string `json:"login_id"`
	} `json:"buyer_info"`
	ReceiptAddress struct {
		ContactPerson string `json:"contact_person"`
		PhoneCountry  string `json:"phone_country"`
		MobileNo      string `json:"mobile_no"`
		DetailAddress string `json:"detail_address"`
		Address2      string `json:"address2"`
		City          string `json:"city"`
		Province      string `json:"province"`
		Zip           string `json:"zip"`
		Country       string `json:"country"`
	} `json:"receipt_address"`
	LogisticInfoList struct {
		Items []struct {
			LogisticsNo      string `json:"logistics_no"`
			LogisticsService string `json:"logistics_service"`
			ReceiveStatus    string `json:"receive_status"`
			GmtSend          string `json:"gmt_send"`
		} `json:"global_aeop_tp_logistic_info_dto"`
	} `json:"logistic_info_list"`
	ChildOrderList struct {
		Items []struct {
			ProductID    flexString `json:"product_id"`
			ProductName  string     `json:"product_name"`
			SKUCode      string     `json:"sku_code"`
			ProductCount int        `json:"product_count"`
			ProductPrice wireMoney  `json:"product_price"`
		} `json:"global_aeop_tp_child_order_dto"`
	} `json:"child_order_list"`
}

func (w wireOrderDetail) record(id string, loc *time.Location) (Order, error) {
	a := w.ReceiptAddress
	phone := a.MobileNo
	if a.PhoneCountry != "" && phone != "" {
		phone = "+" + a.PhoneCountry + " " + phone
	}
	o := Order{ID: id, Status: w.OrderStatus, BuyerLoginID: w.BuyerInfo.LoginID, BuyerName: w.BuyerSignerFullname,
		Total: w.OrderAmount.money(),
		ShippingAddress: Address{Name: a.ContactPerson, Phone: phone, Line1: a.DetailAddress, Line2: a.Address2,
			City: a.City, Province: a.Province, PostalCode: a.Zip, Country: a.Country}}
	var err error
	if o.CreatedAt, err = parseTime(loc, "gmt_create", w.GmtCreate); err != nil {
		return Order{}, err
	}
	if o.UpdatedAt, err = parseTime(loc, "gmt_modified", w.GmtModified); err != nil {
		return Order{}, err
	}
	for _, l := range w.LogisticInfoList.Items {
		s := Shipment{TrackingNumber: l.LogisticsNo, Carrier: l.LogisticsService, Status: l.ReceiveStatus}
		if s.ShippedAt, err = parseTime(loc, "gmt_send", l.GmtSend); err != nil {
			return Order{}, err
		}
		o.Shipments = append(o.Shipments, s)
	}
	for _, p := range w.ChildOrderList.Items {
		o.Items = append(o.Items, OrderItem{ProductID: string(p.ProductID), Name: p.ProductName, SKUCode: p.SKUCode,
			Quantity: p.ProductCount, UnitPrice: p.ProductPrice.money()})
	}
	return o, nil
}

type wireProduct struct {
	ProductID       flexString `json:"product_id"`
	Subject         string     `json:"subject"`
	GmtCreate       string     `json:"gmt_create"`
	GmtModified     string     `json:"gmt_modified"`
	ProductMinPrice flexString `json:"product_min_price"`
	ProductMaxPrice flexString `json:"product_max_price"`
	CurrencyCode    string     `json:"currency_code"`
}

func (w wireProduct) record(loc *time.Location, status string) (Product, error) {
	p := Product{ID: string(w.ProductID), Subject: w.Subject, Status: status,
		MinPrice: Money{Amount: string(w.ProductMinPrice), Currency: w.CurrencyCode},
		MaxPrice: Money{Amount: string(w.ProductMaxPrice), Currency: w.CurrencyCode}}
	var err error
	if p.CreatedAt, err = parseTime(loc, "gmt_create", w.GmtCreate); err != nil {
		return Product{}, err
	}
	if p.UpdatedAt, err = parseTime(loc, "gmt_modified", w.GmtModified); err != nil {
		return Product{}, err
	}
	return p, nil
}

type wireIssue struct {
	IssueID       flexString `json:"issue_id"`
	OrderID       flexString `json:"order_id"`
	ParentOrderID flexString `json:"parent_order_id"`
	IssueStatus   string     `json:"issue_status"`
	ReasonEnglish string     `json:"reason_english"`
	BuyerLoginID  string     `json:"buyer_login_id"`
	GmtCreate     string     `json:"gmt_create"`
	GmtModified   string     `json:"gmt_modified"`
}

func (w wireIssue) record(loc *time.Location) (Return, error) {
	r := Return{ID: string(w.IssueID), OrderID: string(w.OrderID), ParentOrderID: string(w.ParentOrderID),
		Status: w.IssueStatus, Reason: w.ReasonEnglish, BuyerLoginID: w.BuyerLoginID}
	var err error
	if r.CreatedAt, err = parseTime(loc, "gmt_create", w.GmtCreate); err != nil {
		return Return{}, err
	}
	if r.UpdatedAt, err = parseTime(loc, "gmt_modified", w.GmtModified); err != nil {
		return Return{}, err
	}
	return r, nil
}

// timeLayout is the platform's time format; the zone is implied (Config.Location).
const timeLayout = "2006-01-02 15:04:05"

// parseTime reads a platform time into UTC. Empty means unknown; anything else unreadable is an error, since a
// wrong time would misplace the record in every later incremental sync.
func parseTime(loc *time.Location, field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation(timeLayout, v, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %.40q is not a %q time", field, v, timeLayout)
	}
	return t.UTC(), nil
}

func formatTime(loc *time.Location, t time.Time) string { return t.In(loc).Format(timeLayout) }
