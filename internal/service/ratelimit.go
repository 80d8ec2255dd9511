package service

import (
	"context"
	"sync"
	"time"
)

// LimitConfig sets how failed logins are slowed. After Free failures within
// Window, each further failure doubles the wait before the next attempt is
// even checked (no argon2 work is spent on a refused attempt), up to
// MaxWait. A success clears the user's count; an address's count only
// decays, so one valid account cannot launder guesses at others.
type LimitConfig struct {
	UserFree    int
	AddrFree    int
	Window      time.Duration
	MaxWait     time.Duration
	MaxTracked  int // keys kept at most; the oldest are dropped first
	FirstWaitMS int64
	// SignupsPerHour bounds registrations per client address (each makes
	// a folder, a workbook row and an argon2 hash).
	SignupsPerHour int
}

// DefaultLimits are the login limits used unless Config says otherwise.
var DefaultLimits = LimitConfig{
	UserFree:       5,
	AddrFree:       20,
	Window:         15 * time.Minute,
	MaxWait:        5 * time.Minute,
	MaxTracked:     100_000,
	FirstWaitMS:    1000,
	SignupsPerHour: 250,
}

type failures struct {
	count    int
	last     time.Time
	blocked  time.Time       // no attempts before this
	inflight int             // attempts allowed and not yet decided
	waiters  []chan struct{} // attempts waiting for one in flight to be decided, oldest first
}

// wakeOne lets the oldest waiting attempt look again: one in flight was
// decided, so one more may go. Waking them one at a time, in the order
// they came, keeps a burst of logins from one address fair: with a
// broadcast, every waiter raced for each freed place and some waited
// minutes while later ones went first.
func (f *failures) wakeOne() {
	if f == nil || len(f.waiters) == 0 {
		return
	}
	close(f.waiters[0])
	f.waiters = f.waiters[1:]
}

// wakeAll lets every waiting attempt look again: the key was reset,
// dropped or blocked.
func (f *failures) wakeAll() {
	if f == nil {
		return
	}
	for _, ch := range f.waiters {
		close(ch)
	}
	f.waiters = nil
}

// leave takes ch out of the queue. It reports false if ch had been woken
// already (and so is no longer in the queue).
func (f *failures) leave(ch chan struct{}) bool {
	for i, w := range f.waiters {
		if w == ch {
			f.waiters = append(f.waiters[:i], f.waiters[i+1:]...)
			return true
		}
	}
	return false
}

// loginLimiter tracks failed logins per user name and per client address.
type loginLimiter struct {
	cfg LimitConfig
	now func() time.Time

	mu   sync.Mutex
	keys map[string]*failures
}

func newLoginLimiter(cfg LimitConfig) *loginLimiter {
	return &loginLimiter{cfg: cfg, now: time.Now, keys: make(map[string]*failures)}
}

// allow returns nil, or a *RateLimitError if user or addr must wait. An
// allowed attempt counts as in flight until fail, succeed or abandon
// decides it. Attempts arriving together must not all slip in before the
// first of them is found wrong (a hash takes tens of milliseconds), but
// they are not failures either: when the attempts in flight could already
// use up the failures left to a key, allow waits until one of them is
// decided (or ctx ends), then looks again. So simultaneous correct logins
// all pass, one after another, and simultaneous guesses stop at the limit.
func (l *loginLimiter) allow(ctx context.Context, user, addr string) error {
	keys := [2]struct {
		key, kind string
		free      int
	}{{"u:" + user, "user", l.cfg.UserFree}, {"a:" + addr, "address", l.cfg.AddrFree}}
	// woke is the key whose decided attempt woke this one: the place it
	// freed is passed on if this attempt does not take it.
	var woke *failures
	for {
		now := l.now()
		l.mu.Lock()
		var wait *failures
		for _, k := range keys {
			f, ok := l.keys[k.key]
			if !ok {
				continue
			}
			if now.Before(f.blocked) {
				woke.wakeOne()
				l.mu.Unlock()
				return &RateLimitError{RetryAfter: f.blocked.Sub(now), Reason: k.kind}
			}
			// The window forgets old failures, not the attempts in flight:
			// a key last failed long ago still admits only as many at once
			// as a new key would.
			count := f.count
			if now.Sub(f.last) > l.cfg.Window {
				count = 0
			}
			if f.inflight > 0 && count+f.inflight >= k.free {
				wait = f
				break
			}
		}
		if wait == nil {
			for _, k := range keys {
				f, ok := l.keys[k.key]
				if !ok {
					f = &failures{last: now}
					l.keys[k.key] = f
				}
				f.inflight++
			}
			l.mu.Unlock()
			return nil
		}
		ch := make(chan struct{})
		if woke == wait {
			// Woken and beaten to the place: keep this attempt's turn.
			wait.waiters = append([]chan struct{}{ch}, wait.waiters...)
		} else {
			woke.wakeOne() // held back by the other key: the place goes on
			wait.waiters = append(wait.waiters, ch)
		}
		l.mu.Unlock()
		select {
		case <-ch:
			woke = wait
		case <-ctx.Done():
			l.mu.Lock()
			if !wait.leave(ch) {
				wait.wakeOne() // woken as it gave up: the place goes on
			}
			l.mu.Unlock()
			return ctx.Err()
		}
	}
}

// settle ends an attempt's in-flight count. Called with mu held.
func (l *loginLimiter) settle(key string) {
	if f, ok := l.keys[key]; ok && f.inflight > 0 {
		f.inflight--
		f.wakeOne()
	}
}

// fail records a failed attempt.
func (l *loginLimiter) fail(user, addr string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.settle("u:" + user)
	l.settle("a:" + addr)
	l.bump("u:"+user, l.cfg.UserFree, now)
	l.bump("a:"+addr, l.cfg.AddrFree, now)
	if len(l.keys) > l.cfg.MaxTracked {
		l.prune(now)
	}
}

func (l *loginLimiter) bump(key string, free int, now time.Time) {
	f, ok := l.keys[key]
	if !ok || now.Sub(f.last) > l.cfg.Window && f.count > 0 {
		f.wakeAll()
		f = &failures{inflight: f.inflightOf()}
		l.keys[key] = f
	}
	f.count++
	f.last = now
	if over := f.count - free; over > 0 {
		f.blocked = now.Add(l.backoff(over))
		f.wakeAll() // those waiting are refused at once
	}
}

func (f *failures) inflightOf() int {
	if f == nil {
		return 0
	}
	return f.inflight
}

// succeed clears the user's failures and ends the attempt's in-flight
// count at the address.
func (l *loginLimiter) succeed(user, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.settle("a:" + addr)
	if f, ok := l.keys["u:"+user]; ok {
		f.wakeAll() // the user's failures are cleared: all may look again
		if f.inflight > 1 {
			f.inflight--
			f.count, f.blocked = 0, time.Time{}
		} else {
			delete(l.keys, "u:"+user)
		}
	}
	if f, ok := l.keys["a:"+addr]; ok && f.count == 0 && f.inflight == 0 && len(f.waiters) == 0 {
		delete(l.keys, "a:"+addr)
	}
}

// abandon ends an attempt that was neither a success nor a failure (the
// request was cancelled).
func (l *loginLimiter) abandon(user, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.settle("u:" + user)
	l.settle("a:" + addr)
}

// prune drops keys whose window has passed, then, if still over the limit,
// the least recently failed half. Called with mu held.
func (l *loginLimiter) prune(now time.Time) {
	for k, f := range l.keys {
		if now.Sub(f.last) > l.cfg.Window && now.After(f.blocked) {
			f.wakeAll()
			delete(l.keys, k)
		}
	}
	if len(l.keys) <= l.cfg.MaxTracked {
		return
	}
	var cutoff time.Time
	for _, f := range l.keys {
		if cutoff.IsZero() || f.last.Before(cutoff) {
			cutoff = f.last
		}
	}
	// Move the cutoff up until about half the keys are older than it.
	span := now.Sub(cutoff) / 2
	for k, f := range l.keys {
		if f.last.Before(cutoff.Add(span)) {
			f.wakeAll()
			delete(l.keys, k)
		}
	}
}

// Tracked reports how many keys the limiter holds (bounded by MaxTracked).
func (l *loginLimiter) tracked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// signupLimiter allows each address a number of registrations per hour.
type signupLimiter struct {
	perHour int
	mu      sync.Mutex
	window  time.Time
	counts  map[string]int
}

func newSignupLimiter(perHour int) *signupLimiter {
	return &signupLimiter{perHour: perHour, counts: make(map[string]int)}
}

// allow counts one registration from addr, or refuses it.
func (l *signupLimiter) allow(addr string, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.window) > time.Hour {
		l.window = now
		clear(l.counts) // a fixed window keeps the map bounded by one hour's addresses
	}
	if l.counts[addr] >= l.perHour {
		return &RateLimitError{RetryAfter: l.window.Add(time.Hour).Sub(now), Reason: "address (registrations)"}
	}
	l.counts[addr]++
	return nil
}
