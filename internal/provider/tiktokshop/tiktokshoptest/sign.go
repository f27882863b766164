package tiktokshoptest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
)

// sign is the platform's documented signature, written apart from the client's Sign so that a change to either
// shows: lowercase hex of HMAC-SHA256 keyed with the app secret over secret + path + the query pairs sorted by
// key, without sign and access_token + body + secret. A GET request signs no body.
func sign(secret, path string, q url.Values, body string) string {
	var keys []string
	for k := range q {
		if k != "sign" && k != "access_token" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var msg strings.Builder
	msg.WriteString(secret + path)
	for _, k := range keys {
		msg.WriteString(k + q[k][0])
	}
	msg.WriteString(body + secret)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(msg.String()))
	return hex.EncodeToString(m.Sum(nil))
}
