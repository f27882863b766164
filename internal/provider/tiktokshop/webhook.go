package tiktokshop

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Webhook event types this package names. Others parse fine and keep their number.
const (
	WebhookOrderStatusChange     = 1
	WebhookSellerDeauthorization = 6
)

// ErrWebhookSignature means a webhook's Authorization header does not match its body: it did not come from the
// platform, or was altered on the way. Answer 401 and drop it.
var ErrWebhookSignature = errors.New("tiktokshop: webhook signature mismatch")

// VerifyWebhook checks a webhook's Authorization header, which holds
//
//	hex(HMAC-SHA256(key = appSecret, message = appKey + body))
//
// body must be the raw request body, byte for byte; verify before parsing. The comparison takes constant time.
func VerifyWebhook(appKey, appSecret string, body []byte, authorization string) error {
	got, err := hex.DecodeString(strings.TrimSpace(authorization))
	if err != nil || len(got) != sha256.Size {
		return ErrWebhookSignature
	}
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write([]byte(appKey))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return ErrWebhookSignature
	}
	return nil
}

// Event is a webhook notification.
type Event struct {
	// Type is the event type, e.g. WebhookSellerDeauthorization.
	Type int
	// NotificationID identifies the notification; the platform may deliver it more than once.
	NotificationID string
	// ShopID is the shop the event concerns.
	ShopID string
	// Timestamp is when the platform sent the event; zero when absent.
	Timestamp time.Time
	// Data is the type-specific payload, undecoded.
	Data json.RawMessage
}

// IsDeauthorization reports whether the seller revoked the app's access: the integration's credentials no longer
// work and syncing must stop until the seller authorizes again.
func (e Event) IsDeauthorization() bool { return e.Type == WebhookSellerDeauthorization }

// ParseWebhook decodes a webhook body. Call VerifyWebhook first.
func ParseWebhook(body []byte) (Event, error) {
	var w struct {
		Type           flexInt         `json:"type"`
		NotificationID string          `json:"tts_notification_id"`
		ShopID         string          `json:"shop_id"`
		Timestamp      unixTime        `json:"timestamp"`
		Data           json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return Event{}, fmt.Errorf("tiktokshop: webhook: %w: %w", ErrMalformedResponse, err)
	}
	if w.Type == 0 {
		return Event{}, fmt.Errorf("tiktokshop: webhook: %w: no event type", ErrMalformedResponse)
	}
	return Event{Type: int(w.Type), NotificationID: w.NotificationID, ShopID: w.ShopID,
		Timestamp: w.Timestamp.Time(), Data: w.Data}, nil
}
