package tiktokshop

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestVerifyWebhook(t *testing.T) {
	const appKey, secret = "appkey123", "whsecret"
	body := []byte(`{"type":6,"shop_id":"7494"}`)
	// Written out by hand: the message is the app key followed by the raw body.
	good := hmacHex(secret, `appkey123{"type":6,"shop_id":"7494"}`)

	tests := []struct {
		name          string
		body          []byte
		authorization string
		wantErr       bool
	}{
		{"hand-computed signature verifies", body, good, false},
		{"externally computed vector verifies", body, "a0f55c178ae69a7f855c23c4ed3c0c429399b0d11640417c8cf38508a632854a", false},
		{"uppercase hex verifies", body, strings.ToUpper(good), false},
		{"altered body fails", []byte(`{"type":6,"shop_id":"7495"}`), good, true},
		{"signature over the body alone fails", body, hmacHex(secret, string(body)), true},
		{"signature with another secret fails", body, hmacHex("other", `appkey123{"type":6,"shop_id":"7494"}`), true},
		{"empty header fails", body, "", true},
		{"non-hex header fails", body, "sha256=" + good, true},
		{"truncated signature fails", body, good[:32], true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyWebhook(appKey, secret, tt.body, tt.authorization)
			if tt.wantErr != (err != nil) {
				t.Fatalf("VerifyWebhook() = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrWebhookSignature) {
				t.Errorf("error = %v, want ErrWebhookSignature", err)
			}
		})
	}
}

func TestParseWebhook(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantDeauth bool
		want       Event
		wantErr    bool
	}{
		{
			name:       "seller deauthorization is recognized",
			body:       `{"type":6,"tts_notification_id":"n1","shop_id":"7494","timestamp":1772366400,"data":{"message":"revoked"}}`,
			wantDeauth: true,
			want: Event{Type: WebhookSellerDeauthorization, NotificationID: "n1", ShopID: "7494",
				Timestamp: time.Unix(1772366400, 0).UTC(), Data: []byte(`{"message":"revoked"}`)},
		},
		{
			name: "order status change is not deauthorization",
			body: `{"type":1,"shop_id":"7494","timestamp":1772366400,"data":{"order_id":"o1","order_status":"AWAITING_SHIPMENT"}}`,
			want: Event{Type: WebhookOrderStatusChange, ShopID: "7494", Timestamp: time.Unix(1772366400, 0).UTC(),
				Data: []byte(`{"order_id":"o1","order_status":"AWAITING_SHIPMENT"}`)},
		},
		{name: "broken JSON is an error", body: `{"type":6,`, wantErr: true},
		{name: "missing type is an error", body: `{"shop_id":"7494"}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := ParseWebhook([]byte(tt.body))
			if tt.wantErr {
				if !errors.Is(err, ErrMalformedResponse) {
					t.Fatalf("ParseWebhook() error = %v, want malformed", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseWebhook() = %v", err)
			}
			if ev.IsDeauthorization() != tt.wantDeauth {
				t.Errorf("IsDeauthorization() = %v, want %v", ev.IsDeauthorization(), tt.wantDeauth)
			}
			if ev.Type != tt.want.Type || ev.NotificationID != tt.want.NotificationID || ev.ShopID != tt.want.ShopID ||
				!ev.Timestamp.Equal(tt.want.Timestamp) || string(ev.Data) != string(tt.want.Data) {
				t.Errorf("event = %+v, want %+v", ev, tt.want)
			}
		})
	}
}
