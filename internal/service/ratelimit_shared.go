package service

import (
	"context"
	"time"
)

// FailureCounts are failed-login counts that several servers share
// (sessions.Postgres keeps them). Each server's loginLimiter still holds
// back attempts in flight and queues them; these counts carry the
// failures between servers, so that guesses spread over several servers
// meet one limit. Keys are the limiter's: "u:<user>", "a:<address>".
type FailureCounts interface {
	// Blocked returns, for each of keys blocked until a time still to
	// come, that time.
	Blocked(ctx context.Context, keys []string) (map[string]time.Time, error)
	// Failed counts one failure of each key, forgetting a key's failures
	// when its last is older than window, and returns each key's count.
	Failed(ctx context.Context, keys []string, window time.Duration) ([]int, error)
	// Block records that key is blocked until.
	Block(ctx context.Context, key string, until time.Time) error
	// Clear forgets key's failures.
	Clear(ctx context.Context, key string) error
}

// keysOf returns the keys of a login attempt, their kinds, and the
// failures each allows.
func (l *loginLimiter) keysOf(user, addr string) (keys []string, kinds []string, free []int) {
	return []string{"u:" + user, "a:" + addr}, []string{"user", "address"}, []int{l.cfg.UserFree, l.cfg.AddrFree}
}

// backoff is how long a key is blocked once it has over failures more
// than it is allowed: FirstWaitMS, doubled for each failure beyond the
// first, up to MaxWait.
func (l *loginLimiter) backoff(over int) time.Duration {
	wait := time.Duration(l.cfg.FirstWaitMS) * time.Millisecond
	for i := 1; i < over && wait < l.cfg.MaxWait; i++ {
		wait *= 2
	}
	return min(wait, l.cfg.MaxWait)
}

// sharedAllow refuses an attempt that another server's failures block.
func (s *Service) sharedAllow(ctx context.Context, user, addr string) error {
	if s.failures == nil {
		return nil
	}
	keys, kinds, _ := s.limiter.keysOf(user, addr)
	blocked, err := s.failures.Blocked(ctx, keys)
	if err != nil {
		return s.sessionFault(ctx, err)
	}
	now := time.Now()
	for i, key := range keys {
		if until, ok := blocked[key]; ok && until.After(now) {
			return &RateLimitError{RetryAfter: until.Sub(now), Reason: kinds[i]}
		}
	}
	return nil
}

// sharedFail tells the other servers of a failed attempt.
func (s *Service) sharedFail(ctx context.Context, user, addr string) {
	if s.failures == nil {
		return
	}
	ctx = context.WithoutCancel(ctx) // the failure happened: count it even if the client left
	keys, _, free := s.limiter.keysOf(user, addr)
	counts, err := s.failures.Failed(ctx, keys, s.limiter.cfg.Window)
	if err != nil {
		s.logger.ErrorContext(ctx, "counting a failed login for the other servers", "err", err)
		return
	}
	now := time.Now()
	for i, key := range keys {
		if over := counts[i] - free[i]; over > 0 {
			if err := s.failures.Block(ctx, key, now.Add(s.limiter.backoff(over))); err != nil {
				s.logger.ErrorContext(ctx, "blocking logins for the other servers", "err", err)
			}
		}
	}
}

// sharedSucceed clears the user's failures on every server.
func (s *Service) sharedSucceed(ctx context.Context, user string) {
	if s.failures == nil {
		return
	}
	if err := s.failures.Clear(context.WithoutCancel(ctx), "u:"+user); err != nil {
		s.logger.ErrorContext(ctx, "clearing failed logins for the other servers", "err", err)
	}
}
