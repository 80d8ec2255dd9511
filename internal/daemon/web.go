package daemon

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Limits of the web port. A browser keeps a few connections per site open
// between requests; past webMaxConns more connections wait to be accepted
// until one closes, so idle ones cannot take the descriptors the protocol
// port needs.
const (
	webMaxConns          = 256
	webReadHeaderTimeout = 10 * time.Second
	webReadTimeout       = 60 * time.Second
	webWriteTimeout      = 60 * time.Second
	webIdleTimeout       = 60 * time.Second
	webMaxHeaderBytes    = 64 << 10
)

// newWebServer returns the HTTP server of the web port, with deadlines for
// every phase of a request and for idle keep-alive connections.
func newWebServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: webReadHeaderTimeout,
		ReadTimeout:       webReadTimeout,
		WriteTimeout:      webWriteTimeout,
		IdleTimeout:       webIdleTimeout,
		MaxHeaderBytes:    webMaxHeaderBytes,
		// HTTP/1.1 only: measured with the page in Chromium, a 1 GiB
		// upload ran at 206-212 MB/s over HTTP/1.1 and 164-177 MB/s over
		// HTTP/2 (whose flow control and framing cost CPU on both sides),
		// and HTTP/2 adds attack surface (stream floods, resets) for no
		// gain to a page that makes few requests at once.
		Protocols: h1only(),
	}
}

// limitListener accepts at most max connections at once; Accept waits for
// one to close beyond that.
type limitListener struct {
	net.Listener
	slots chan struct{}
}

func newLimitListener(ln net.Listener, max int) net.Listener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, max)}
}

func (l *limitListener) Accept() (net.Conn, error) {
	l.slots <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitedConn{Conn: c, release: func() { <-l.slots }}, nil
}

// limitedConn gives its slot back when closed (once, whatever closes it).
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// h1only allows HTTP/1.1 only (over TLS or not).
func h1only() *http.Protocols {
	var p http.Protocols
	p.SetHTTP1(true)
	return &p
}
