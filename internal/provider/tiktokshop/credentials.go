package tiktokshop

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Credentials authenticate calls for one shop. Printing or logging them (fmt, slog) shows only the app key, the shop
// cipher and the expiry: the secret and the token never leave through a log line.
type Credentials struct {
	// AppKey identifies the app. Not a secret: it travels in every URL.
	AppKey string
	// AppSecret signs requests and webhooks.
	AppSecret string
	// AccessToken is the seller's token, sent in the x-tts-access-token header.
	AccessToken string
	// AccessTokenExpiresAt is when AccessToken stops working; zero when unknown. Use AccessTokenExpireIn to convert
	// the token endpoint's access_token_expire_in.
	AccessTokenExpiresAt time.Time
	// ShopCipher selects the shop on shop-scoped calls; AuthorizedShops lists the ciphers a token may use.
	ShopCipher string
}

// AccessTokenExpireIn converts the token endpoint's access_token_expire_in to a time. Despite its name the field is
// an absolute Unix time in seconds, not a duration; zero or negative means unknown.
func AccessTokenExpireIn(v int64) time.Time {
	if v <= 0 {
		return time.Time{}
	}
	return time.Unix(v, 0)
}

func (c Credentials) validate() error {
	var errs []error
	if c.AppKey == "" {
		errs = append(errs, errors.New("app key is empty"))
	}
	if c.AppSecret == "" {
		errs = append(errs, errors.New("app secret is empty"))
	}
	if c.AccessToken == "" {
		errs = append(errs, errors.New("access token is empty"))
	}
	return errors.Join(errs...)
}

// String describes the credentials without the secret or the token.
func (c Credentials) String() string {
	return fmt.Sprintf("tiktokshop.Credentials{AppKey: %q, AppSecret: %s, AccessToken: %s, ShopCipher: %q, AccessTokenExpiresAt: %s}",
		c.AppKey, redacted(c.AppSecret), redacted(c.AccessToken), c.ShopCipher, expiry(c.AccessTokenExpiresAt))
}

// Format makes every fmt verb (%v, %+v, %#v, %s, %d, …) print String, so no verb reaches the raw fields.
func (c Credentials) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }

// LogValue keeps the secret and the token out of slog output.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("app_key", c.AppKey),
		slog.String("shop_cipher", c.ShopCipher),
		slog.Time("access_token_expires_at", c.AccessTokenExpiresAt),
	)
}

// expiry prints an expiry for String methods: RFC 3339 in UTC, or "unknown" for the zero time.
func expiry(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format(time.RFC3339)
}

func redacted(s string) string {
	if s == "" {
		return `""`
	}
	return "[redacted]"
}
