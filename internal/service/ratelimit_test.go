package service

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

var bg = context.Background()

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
		if err := l.allow(bg, "alice", fmt.Sprintf("10.0.0.%d", i)); err != nil {
			t.Fatalf("attempt %d refused: %v", i, err)
		}
		l.fail("alice", fmt.Sprintf("10.0.0.%d", i))
	}
	// The next failure blocks the user, from any address.
	l.fail("alice", "10.0.1.1")
	err := l.allow(bg, "alice", "192.168.9.9")
	var rl *RateLimitError
	if !errors.As(err, &rl) || rl.Reason != "user" || !errors.Is(err, ErrRateLimited) {
		t.Fatalf("after %d failures: %v", DefaultLimits.UserFree+1, err)
	}
	// Other users are not affected.
	if err := l.allow(bg, "bob", "192.168.9.9"); err != nil {
		t.Fatalf("bob refused: %v", err)
	}
	// Each further failure doubles the wait.
	first := rl.RetryAfter
	clock.advance(first)
	l.fail("alice", "10.0.1.1")
	err = l.allow(bg, "alice", "10.0.1.1")
	if !errors.As(err, &rl) || rl.RetryAfter != 2*first {
		t.Fatalf("second wait = %v, want %v", err, 2*first)
	}
	// A success clears the user's count.
	clock.advance(rl.RetryAfter)
	l.succeed("alice", "10.0.1.1")
	if err := l.allow(bg, "alice", "10.0.2.2"); err != nil {
		t.Fatalf("after a success: %v", err)
	}
}

func TestLimiterPerAddress(t *testing.T) {
	l, _ := newTestLimiter()
	for i := range DefaultLimits.AddrFree + 1 {
		l.fail(fmt.Sprintf("user%d", i), "10.9.9.9") // a different name each time
	}
	err := l.allow(bg, "newname", "10.9.9.9")
	var rl *RateLimitError
	if !errors.As(err, &rl) || rl.Reason != "address" {
		t.Fatalf("address not limited: %v", err)
	}
	if err := l.allow(bg, "newname", "10.9.9.10"); err != nil {
		t.Fatalf("another address refused: %v", err)
	}
}

func TestLimiterWaitIsCapped(t *testing.T) {
	l, clock := newTestLimiter()
	for range 100 {
		l.fail("alice", "10.0.0.1")
		clock.advance(time.Second)
	}
	err := l.allow(bg, "alice", "10.0.0.1")
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
	if err := l.allow(bg, "alice", "10.0.0.1"); err != nil {
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
// all let through while the first ones are still being checked: they wait
// for those in flight, and once the user is blocked they are refused.
func TestLimiterCountsAttemptsInFlight(t *testing.T) {
	l, _ := newTestLimiter()
	var allowed, refused atomic.Int32
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			addr := fmt.Sprintf("10.0.0.%d", i)
			var rl *RateLimitError
			switch err := l.allow(bg, "alice", addr); {
			case err == nil:
				allowed.Add(1)
				l.fail("alice", addr)
			case errors.As(err, &rl):
				refused.Add(1)
			default:
				t.Errorf("attempt %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	// The free failures, then the one that blocks.
	if got := allowed.Load(); got != int32(DefaultLimits.UserFree+1) {
		t.Errorf("%d of 50 simultaneous wrong attempts checked, want %d", got, DefaultLimits.UserFree+1)
	}
	if got := refused.Load(); got != 50-int32(DefaultLimits.UserFree+1) {
		t.Errorf("%d refused", got)
	}
}

// TestLimiterLoginsInFlightAreNotFailures: many correct logins of one user
// at once all pass; none is refused because the others were still being
// checked.
func TestLimiterLoginsInFlightAreNotFailures(t *testing.T) {
	l, _ := newTestLimiter()
	// Enough logins in flight to use up the free failures...
	for i := range DefaultLimits.UserFree {
		if err := l.allow(bg, "alice", "10.0.0.1"); err != nil {
			t.Fatalf("login %d: %v", i, err)
		}
	}
	// ...and more arriving: they wait, and all pass.
	var wg sync.WaitGroup
	for i := range 45 {
		wg.Go(func() {
			if err := l.allow(bg, "alice", "10.0.0.1"); err != nil {
				t.Errorf("login %d: %v", i, err)
				return
			}
			l.succeed("alice", "10.0.0.1")
		})
	}
	for range DefaultLimits.UserFree {
		l.succeed("alice", "10.0.0.1")
	}
	wg.Wait()
	if n := l.tracked(); n != 0 {
		t.Errorf("%d keys left after successful logins", n)
	}
}

// TestLimiterWaitersGoInTurn: logins of many users from one address,
// more than its failures left allow in flight at once, go in the order
// they came, one for each attempt decided, and one that gives up passes
// its turn on (a broadcast wake-up let later ones overtake earlier ones
// without bound: under 1,000 clients some waited minutes).
func TestLimiterWaitersGoInTurn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, _ := newTestLimiter()
		const addr = "10.0.0.1"
		for i := range DefaultLimits.AddrFree {
			if err := l.allow(bg, fmt.Sprintf("first%02d", i), addr); err != nil {
				t.Fatal(err)
			}
		}
		const n = 8
		admitted := make(chan int, n)
		ctx, cancel := context.WithCancel(bg)
		for i := range n {
			c := bg
			if i == 2 {
				c = ctx // this one gives up while waiting
			}
			go func() {
				if err := l.allow(c, fmt.Sprintf("user%02d", i), addr); err != nil {
					admitted <- -1
					return
				}
				admitted <- i
			}()
			synctest.Wait() // queued, in this order
		}
		select {
		case got := <-admitted:
			t.Fatalf("login %d went in before any attempt was decided", got)
		default:
		}
		cancel()
		if got := <-admitted; got != -1 {
			t.Fatalf("login %d went in when the cancelled one gave up", got)
		}
		for want := range n {
			if want == 2 {
				continue
			}
			l.succeed(fmt.Sprintf("first%02d", want), addr) // one decided: one place
			synctest.Wait()
			if got := <-admitted; got != want {
				t.Fatalf("login %d went in; want %d (the oldest waiting)", got, want)
			}
		}
	})
}

// TestLimiterOldKeyStillBoundsAttemptsInFlight: a key whose failures are
// older than the window forgets them, but not how many attempts may be in
// flight at once: a burst of guesses after a quiet quarter of an hour is
// held to the failures left, as against a new key.
func TestLimiterOldKeyStillBoundsAttemptsInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, clock := newTestLimiter()
		if err := l.allow(bg, "alice", "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		l.fail("alice", "10.0.0.1")
		clock.advance(DefaultLimits.Window + time.Minute)
		for i := range DefaultLimits.UserFree {
			if err := l.allow(bg, "alice", fmt.Sprintf("10.0.1.%d", i)); err != nil {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		ctx, cancel := context.WithCancel(bg)
		done := make(chan error, 1)
		go func() { done <- l.allow(ctx, "alice", "10.0.2.1") }()
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("attempt %d in flight went in at once (%v)", DefaultLimits.UserFree+1, err)
		default:
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("waiting attempt: %v", err)
		}
	})
}

// TestLimiterWaitEndsWithContext: an attempt waiting for those in flight
// gives up when its request ends.
func TestLimiterWaitEndsWithContext(t *testing.T) {
	l, _ := newTestLimiter()
	for i := range DefaultLimits.UserFree {
		if err := l.allow(bg, "alice", fmt.Sprintf("10.0.0.%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error)
	go func() { done <- l.allow(ctx, "alice", "10.0.1.1") }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("waiting attempt: %v, want context.Canceled", err)
	}
	// A decided attempt lets the next one in.
	l.succeed("alice", "10.0.0.0")
	if err := l.allow(bg, "alice", "10.0.9.9"); err != nil {
		t.Fatalf("after a success: %v", err)
	}
}

// TestSimultaneousLogins: many correct logins of one user at the same time,
// from one address, all start sessions.
func TestSimultaneousLogins(t *testing.T) {
	s := newTestService(t)
	loggedIn(t, s, "vera")
	var wg sync.WaitGroup
	for i := range 3 * DefaultLimits.UserFree {
		wg.Go(func() {
			if _, err := s.Login(bg, "vera", "vera's password", "10.0.0.1"); err != nil {
				t.Errorf("login %d: %v", i, err)
			}
		})
	}
	wg.Wait()
}

// TestRegisterLimitBeforeExists: asking to register a taken name counts
// against the registrations of the address, so the answer user_exists
// cannot be had faster than the registration limit.
func TestRegisterLimitBeforeExists(t *testing.T) {
	s := newTestService(t)
	s.signups = newSignupLimiter(3)
	if err := s.Register(bg, "wynn", "wynn's password", "10.0.0.7"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.Register(bg, "wynn", "another password", "10.0.0.7"); !errors.Is(err, ErrUserExists) {
			t.Fatalf("taken name: %v", err)
		}
	}
	err := s.Register(bg, "wynn", "another password", "10.0.0.7")
	var rl *RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("fourth registration from one address: %v, want rate limited", err)
	}
	if err := s.Register(bg, "xena", "xena's password", "10.0.0.8"); err != nil {
		t.Errorf("another address: %v", err)
	}
}
