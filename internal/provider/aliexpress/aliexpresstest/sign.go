package aliexpresstest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
)

// sign is the gateway's documented signature, written apart from the client's Sign so that a change to either
// shows: uppercase hex of HMAC-SHA256 keyed with the app secret over the key/value pairs of every parameter but
// sign, sorted by key, preceded by the API path for system APIs ("/auth/token/create") only.
func sign(secret, api string, params map[string]string) string {
	var keys []string
	for k := range params {
		if k != "sign" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var msg strings.Builder
	if strings.HasPrefix(api, "/") {
		msg.WriteString(api)
	}
	for _, k := range keys {
		msg.WriteString(k + params[k])
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(msg.String()))
	return strings.ToUpper(hex.EncodeToString(m.Sum(nil)))
}
