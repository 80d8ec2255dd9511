package server

import (
	"sync"

	"netdisk/internal/proto"
)

// Defaults for Config's caps on connections.
const (
	// DefaultMaxPreLoginPerAddr bounds the connections one address may hold
	// before logging in: without it one host could fill every connection
	// slot with connections that never log in.
	DefaultMaxPreLoginPerAddr = 64
	// DefaultMaxConnsPerUser bounds the connections one user may hold
	// logged in: the client's folder transfers open at most 64.
	DefaultMaxConnsPerUser = 64
)

// counters counts connections per key (an address, a user), each up to a
// cap. The maps hold only keys with a connection, so they stay as small as
// the connections are few.
type counters struct {
	mu sync.Mutex
	n  map[string]int
}

// add counts one more for key, unless key is at limit already.
func (c *counters) add(key string, limit int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = make(map[string]int)
	}
	if c.n[key] >= limit {
		return false
	}
	c.n[key]++
	return true
}

// done counts one less for key.
func (c *counters) done(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[key] <= 1 {
		delete(c.n, key)
	} else {
		c.n[key]--
	}
}

func addrBusyError() *proto.Error {
	return proto.Errorf(proto.CodeServerBusy, "too many connections from your address that have not logged in; log in on the ones you have, or close some")
}

// enterUser counts the connection against its user's cap once it logs in;
// false if the user holds too many already.
func (c *conn) enterUser(user string) bool {
	if !c.srv.users.add(user, c.srv.cfg.MaxConnsPerUser) {
		return false
	}
	c.counted = user
	return true
}

// leaveUser stops counting the connection against its user (logout, close).
func (c *conn) leaveUser() {
	if c.counted != "" {
		c.srv.users.done(c.counted)
		c.counted = ""
	}
}

// leavePreLogin stops counting the connection as not logged in (login,
// close); once only.
func (c *conn) leavePreLogin() {
	if c.preLogin {
		c.srv.preLogin.done(c.remote)
		c.preLogin = false
	}
}
