package tiktokshoptest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"

	"github.com/alitok/workspace-operator/internal/provider/providertest"
)

// WebhookSellerDeauthorization is the type of the event the platform pushes when a seller cancels the app's
// authorization.
const WebhookSellerDeauthorization = 6

// DeauthorizationEvent returns the body of a seller-deauthorization webhook for shopID, sent at at, in the
// documented shape: type 6, a fresh tts_notification_id, shop_id, timestamp (Unix seconds) and data.message.
func DeauthorizationEvent(shopID string, at time.Time) []byte {
	b, err := json.Marshal(map[string]any{
		"type": WebhookSellerDeauthorization, "tts_notification_id": "7" + providertest.RandomDigits(18),
		"shop_id": shopID, "timestamp": at.Unix(),
		"data": map[string]any{"message": "Shop_id " + shopID + " is deauthorized from your APP by merchant."},
	})
	if err != nil {
		panic(err) // a map of strings and numbers always encodes
	}
	return b
}

// WebhookSignature is the Authorization header the platform sends with body: lowercase hex of HMAC-SHA256 keyed
// with the app secret over the app key followed by the body. Written apart from the client's VerifyWebhook.
func WebhookSignature(appKey, appSecret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write([]byte(appKey))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// WebhookRequest returns the POST the platform makes to a webhook receiver at url: body as JSON, signed with
// appKey and appSecret. Sending the same body twice replays it; a wrong secret forges it.
func WebhookRequest(ctx context.Context, url, appKey, appSecret string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", WebhookSignature(appKey, appSecret, body))
	return req, nil
}

// DeauthorizationWebhook returns the platform's notice to the receiver at url that the seller of this shop
// deauthorized the app, signed with the platform's app key and secret and stamped with its clock. It does not
// revoke anything: call SetRevoked(true) first, as the platform revokes the tokens before it tells.
func (p *Platform) DeauthorizationWebhook(ctx context.Context, url string) (*http.Request, error) {
	return WebhookRequest(ctx, url, p.AppKey, p.AppSecret, DeauthorizationEvent(p.ShopID, p.now()))
}
