package service

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestLimiter() (*loginLimiter, *fakeClock) {
	clock := &fakeClock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	l := newLoginLimiter(DefaultLimits)
	l.now = clock.now
	return l, clock
}

func TestLimiterPerUser(t *testing.T) {
	l, clock := newTestLimiter()
	for i := range DefaultLimits.UserFree {
		if err := l.allow("alice", fmt.Sprintf("10.0.0.%d", i)); err != nil {
			t.Fatalf("attempt %d refused: %v", i, err)
		}
		l.fail("alice", fmt.Sprintf("10.0.0.%d", i))
	}
	// The next failure blocks the user, from any address.
	l.fail("alice", "10.0.1.1")
	err := l.allow("alice", "192.168.9.9")
	var rl *RateLimitError
	if !errors.As(err, &rl) || rl.Reason != "user" || !errors.Is(err, ErrRateLimited) {
		t.Fatalf("after %d failures: %v", DefaultLimits.UserFree+1, err)
	}
	// Other users are not affected.
	if err := l.allow("bob", "192.168.9.9"); err != nil {
		t.Fatalf("bob refused: %v", err)
	}
	// Each further failure doubles the wait.
	first := rl.RetryAfter
	clock.advance(first)
	l.fail("alice", "10.0.1.1")
	err = l.allow("alice", "10.0.1.1")
	if !errors.As(err, &rl) || rl.RetryAfter != 2*first {
		t.Fatalf("second wait = %v, want %v", err, 2*first)
	}
	// A success clears the user's count.
	clock.advance(rl.RetryAfter)
	l.succeed("alice", "10.0.1.1")
	if err := l.allow("alice", "10.0.2.2"); err != nil {
		t.Fatalf("after a success: %v", err)
	}
}

func TestLimiterPerAddress(t *testing.T) {
	l, _ := newTestLimiter()
	for i := range DefaultLimits.AddrFree + 1 {
		l.fail(fmt.Sprintf("user%d", i), "10.9.9.9") // a different name each time
	}
	err := l.allow("newname", "10.9.9.9")
	var rl *RateLimitError
	if !errors.As(err, &rl) || rl.Reason != "address" {
		t.Fatalf("address not limited: %v", err)
	}
	if err := l.allow("newname", "10.9.9.10"); err != nil {
		t.Fatalf("another address refused: %v", err)
	}
}

func TestLimiterWaitIsCapped(t *testing.T) {
	l, clock := newTestLimiter()
	for range 100 {
		l.fail("alice", "10.0.0.1")
		clock.advance(time.Second)
	}
	err := l.allow("alice", "10.0.0.1")
	var rl *RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter > DefaultLimits.MaxWait {
		t.Fatalf("wait = %v, want at most %v", err, DefaultLimits.MaxWait)
	}
}

func TestLimiterWindowForgets(t *testing.T) {
	l, clock := newTestLimiter()
	for range DefaultLimits.UserFree {
		l.fail("alice", "10.0.0.1")
	}
	clock.advance(DefaultLimits.Window + time.Second)
	l.fail("alice", "10.0.0.1") // counts as the first of a new window
	if err := l.allow("alice", "10.0.0.1"); err != nil {
		t.Fatalf("old failures still count: %v", err)
	}
}

func TestLimiterMemoryBounded(t *testing.T) {
	l, clock := newTestLimiter()
	l.cfg.MaxTracked = 1000
	for i := range 20_000 {
		l.fail(fmt.Sprintf("user%d", i), fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
		clock.advance(time.Millisecond)
	}
	if n := l.tracked(); n > 1002 {
		t.Fatalf("limiter holds %d keys, limit 1000", n)
	}
}

// TestLimiterCountsAttemptsInFlight: guesses that arrive together are not
// all let through while the first ones are still being checked.
func TestLimiterCountsAttemptsInFlight(t *testing.T) {
	l, _ := newTestLimiter()
	allowed := 0
	for i := range 50 {
		if l.allow("alice", fmt.Sprintf("10.0.0.%d", i)) == nil {
			allowed++
		}
	}
	if allowed != DefaultLimits.UserFree {
		t.Fatalf("%d simultaneous attempts allowed, want %d", allowed, DefaultLimits.UserFree)
	}
	// A success settles its attempt and lets the next one in.
	l.succeed("alice", "10.0.0.0")
	if err := l.allow("alice", "10.0.9.9"); err != nil {
		t.Fatalf("after a success: %v", err)
	}
}
