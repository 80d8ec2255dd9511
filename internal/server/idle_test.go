package server_test

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	"netdisk/internal/daemon"
	"netdisk/internal/proto"
)

// heldConn, while holding, passes writes on only at flush, so that
// several TLS records reach the server in one TCP segment.
type heldConn struct {
	net.Conn
	holding bool
	held    bytes.Buffer
}

func (c *heldConn) Write(b []byte) (int, error) {
	if !c.holding {
		return c.Conn.Write(b)
	}
	return c.held.Write(b)
}

func (c *heldConn) flush() error {
	_, err := c.Conn.Write(c.held.Bytes())
	c.held.Reset()
	return err
}

// dialHeldTLS connects over TLS through a heldConn, sends the preamble and
// reads the hello.
func dialHeldTLS(t *testing.T, d *daemon.Daemon) (*tls.Conn, *heldConn, *proto.Reader) {
	t.Helper()
	nc, err := net.Dial("tcp", d.Addr.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	hc := &heldConn{Conn: nc}
	tc := tls.Client(hc, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13})
	if _, err := io.WriteString(tc, proto.Preamble); err != nil {
		t.Fatal(err)
	}
	r := proto.NewReader(tc)
	if h, err := r.ReadHeader(); err != nil || h.Type != "hello" {
		t.Fatalf("hello: %v %v", h, err)
	}
	return tc, hc, r
}

// TestPipelinedTLSRecordsAnswered: requests that arrive in separate TLS
// records in one TCP segment are all answered. The TLS layer reads them
// from the socket together; an idle connection waits on the socket, which
// is empty by then, so the server must take the records the TLS layer
// holds before it waits (without that, the second request would sit
// unanswered until the idle deadline).
func TestPipelinedTLSRecordsAnswered(t *testing.T) {
	d := start(t, func(c *daemon.Config) { c.Plaintext = false })
	tc, hc, r := dialHeldTLS(t, d)
	// Three requests, each its own record (one Write each), in one segment.
	hc.holding = true
	for id := uint64(1); id <= 3; id++ {
		b, err := proto.AppendFrameHeader(nil, id, proto.ListRequest{Path: ""}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tc.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := hc.flush(); err != nil {
		t.Fatal(err)
	}
	for id := uint64(1); id <= 3; id++ {
		h, err := r.ReadHeader()
		if err != nil {
			t.Fatalf("reply %d of 3: %v", id, err)
		}
		if h.ID != id || h.Type != "error" {
			t.Fatalf("reply %d: %s id=%d; want not_logged_in for id %d", id, h.Type, h.ID, id)
		}
	}
}

// TestCloseNotifyHeldWithLastRequest: a client that sends its last request
// and its TLS close_notify in one segment, and leaves TCP open, gets its
// answer and then the end of the connection at once, not at the idle
// deadline (the TLS layer takes the alert from the socket along with the
// request, so nothing is left there to wake the idle wait).
func TestCloseNotifyHeldWithLastRequest(t *testing.T) {
	d := start(t, func(c *daemon.Config) { c.Plaintext = false; c.LoginTimeout = time.Minute })
	tc, hc, r := dialHeldTLS(t, d)
	hc.holding = true
	b, err := proto.AppendFrameHeader(nil, 1, proto.ListRequest{Path: ""}, 0)
	if err != nil {
		t.Fatal(err)
	}
	tc.Write(b)
	tc.CloseWrite()                                            // close_notify, TCP stays open
	hc.Conn.SetWriteDeadline(time.Now().Add(10 * time.Second)) // (CloseWrite ends writing with a deadline of now)
	if err := hc.flush(); err != nil {
		t.Fatal(err)
	}
	if h, err := r.ReadHeader(); err != nil || h.ID != 1 {
		t.Fatalf("reply: %v %v", h, err)
	}
	start := time.Now()
	if _, err := r.ReadHeader(); err == nil {
		t.Fatal("another frame after the client's close_notify")
	}
	if waited := time.Since(start); waited > 10*time.Second {
		t.Fatalf("the server held the connection %v after the client's close_notify", waited)
	}
}
