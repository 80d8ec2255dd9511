package service

import (
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
}

// DefaultLimits are the login limits used unless Config says otherwise.
var DefaultLimits = LimitConfig{
	UserFree:    5,
	AddrFree:    20,
	Window:      15 * time.Minute,
	MaxWait:     5 * time.Minute,
	MaxTracked:  100_000,
	FirstWaitMS: 1000,
}

type failures struct {
	count   int
	last    time.Time
	blocked time.Time // no attempts before this
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

// allow returns nil, or a *RateLimitError if user or addr must wait.
func (l *loginLimiter) allow(user, addr string) error {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range []struct{ key, kind string }{{"u:" + user, "user"}, {"a:" + addr, "address"}} {
		if f, ok := l.keys[k.key]; ok && now.Before(f.blocked) {
			return &RateLimitError{RetryAfter: f.blocked.Sub(now), Reason: k.kind}
		}
	}
	return nil
}

// fail records a failed attempt.
func (l *loginLimiter) fail(user, addr string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bump("u:"+user, l.cfg.UserFree, now)
	l.bump("a:"+addr, l.cfg.AddrFree, now)
	if len(l.keys) > l.cfg.MaxTracked {
		l.prune(now)
	}
}

func (l *loginLimiter) bump(key string, free int, now time.Time) {
	f, ok := l.keys[key]
	if !ok || now.Sub(f.last) > l.cfg.Window {
		f = &failures{}
		l.keys[key] = f
	}
	f.count++
	f.last = now
	if over := f.count - free; over > 0 {
		wait := time.Duration(l.cfg.FirstWaitMS) * time.Millisecond
		for i := 1; i < over && wait < l.cfg.MaxWait; i++ {
			wait *= 2
		}
		wait = min(wait, l.cfg.MaxWait)
		f.blocked = now.Add(wait)
	}
}

// succeed clears the user's failures.
func (l *loginLimiter) succeed(user string) {
	l.mu.Lock()
	delete(l.keys, "u:"+user)
	l.mu.Unlock()
}

// prune drops keys whose window has passed, then, if still over the limit,
// the least recently failed half. Called with mu held.
func (l *loginLimiter) prune(now time.Time) {
	for k, f := range l.keys {
		if now.Sub(f.last) > l.cfg.Window && now.After(f.blocked) {
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
