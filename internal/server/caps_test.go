package server_test

import (
	"io"
	"net"
	"testing"
	"time"

	"netdisk/internal/daemon"
	"netdisk/internal/proto"
)

// dialFrom opens a raw connection from a loopback address of its own
// (all of 127.0.0.0/8 is loopback), reads the hello, and returns it; on
// refusal, the error frame the server sent instead.
func dialFrom(t *testing.T, d *daemon.Daemon, ip byte) (*rawConn, *proto.Header) {
	t.Helper()
	nc, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, ip)}}).Dial("tcp", d.Addr.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	c := &rawConn{t: t, nc: nc, r: proto.NewReader(nc), w: proto.NewWriter(nc)}
	io.WriteString(nc, proto.Preamble)
	return c, c.read()
}

// TestPreLoginCapPerAddress: one address cannot hold more connections that
// have not logged in than the cap; it is told why, and other addresses
// (and that address, once one of its connections logs in) are served.
func TestPreLoginCapPerAddress(t *testing.T) {
	d := start(t, func(c *daemon.Config) { c.MaxPreLoginPerAddr = 5 })
	var held []*rawConn
	for range 5 {
		c, h := dialFrom(t, d, 7)
		if h.Type != "hello" {
			t.Fatalf("connection %d refused: %s", len(held), h.Raw)
		}
		held = append(held, c)
	}
	c, h := dialFrom(t, d, 7)
	var e proto.Error
	h.Decode(&e)
	if h.Type != "error" || e.Code != proto.CodeServerBusy {
		t.Fatalf("sixth connection not logged in from one address: %s", h.Raw)
	}
	c.expectClosed()
	if _, h := dialFrom(t, d, 8); h.Type != "hello" {
		t.Fatalf("another address refused: %s", h.Raw)
	}
	// Logging in frees the slot.
	held[0].send(1, proto.Register{User: "carol", Password: "carol's password"})
	held[0].read()
	held[0].send(2, proto.Login{User: "carol", Password: "carol's password"})
	if h := held[0].read(); h.Type != "session" {
		t.Fatalf("login: %s", h.Raw)
	}
	if _, h := dialFrom(t, d, 7); h.Type != "hello" {
		t.Fatalf("after a login, the address is still refused: %s", h.Raw)
	}
}

// TestLoginDeadlineDoesNotRestart: requests before login (even refused
// ones) do not push back the login deadline.
func TestLoginDeadlineDoesNotRestart(t *testing.T) {
	d := start(t, func(c *daemon.Config) { c.LoginTimeout = time.Second })
	c, _ := dialRaw(t, d)
	start := time.Now()
	for i := uint64(1); time.Since(start) < 3*time.Second; i++ {
		if err := c.w.WriteMsg(i, proto.ListRequest{Path: "."}, 0); err != nil {
			break
		}
		if c.w.Flush() != nil {
			break
		}
		if _, err := c.r.ReadHeader(); err != nil {
			break // closed: good
		}
		time.Sleep(100 * time.Millisecond)
	}
	if took := time.Since(start); took > 2500*time.Millisecond {
		t.Fatalf("a chatty connection that never logged in lasted %v (login deadline 1s)", took)
	}
}

// TestConnectionCapPerUser: a user cannot hold more connections than the
// cap; the refusal says why, and the user's other connections, and other
// users, are served.
func TestConnectionCapPerUser(t *testing.T) {
	d := start(t, func(c *daemon.Config) { c.MaxConnsPerUser = 3 })
	first := loggedIn(t, d, "dora")
	for i := range 2 {
		c, _ := dialRaw(t, d)
		c.send(1, proto.Login{User: "dora", Password: "dora password"})
		if h := c.read(); h.Type != "session" {
			t.Fatalf("connection %d: %s", i+2, h.Raw)
		}
	}
	c, _ := dialRaw(t, d)
	c.send(1, proto.Login{User: "dora", Password: "dora password"})
	c.expectError(1, proto.CodeBusy)
	first.send(3, proto.Mkdir{Path: "still-works"})
	if h := first.read(); h.Type != "ok" {
		t.Fatalf("the user's first connection: %s", h.Raw)
	}
	loggedIn(t, d, "eve")
	// Logging out frees a slot.
	first.send(4, proto.Logout{})
	first.read()
	c.send(2, proto.Login{User: "dora", Password: "dora password"})
	if h := c.read(); h.Type != "session" {
		t.Fatalf("after a logout: %s", h.Raw)
	}
}
