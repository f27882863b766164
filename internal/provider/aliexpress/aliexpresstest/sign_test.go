package aliexpresstest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// The gateway's signing must agree with the documented rule, or the client tests would test a fake against
// itself: messages written out by hand, and a vector computed outside Go (Python's hmac module).
func TestSignFollowsTheDocumentedRule(t *testing.T) {
	hmacHex := func(key, msg string) string {
		m := hmac.New(sha256.New, []byte(key))
		m.Write([]byte(msg))
		return strings.ToUpper(hex.EncodeToString(m.Sum(nil)))
	}
	params := map[string]string{"b": "2", "a": "1", "sign": "x"}
	if got, want := sign("k", "/x/y", params), hmacHex("k", "/x/ya1b2"); got != want {
		t.Errorf("system API: sign() = %s, want %s", got, want)
	}
	if got, want := sign("k", "aliexpress.x.get", params), hmacHex("k", "a1b2"); got != want {
		t.Errorf("business API: sign() = %s, want %s", got, want)
	}

	params = map[string]string{
		"timestamp": "1700000000000", "sign_method": "sha256", "app_key": "K123", "access_token": "TOK-1",
		"method": "aliexpress.trade.seller.orderlist.get", "param_aeop_order_query": `{"current_page":1,"page_size":50}`,
	}
	got := sign("s3cr3t", "aliexpress.trade.seller.orderlist.get", params)
	if want := "B2D21CA7CA3E0CB67D795C38E86673933F46F20F15D4EB3CEEE358E897576A8A"; got != want {
		t.Errorf("sign() = %s, want %s", got, want)
	}
}
