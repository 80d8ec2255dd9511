package service

import (
	"fmt"
	"sync"
	"time"
)

// Checking where a resume may continue can cost hashing: the bytes of an
// unfinished upload whose digest state was lost, or a prefix of a stored
// file that has no marks (see digest.Marks). A client asking for such a
// check again and again, with tiny requests, would make the server hash
// gigabytes for nothing. So each user has a budget of bytes to hash for
// such checks, refilled at hashRefill per second up to hashBurst; a check
// that would overdraw it is refused with ErrRateLimited and a time to wait.
// Transfers themselves are not charged: their hashing is paid for by the
// bytes the client sends or receives.
const (
	hashBurst  = 8 << 30   // bytes
	hashRefill = 512 << 20 // bytes per second
)

// hashBudgets holds each user's budget. Users with a full budget are not
// kept, so the map holds only users who hashed in the last few seconds.
type hashBudgets struct {
	mu    sync.Mutex
	users map[string]*budget
	now   func() time.Time

	// burst and refill replace hashBurst and hashRefill when set (tests).
	burst, refill float64
}

type budget struct {
	left float64 // bytes
	at   time.Time
}

// charge takes n bytes from user's budget, or says how long to wait.
func (h *hashBudgets) charge(user string, n int64) error {
	if n <= 0 {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	burst, refill := float64(hashBurst), float64(hashRefill)
	if h.burst > 0 {
		burst, refill = h.burst, h.refill
	}
	now := time.Now()
	if h.now != nil {
		now = h.now()
	}
	if h.users == nil {
		h.users = make(map[string]*budget)
	}
	if len(h.users) > 1024 {
		h.forgetFullLocked(now, burst, refill)
	}
	b, ok := h.users[user]
	if !ok {
		b = &budget{left: burst, at: now}
		h.users[user] = b
	}
	b.left = min(burst, b.left+now.Sub(b.at).Seconds()*refill)
	b.at = now
	if float64(n) > b.left {
		wait := time.Duration((float64(n) - b.left) / refill * float64(time.Second))
		if float64(n) > burst {
			// More than a full budget: allowed from a full one, so that
			// a very large file can still be resumed now and then.
			if b.left >= burst {
				b.left = 0
				return nil
			}
			wait = time.Duration((burst - b.left) / refill * float64(time.Second))
		}
		return &RateLimitError{RetryAfter: wait, Reason: "user", What: fmt.Sprintf("checks of large unfinished transfers (%d MiB to hash)", n>>20)}
	}
	b.left -= float64(n)
	return nil
}

// chargeHashing is hashing.charge, counting refusals.
func (s *Service) chargeHashing(user string, n int64) error {
	err := s.hashing.charge(user, n)
	if err != nil {
		s.metrics.RateLimited("hashing")
	}
	return err
}

// forgetFullLocked drops users whose budget is full again. Called with
// h.mu held.
func (h *hashBudgets) forgetFullLocked(now time.Time, burst, refill float64) {
	for u, b := range h.users {
		if b.left+now.Sub(b.at).Seconds()*refill >= burst {
			delete(h.users, u)
		}
	}
}
