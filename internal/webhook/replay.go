package webhook

import (
	"sync"
	"time"
)

// replayCache remembers the deliveries already acted on until their timestamps leave the accepted window, after
// which the timestamp check refuses them anyway. It holds at most max entries: when full it first forgets the
// expired ones, then the ones that expire soonest. Forgetting one early costs nothing worse than acting on a
// replay again, which the annotation makes harmless (an annotated Integration is not patched twice).
type replayCache struct {
	mu      sync.Mutex
	max     int
	expires map[string]time.Time
}

func newReplayCache(maxEntries int) *replayCache {
	return &replayCache{max: maxEntries, expires: make(map[string]time.Time)}
}

// seen reports whether key was added and has not expired at now.
func (c *replayCache) seen(key string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	exp, ok := c.expires[key]
	return ok && now.Before(exp)
}

// add remembers key until expires.
func (c *replayCache) add(key string, expires, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.expires[key]; !ok && len(c.expires) >= c.max {
		c.evict(now)
	}
	c.expires[key] = expires
}

// evict makes room for one entry. Linear, and only on a full cache: deauthorizations are rare.
func (c *replayCache) evict(now time.Time) {
	for k, exp := range c.expires {
		if !now.Before(exp) {
			delete(c.expires, k)
		}
	}
	for len(c.expires) >= c.max {
		var oldest string
		var oldestExp time.Time
		for k, exp := range c.expires {
			if oldest == "" || exp.Before(oldestExp) {
				oldest, oldestExp = k, exp
			}
		}
		delete(c.expires, oldest)
	}
}
