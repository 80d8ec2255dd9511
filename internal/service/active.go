package service

import "sync"

// MaxUploadsPerUser bounds the uploads one user may have open at once
// (across all connections). Each holds two file descriptors until it ends,
// so without a bound one account could exhaust the server's descriptors.
const MaxUploadsPerUser = 64

// activeUploads counts open uploads per user.
type activeUploads struct {
	mu sync.Mutex
	n  map[string]int
}

func (a *activeUploads) enter(user string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.n == nil {
		a.n = make(map[string]int)
	}
	if a.n[user] >= MaxUploadsPerUser {
		return false
	}
	a.n[user]++
	return true
}

// total is how many uploads are open, of every user.
func (a *activeUploads) total() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, c := range a.n {
		n += c
	}
	return n
}

func (a *activeUploads) leave(user string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.n[user] <= 1 {
		delete(a.n, user)
	} else {
		a.n[user]--
	}
}
