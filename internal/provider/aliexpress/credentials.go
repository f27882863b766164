package aliexpress

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Credentials authenticate calls for one seller. Printing or logging them (fmt, slog) shows only the app key and
// the expiry: the secret and the token never leave through a log line.
type Credentials struct {
	// AppKey identifies the app. Not a secret.
	AppKey string
	// AppSecret signs requests.
	AppSecret string
	// AccessToken is the seller's token (the SDKs' "session").
	AccessToken string
	// AccessTokenExpiresAt is when AccessToken stops working; zero when unknown. Use ExpireTime to convert the token
	// endpoint's expire_time.
	AccessTokenExpiresAt time.Time
}

// ExpireTime converts the token endpoint's expire_time, Unix milliseconds, to a time; zero or negative means unknown.
func ExpireTime(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
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
	return fmt.Sprintf("aliexpress.Credentials{AppKey: %q, AppSecret: %s, AccessToken: %s, AccessTokenExpiresAt: %s}",
		c.AppKey, redacted(c.AppSecret), redacted(c.AccessToken), expiry(c.AccessTokenExpiresAt))
}

// Format makes every fmt verb (%v, %+v, %#v, %s, %d, …) print String, so no verb reaches the raw fields.
func (c Credentials) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }

// LogValue keeps the secret and the token out of slog output.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("app_key", c.AppKey),
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
