package httpretry

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// RetryableStatus reports whether an HTTP status is worth another attempt: 429 and the 5xx a server may recover from.
// 501 and 505 say the request can never work, so they are not retried.
func RetryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests:
		return true
	case http.StatusNotImplemented, http.StatusHTTPVersionNotSupported:
		return false
	default:
		return code >= 500 && code <= 599
	}
}

// ParseRetryAfter reads a Retry-After header: delay seconds or an HTTP date (relative to now). It returns false when
// the header is absent or unreadable; a date in the past gives zero.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		// Cap before multiplying so a huge value cannot overflow into a negative duration.
		return time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// ErrBodyTooLarge is returned by ReadBody when a response exceeds its limit.
var ErrBodyTooLarge = errors.New("response body too large")

// ReadBody reads r up to limit bytes. A bigger body is an error rather than a silent truncation, which would
// surface later as a confusing JSON error.
func ReadBody(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, CleanTransportError(err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w (over %d bytes)", ErrBodyTooLarge, limit)
	}
	return b, nil
}

// CleanTransportError strips the *url.Error that http.Client wraps around transport failures. Its message holds the
// full request URL, and the platforms put signatures (and AliExpress even tokens) in URLs; the method and path are
// named by the caller instead. The cause is kept, so errors.Is(err, context.Canceled) still works.
func CleanTransportError(err error) error {
	var ue *url.Error
	for errors.As(err, &ue) {
		err = ue.Err
	}
	return err
}

// NewClient returns an *http.Client for a platform API: bounded timeouts at every stage, and no redirects. A redirect
// would resend custom credential headers (x-tts-access-token) and form bodies to wherever it points; the platforms
// never redirect API calls, so a 3xx is reported as an error instead.
func NewClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = timeout
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{Timeout: timeout, Transport: t, CheckRedirect: NoRedirects}
}

// WithoutRedirects returns a copy of c that does not follow redirects (see NewClient). It shares c's Transport.
func WithoutRedirects(c *http.Client) *http.Client {
	cp := *c
	cp.CheckRedirect = NoRedirects
	return &cp
}

// NoRedirects is an http.Client.CheckRedirect that stops at the first response.
func NoRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// hexRun matches 64 hex digits: the length of an HMAC-SHA256 signature, which both platforms send as hex.
var hexRun = regexp.MustCompile(`[0-9A-Fa-f]{64}`)

// Scrubber returns a function that removes secrets from text bound for an error message: each non-empty secret, and
// anything shaped like an HMAC-SHA256 signature. Platforms sometimes echo request parameters in their messages.
func Scrubber(secrets ...string) func(string) string {
	var pairs []string
	for _, s := range secrets {
		if s != "" {
			pairs = append(pairs, s, "[redacted]")
		}
	}
	r := strings.NewReplacer(pairs...)
	return func(s string) string { return hexRun.ReplaceAllString(r.Replace(s), "[redacted]") }
}
