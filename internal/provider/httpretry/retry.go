// Package httpretry holds what the marketplace API clients share about HTTP: retrying with exponential backoff and
// jitter, reading Retry-After, and keeping request URLs (which carry signatures) out of error messages.
//
// The package knows nothing about a platform. A client decides per attempt whether its error is worth another try
// (HTTP 429 and 5xx, platform rate-limit codes, transport failures) and marks it with Retry; Policy.Do does the
// waiting.
package httpretry

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Defaults of Policy; a zero field takes its default.
const (
	DefaultMaxAttempts = 5
	DefaultBaseDelay   = time.Second
	DefaultMaxDelay    = 30 * time.Second
)

// Policy says how often and how long to retry. The zero value is usable.
type Policy struct {
	// MaxAttempts bounds the attempts, the first included. One means no retries.
	MaxAttempts int
	// BaseDelay is the wait before the second attempt; each further wait doubles, up to MaxDelay.
	BaseDelay time.Duration
	// MaxDelay caps every wait. A server asking for a longer Retry-After ends the retries at once: the caller gets the
	// error (with the requested wait) and can reschedule the work instead of holding a worker.
	MaxDelay time.Duration
	// Sleep waits for d or until ctx is done. Tests replace it to run without real waiting.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns a number in [0, 1) for the jitter. Tests replace it to make waits predictable.
	Rand func() float64
	// OnRetry, when set, is told about each retry before its wait, e.g. for metrics. err is the attempt's error.
	OnRetry func(attempt int, wait time.Duration, err error)
}

// retryable marks an attempt's error as worth another attempt.
type retryable struct {
	err   error
	after time.Duration
}

func (r *retryable) Error() string { return r.err.Error() }
func (r *retryable) Unwrap() error { return r.err }

// Retry marks err as worth another attempt. after is the wait the server asked for (Retry-After, or a wait named in a
// platform error); zero lets the backoff decide.
func Retry(err error, after time.Duration) error {
	if err == nil {
		return nil
	}
	return &retryable{err: err, after: after}
}

// Do runs attempt until it succeeds, returns an error not marked with Retry, the attempts are used up, or ctx is done.
// It returns the last attempt's error without the Retry mark. When ctx ends during a wait, the error wraps both
// ctx.Err() and the last attempt's error.
func (p Policy) Do(ctx context.Context, attempt func(ctx context.Context) error) error {
	p = p.withDefaults()
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := attempt(ctx)
		var r *retryable
		if !errors.As(err, &r) {
			return err
		}
		if n >= p.MaxAttempts {
			return r.err
		}
		wait := p.backoff(n)
		if r.after > 0 {
			if r.after > p.MaxDelay {
				return r.err
			}
			wait = max(wait, r.after)
		}
		if p.OnRetry != nil {
			p.OnRetry(n, wait, r.err)
		}
		if serr := p.Sleep(ctx, wait); serr != nil {
			return fmt.Errorf("%w; last attempt: %w", serr, r.err)
		}
	}
}

// backoff is the wait after attempt n: BaseDelay·2ⁿ⁻¹ capped at MaxDelay, then "equal jitter" — a random point in its
// upper half — so that many workers throttled at once do not come back in lockstep, yet none retries too soon.
func (p Policy) backoff(n int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	half := d / 2
	return half + time.Duration(p.Rand()*float64(d-half))
}

func (p Policy) withDefaults() Policy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultBaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultMaxDelay
	}
	if p.Sleep == nil {
		p.Sleep = SleepContext
	}
	if p.Rand == nil {
		p.Rand = rand.Float64
	}
	return p
}

// SleepContext waits for d, or returns ctx.Err() as soon as ctx is done.
func SleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
