package tiktokshoptest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"testing"
)

// The platform's signing must agree with the documented rule, or the client tests would test a fake against
// itself: one message written out by hand, and a vector computed outside Go (Python's hmac module).
func TestSignFollowsTheDocumentedRule(t *testing.T) {
	q := url.Values{"app_key": {"k"}, "timestamp": {"1"}, "sign": {"x"}, "access_token": {"t"}}
	m := hmac.New(sha256.New, []byte("s3cr3t"))
	m.Write([]byte(`s3cr3t/papp_keyktimestamp1{"a":1}s3cr3t`))
	if got, want := sign("s3cr3t", "/p", q, `{"a":1}`), hex.EncodeToString(m.Sum(nil)); got != want {
		t.Errorf("sign() = %s, want %s", got, want)
	}

	q = url.Values{"timestamp": {"1700000000"}, "app_key": {"6a1b2c"}, "shop_cipher": {"ROW_abc"}, "page_size": {"50"}}
	got := sign("s3cr3t", "/order/202309/orders/search", q, `{"update_time_ge":1699990000}`)
	if want := "3e955c89cee0b2e7d7bd8113876a259c6da24d21cabe6fdf9d1da8d01bc0ab24"; got != want {
		t.Errorf("sign() = %s, want %s", got, want)
	}
}
