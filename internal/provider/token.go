package provider

import (
	"fmt"
	"log/slog"
	"time"
)

// Token is what a platform's token refresh grants: a new access token and a new refresh token, each with its
// expiry. Printing or logging it (fmt, slog) shows only the expiries.
type Token struct {
	AccessToken          string
	AccessTokenExpiresAt time.Time
	RefreshToken         string
	// RefreshTokenExpiresAt is when the refresh token stops working: after it, only the seller can authorize again.
	RefreshTokenExpiresAt time.Time
}

// String describes the token without the tokens.
func (t Token) String() string {
	return fmt.Sprintf("provider.Token{AccessToken: %s, AccessTokenExpiresAt: %s, RefreshToken: %s, RefreshTokenExpiresAt: %s}",
		redacted(t.AccessToken), expiry(t.AccessTokenExpiresAt), redacted(t.RefreshToken), expiry(t.RefreshTokenExpiresAt))
}

// Format makes every fmt verb print String, so no verb reaches the raw fields.
func (t Token) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(t.String())) }

// LogValue keeps the tokens out of slog output.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Time("access_token_expires_at", t.AccessTokenExpiresAt),
		slog.Time("refresh_token_expires_at", t.RefreshTokenExpiresAt),
	)
}

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
