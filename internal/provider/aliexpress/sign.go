package aliexpress

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
)

// Sign computes the sign parameter of a call:
//
//	HEX(HMAC-SHA256(key = appSecret, message = [apiName] + k1+v1 + k2+v2 + …))
//
// where k1, k2, … are all parameters but sign — system (app_key, access_token, timestamp, sign_method, method) and
// business alike — sorted by name. apiName leads the message only for system APIs, whose names are paths
// ("/auth/token/create"); business APIs ("aliexpress.trade.seller.orderlist.get") contribute only through the
// method parameter. The hex is uppercase.
func Sign(appSecret, apiName string, params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "sign" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)

	var msg strings.Builder
	if strings.Contains(apiName, "/") {
		msg.WriteString(apiName)
	}
	for _, k := range keys {
		msg.WriteString(k)
		msg.WriteString(params[k])
	}

	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write([]byte(msg.String()))
	return strings.ToUpper(hex.EncodeToString(mac.Sum(nil)))
}
