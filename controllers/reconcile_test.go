package controllers

import (
	"errors"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// How a pass ends decides what controller-runtime does next: a wait looks again at its time (or the earliest
// time another step asked for), bad input is not retried unless it asks for a slow recheck, and anything else is
// retried with backoff.
func TestResultOfEachWayAPassEnds(t *testing.T) {
	earlier := requeue{}
	earlier.requeueAfter(10 * time.Second)
	cases := []struct {
		name     string
		q        requeue
		err      error
		after    time.Duration
		terminal bool
		retried  bool
	}{
		{"done", requeue{}, nil, 0, false, false},
		{"done, woken at a due date", earlier, nil, 10 * time.Second, false, false},
		{"waiting", requeue{}, waiting(time.Minute, "", "purge running"), time.Minute, false, false},
		{"waiting, another step wants an earlier look", earlier, waiting(time.Minute, "", "purge running"), 10 * time.Second, false, false},
		{"waiting on a watch", requeue{}, waiting(0, "", "credentials pending"), 0, false, false},
		{"bad input", requeue{}, stalled("RegionNotAllowed", "no"), 0, true, true},
		{"bad input that may resolve itself", requeue{}, &stalledError{Reason: "SubjectSecretNotFound", Message: "no", Recheck: 5 * time.Minute}, 5 * time.Minute, false, false},
		{"transient", earlier, errors.New("connection refused"), 0, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := resultOf(tc.q, tc.err)
			if res.RequeueAfter != tc.after {
				t.Errorf("requeue after %s, want %s", res.RequeueAfter, tc.after)
			}
			if (err != nil) != tc.retried {
				t.Errorf("error %v, want one: %t", err, tc.retried)
			}
			if got := errors.Is(err, reconcile.TerminalError(nil)); got != tc.terminal {
				t.Errorf("terminal = %t, want %t", got, tc.terminal)
			}
		})
	}
}

func TestPurgeBackoffDoublesUpToItsCap(t *testing.T) {
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 15 * time.Minute, 15 * time.Minute}
	for n, w := range want {
		if got := purgeBackoff(int32(n + 1)); got != w {
			t.Errorf("after failure %d: %s, want %s", n+1, got, w)
		}
	}
}
