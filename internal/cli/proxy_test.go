package cli

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// cutProxy forwards TCP connections to a server and can cut them after a
// given number of bytes in one direction, the way a network drops a
// transfer half-way.
type cutProxy struct {
	addr   string
	target string
	up     atomic.Int64 // cut client→server after this many bytes (<0: never)
	down   atomic.Int64 // cut server→client after this many bytes (<0: never)
	freeze atomic.Bool  // with up: stop forwarding at the cut but keep the connection open
	rate   atomic.Int64 // if > 0, client→server bytes per second per connection
	cuts   atomic.Int64 // connections cut so far
	sent   atomic.Int64 // client→server bytes forwarded at the throttled rate
	wg     sync.WaitGroup
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{addr: ln.Addr().String(), target: target}
	p.up.Store(-1)
	p.down.Store(-1)
	var conns sync.Map
	t.Cleanup(func() {
		ln.Close()
		conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
		p.wg.Wait()
	})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			conns.Store(c, true)
			conns.Store(s, true)
			up, down := p.up.Load(), p.down.Load()
			p.wg.Add(2)
			if r := p.rate.Load(); r > 0 {
				go p.throttle(s, c, r)
			} else {
				go p.pipe(s, c, up, p.freeze.Load())
			}
			go p.pipe(c, s, down, false)
		}
	}()
	return p
}

// pipe copies src to dst; after limit bytes (if limit ≥ 0) it closes both,
// or with freeze goes silent until the connection is closed, like a peer
// that vanished without a FIN.
func (p *cutProxy) pipe(dst, src net.Conn, limit int64, freeze bool) {
	defer p.wg.Done()
	defer dst.Close()
	defer src.Close()
	if limit < 0 {
		io.Copy(dst, src)
		return
	}
	n, _ := io.CopyN(dst, src, limit)
	if n == limit {
		p.cuts.Add(1)
		if freeze {
			io.Copy(io.Discard, dst) // returns when the proxy is closed
		}
	}
}

// throttle copies src to dst at about rate bytes per second.
func (p *cutProxy) throttle(dst, src net.Conn, rate int64) {
	defer p.wg.Done()
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 16<<10)
	start := time.Now()
	var sent int64
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
			sent += int64(n)
			p.sent.Add(int64(n))
			if ahead := time.Duration(sent*int64(time.Second)/rate) - time.Since(start); ahead > 0 {
				time.Sleep(ahead)
			}
		}
		if err != nil {
			return
		}
	}
}

// viaProxy logs the registered user name in through a new cutProxy in front
// of the server, and returns that client and the proxy.
func (s *testServer) viaProxy(t *testing.T, name, password string) (*user, *cutProxy) {
	t.Helper()
	proxy := newCutProxy(t, s.addr)
	u := s.newUser(t)
	u.server = proxy.addr
	u.ok(password+"\n", "login", "--password-stdin", name)
	return u, proxy
}
