package tiktokshop

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
)

// Sign computes the sign query parameter of a request:
//
//	hex(HMAC-SHA256(key = appSecret,
//	    message = appSecret + path + k1+v1 + k2+v2 + … + body + appSecret))
//
// where k1, k2, … are the query parameters sorted by name, without sign and access_token (the token travels in a
// header and is not signed). A parameter given twice contributes its first value. body is the exact JSON sent with
// a non-GET request; pass nil for GET. The hex is lowercase.
func Sign(appSecret, path string, query url.Values, body []byte) string {
	keys := make([]string, 0, len(query))
	for k := range query {
		if k != "sign" && k != "access_token" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)

	var msg strings.Builder
	msg.WriteString(appSecret)
	msg.WriteString(path)
	for _, k := range keys {
		msg.WriteString(k)
		msg.WriteString(query.Get(k))
	}
	msg.Write(body)
	msg.WriteString(appSecret)

	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write([]byte(msg.String()))
	return hex.EncodeToString(mac.Sum(nil))
}
