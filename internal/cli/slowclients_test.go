package cli

import (
	"net"
	"path/filepath"
	"testing"
	"time"
)

// TestSilentAndSlowClientsMemory holds 1,000 connections that say nothing
// and 100 that dribble their preamble, against a server running as its own
// process: a normal client keeps working, the server's memory stays small,
// and all of them are dropped at the handshake deadline.
func TestSilentAndSlowClientsMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("holds 1,100 connections for a few seconds")
	}
	srv := startProcServer(t, filepath.Join(t.TempDir(), "data"), "--plaintext", "--handshake-timeout", "3s")
	u := srv.user(t, true)
	u.ok("normal password\n", "register", "--password-stdin", "normal")
	u.ok("normal password\n", "login", "--password-stdin", "normal")
	time.Sleep(1200 * time.Millisecond) // let the argon2 memory go back
	base := srv.rss()
	stop := srv.watchRSS()

	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range 1000 {
		// From 25 addresses (all of 127/8 is loopback), each under the
		// cap on connections not logged in per address.
		from := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%25))}
		c, err := (&net.Dialer{LocalAddr: from}).Dial("tcp", srv.addr)
		if err != nil {
			t.Fatalf("after %d connections: %v", len(conns), err)
		}
		conns = append(conns, c)
	}
	slow := conns[:100]
	done := make(chan struct{})
	go func() {
		for i := 0; ; i++ {
			for _, c := range slow {
				c.Write([]byte{"NETDISK1"[i%8]})
			}
			select {
			case <-done:
				return
			case <-time.After(time.Second):
			}
		}
	}()
	defer close(done)

	u.ok("", "mkdir", "still-works")
	u.ok("", "ls")
	time.Sleep(4 * time.Second) // past the 3 s handshake deadline
	peak := stop()
	t.Logf("server RSS: %d MiB before, %d MiB peak with 1,000 silent and 100 slow connections", base>>20, peak>>20)
	if peak > base+64<<20 {
		t.Errorf("server RSS grew from %d to %d MiB", base>>20, peak>>20)
	}
	dropped := 0
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); err != nil && !isTimeout(err) {
			dropped++
		}
	}
	if dropped != len(conns) {
		t.Errorf("%d of %d connections were dropped at the deadline", dropped, len(conns))
	}
	u.ok("", "ls")
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
