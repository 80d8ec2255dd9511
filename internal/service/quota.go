package service

import (
	"context"
	"sync"

	"netdisk/internal/storage"
)

// quotaBook caches each user's usage, which is costly to compute (a walk of
// the folder), and holds reservations for uploads in progress so that
// concurrent uploads cannot together overshoot a quota.
type quotaBook struct {
	mu       sync.Mutex
	cached   map[string]int64 // user → bytes, from the last walk
	reserved map[string]int64 // user → bytes promised to uploads in progress
}

func newQuotaBook() *quotaBook {
	return &quotaBook{cached: make(map[string]int64), reserved: make(map[string]int64)}
}

// used returns the user's usage, walking the folder if the cache is stale.
func (q *quotaBook) used(ctx context.Context, user string, sp storage.Space) (int64, error) {
	q.mu.Lock()
	n, ok := q.cached[user]
	q.mu.Unlock()
	if ok {
		return n, nil
	}
	n, err := sp.Usage(ctx)
	if err != nil {
		return 0, err
	}
	q.mu.Lock()
	q.cached[user] = n
	q.mu.Unlock()
	return n, nil
}

// changed marks the user's cached usage stale.
func (q *quotaBook) changed(user string) {
	q.mu.Lock()
	delete(q.cached, user)
	q.mu.Unlock()
}

// changedAll marks every cached usage stale.
func (q *quotaBook) changedAll() {
	q.mu.Lock()
	clear(q.cached)
	q.mu.Unlock()
}

// reserve promises need more bytes to the user if used+reserved+need stays
// within quota (0: no quota). It returns a func that releases the promise.
func (q *quotaBook) reserve(ctx context.Context, user string, sp storage.Space, quota, need int64) (release func(), err error) {
	if quota <= 0 || need <= 0 {
		return func() {}, nil
	}
	used, err := q.used(ctx, user, sp)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if used+q.reserved[user]+need > quota {
		return nil, &QuotaError{Used: used + q.reserved[user], Quota: quota, Need: need}
	}
	q.reserved[user] += need
	var once sync.Once
	return func() {
		once.Do(func() {
			q.mu.Lock()
			q.reserved[user] -= need
			if q.reserved[user] == 0 {
				delete(q.reserved, user)
			}
			q.mu.Unlock()
		})
	}, nil
}
