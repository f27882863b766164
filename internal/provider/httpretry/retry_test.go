package httpretry

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// recorder is a Policy.Sleep that records waits instead of waiting.
type recorder struct{ waits []time.Duration }

func (r *recorder) sleep(_ context.Context, d time.Duration) error {
	r.waits = append(r.waits, d)
	return nil
}

var errBoom = errors.New("boom")

func TestDo(t *testing.T) {
	tests := []struct {
		name      string
		results   []error // attempt n returns results[n-1]; past the end, nil
		wantErr   error
		wantCalls int
		wantWaits []time.Duration
	}{
		{
			name:      "first success needs no wait",
			results:   nil,
			wantCalls: 1,
		},
		{
			name:      "retryable errors are retried with doubling backoff",
			results:   []error{Retry(errBoom, 0), Retry(errBoom, 0)},
			wantCalls: 3,
			wantWaits: []time.Duration{time.Second, 2 * time.Second},
		},
		{
			name:      "unmarked error stops at once",
			results:   []error{errBoom},
			wantErr:   errBoom,
			wantCalls: 1,
		},
		{
			name:      "attempts are bounded and the last error comes back unmarked",
			results:   []error{Retry(errBoom, 0), Retry(errBoom, 0), Retry(errBoom, 0), Retry(errBoom, 0)},
			wantErr:   errBoom,
			wantCalls: 3,
			wantWaits: []time.Duration{time.Second, 2 * time.Second},
		},
		{
			name:      "server-requested wait longer than backoff is honoured",
			results:   []error{Retry(errBoom, 7*time.Second)},
			wantCalls: 2,
			wantWaits: []time.Duration{7 * time.Second},
		},
		{
			name:      "server-requested wait shorter than backoff keeps the backoff",
			results:   []error{Retry(errBoom, time.Millisecond)},
			wantCalls: 2,
			wantWaits: []time.Duration{time.Second},
		},
		{
			name:      "server-requested wait beyond MaxDelay gives up instead of holding the worker",
			results:   []error{Retry(errBoom, time.Hour)},
			wantErr:   errBoom,
			wantCalls: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			p := Policy{MaxAttempts: 3, BaseDelay: time.Second, MaxDelay: 10 * time.Second, Sleep: rec.sleep,
				Rand: func() float64 { return 1 }} // top of the jitter range: the full backoff
			calls := 0
			err := p.Do(context.Background(), func(context.Context) error {
				calls++
				if calls <= len(tt.results) {
					return tt.results[calls-1]
				}
				return nil
			})
			if tt.wantErr == nil && err != nil {
				t.Fatalf("Do() = %v, want nil", err)
			}
			if tt.wantErr != nil {
				var r *retryable
				if !errors.Is(err, tt.wantErr) || errors.As(err, &r) {
					t.Fatalf("Do() = %#v, want unmarked %v", err, tt.wantErr)
				}
			}
			if calls != tt.wantCalls {
				t.Errorf("attempts = %d, want %d", calls, tt.wantCalls)
			}
			if !slices.Equal(rec.waits, tt.wantWaits) {
				t.Errorf("waits = %v, want %v", rec.waits, tt.wantWaits)
			}
		})
	}
}

func TestBackoffJitterStaysInUpperHalfAndUnderCap(t *testing.T) {
	for _, r := range []float64{0, 0.5, 0.999} {
		p := Policy{BaseDelay: time.Second, MaxDelay: 5 * time.Second, Rand: func() float64 { return r }}.withDefaults()
		for n := 1; n <= 10; n++ {
			full := min(time.Second<<(n-1), 5*time.Second)
			got := p.backoff(n)
			if got < full/2 || got > full {
				t.Errorf("rand %v attempt %d: backoff %v outside [%v, %v]", r, n, got, full/2, full)
			}
		}
	}
}

func TestDoStopsWhenContextEndsDuringWait(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p := Policy{Sleep: func(ctx context.Context, _ time.Duration) error {
		cancel()
		return ctx.Err()
	}}
	calls := 0
	err := p.Do(ctx, func(context.Context) error {
		calls++
		return Retry(errBoom, 0)
	})
	if !errors.Is(err, context.Canceled) || !errors.Is(err, errBoom) {
		t.Fatalf("Do() = %v, want both context.Canceled and the last attempt's error", err)
	}
	if calls != 1 {
		t.Errorf("attempts = %d, want 1", calls)
	}
}

func TestDoDoesNotStartWithDoneContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Policy{}.Do(ctx, func(context.Context) error {
		t.Fatal("attempt ran with a cancelled context")
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Do() = %v, want context.Canceled", err)
	}
}

func TestSleepContextReturnsEarlyOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := SleepContext(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("SleepContext() = %v, want context.Canceled", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		header string
		want   time.Duration
		wantOK bool
	}{
		{"absent", "", 0, false},
		{"delay seconds", "12", 12 * time.Second, true},
		{"padded delay seconds", " 3 ", 3 * time.Second, true},
		{"negative is unreadable", "-1", 0, false},
		{"huge delay is capped rather than overflowing", "99999999999999", 24 * time.Hour, true},
		{"http date in the future", "Fri, 02 Jan 2026 03:04:35 GMT", 30 * time.Second, true},
		{"http date in the past means now", "Fri, 02 Jan 2026 03:00:00 GMT", 0, true},
		{"garbage", "soon", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseRetryAfter(tt.header, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.header, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestRetryableStatus(t *testing.T) {
	for code, want := range map[int]bool{
		200: false, 400: false, 401: false, 403: false, 404: false,
		429: true, 500: true, 502: true, 503: true, 504: true,
		501: false, 505: false,
	} {
		if got := RetryableStatus(code); got != want {
			t.Errorf("RetryableStatus(%d) = %v, want %v", code, got, want)
		}
	}
}

func TestReadBodyRefusesOversizedBodies(t *testing.T) {
	if b, err := ReadBody(strings.NewReader("12345"), 5); err != nil || string(b) != "12345" {
		t.Fatalf("ReadBody at the limit = %q, %v", b, err)
	}
	if _, err := ReadBody(strings.NewReader("123456"), 5); !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("ReadBody over the limit = %v, want ErrBodyTooLarge", err)
	}
}

func TestCleanTransportErrorDropsTheURL(t *testing.T) {
	err := &url.Error{Op: "Post", URL: "https://h/p?sign=SECRETSIGN", Err: context.DeadlineExceeded}
	got := CleanTransportError(err)
	if strings.Contains(got.Error(), "SECRETSIGN") {
		t.Errorf("cleaned error %q still holds the URL", got)
	}
	if !errors.Is(got, context.DeadlineExceeded) {
		t.Errorf("cleaned error %v lost its cause", got)
	}
}

func TestClientsDoNotFollowRedirects(t *testing.T) {
	if c := NewClient(time.Second); c.CheckRedirect == nil || c.Timeout != time.Second {
		t.Errorf("NewClient: redirects followed or no timeout")
	}
	if c := WithoutRedirects(NewClient(time.Second)); c.CheckRedirect == nil {
		t.Errorf("WithoutRedirects: redirects followed")
	}
}

func TestScrubberRemovesSecretsAndSignatures(t *testing.T) {
	scrub := Scrubber("s3cr3t", "", "tok-123")
	sig := strings.Repeat("ab", 32)
	got := scrub("bad sign " + sig + " for tok-123 with s3cr3t")
	for _, leak := range []string{"s3cr3t", "tok-123", sig} {
		if strings.Contains(got, leak) {
			t.Errorf("scrubbed %q still holds %q", got, leak)
		}
	}
	if want := "bad sign [redacted] for [redacted] with [redacted]"; got != want {
		t.Errorf("scrubbed = %q, want %q", got, want)
	}
}
