// Package client is the Go client of the netdisk protocol: Dial (TLS with
// certificate pinning, or plaintext), then Login, List, Put, Get and the
// rest as methods. Requests are multiplexed on one connection by id, so
// callers may pipeline: many requests in flight, replies matched as they
// come. Nothing here prints or prompts; internal/cli does that.
package client

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"netdisk/internal/proto"
)

// Options configure Dial.
type Options struct {
	// Plaintext turns TLS off; the server must run with --plaintext too.
	Plaintext bool
	// Pins is the known_servers file. With TLS, Pins or Fingerprint is
	// required: the client trusts a server certificate only by its pinned
	// fingerprint.
	Pins *KnownServers
	// Fingerprint, when set, is the one certificate trusted (instead of
	// Pins): a pin held in memory, as netdisk bench holds one for its run.
	Fingerprint string
	// ConfirmNew decides whether to trust and pin a server seen for the
	// first time. Nil refuses unknown servers. Without Pins and
	// Fingerprint, it decides for this connection alone (nothing is
	// pinned).
	ConfirmNew func(addr, fingerprint string) (bool, error)
	// ClientKey proves the client to a server started with --client-key.
	ClientKey []byte
	// DialTimeout bounds connecting and the handshake; default 15 s.
	DialTimeout time.Duration
	// Timeout is how long a request may wait on a silent server; default
	// DefaultTimeout.
	Timeout time.Duration
}

// Client is a connection to a netdisk server. Its methods are safe for
// concurrent use.
type Client struct {
	addr      string
	plaintext bool // no TLS: files can go to and from the socket by the kernel
	conn      net.Conn
	watched   *watchedConn
	timeout   time.Duration
	hello     proto.Hello

	wmu sync.Mutex
	w   *proto.Writer

	r      *proto.Reader
	nextID atomic.Uint64

	mu       sync.Mutex
	pending  map[uint64]*call
	bodyOpen bool  // a reply body is being read by its caller
	err      error // set once the reader stops
	done     chan struct{}
}

// Dial connects to addr (host:port), checks the server's certificate
// against the pins (TLS) and reads the server's hello. The hello's welcome
// message is in Hello().
func Dial(ctx context.Context, addr string, opts Options) (*Client, error) {
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 15 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, opts.DialTimeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", addr, err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		nc.SetDeadline(deadline)
	}
	c, err := handshake(ctx, nc, addr, opts)
	if err != nil {
		nc.Close()
		return nil, err
	}
	c.watched.start()
	go c.readLoop()
	return c, nil
}

func handshake(ctx context.Context, nc net.Conn, addr string, opts Options) (*Client, error) {
	c := &Client{
		addr:      addr,
		plaintext: opts.Plaintext,
		timeout:   opts.Timeout,
		pending:   make(map[uint64]*call),
		done:      make(chan struct{}),
	}
	c.watched = &watchedConn{Conn: nc, c: c, timeout: opts.Timeout}
	var stream net.Conn = c.watched
	if !opts.Plaintext {
		if opts.Pins == nil && opts.Fingerprint == "" && opts.ConfirmNew == nil {
			return nil, errors.New("TLS needs a known_servers file or a fingerprint to pin the server's certificate")
		}
		tc := tls.Client(stream, pinnedTLSConfig(addr, opts))
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, explainTLSError(addr, err)
		}
		stream = tc
	}
	c.conn, c.w, c.r = stream, proto.NewWriter(stream), proto.NewReader(stream)
	if _, err := io.WriteString(stream, proto.Preamble); err != nil {
		return nil, fmt.Errorf("talking to %s: %w", addr, err)
	}
	h, err := c.r.ReadHeader()
	if err != nil {
		return nil, explainHelloError(addr, opts.Plaintext, err)
	}
	switch h.Type {
	case "hello":
		if err := h.Decode(&c.hello); err != nil {
			return nil, err
		}
	case "error":
		return nil, decodeError(h)
	default:
		return nil, fmt.Errorf("%s is not a netdisk server (first message %q)", addr, h.Type)
	}
	if c.hello.Version != proto.Version {
		return nil, fmt.Errorf("%s speaks netdisk protocol version %d; this client speaks %d", addr, c.hello.Version, proto.Version)
	}
	if c.hello.ClientKey {
		if err := c.proveKey(opts.ClientKey); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// proveKey answers the server's challenge with HMAC-SHA256(key, challenge).
// It runs before the reader goroutine starts, so it reads the reply itself.
func (c *Client) proveKey(key []byte) error {
	if key == nil {
		return fmt.Errorf("%s requires a client key: pass --client-key FILE (or set NETDISK_CLIENT_KEY_FILE)", c.addr)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(c.hello.Challenge)
	id := c.nextID.Add(1)
	if err := c.w.WriteMsg(id, proto.ClientKey{Proof: mac.Sum(nil)}, 0); err != nil {
		return err
	}
	if err := c.w.Flush(); err != nil {
		return err
	}
	h, err := c.r.ReadHeader()
	if err != nil {
		return fmt.Errorf("%s closed the connection after the client key: %w", c.addr, err)
	}
	if h.Type == "error" {
		return decodeError(h)
	}
	return nil
}

func explainHelloError(addr string, plaintext bool, err error) error {
	if plaintext && (errors.Is(err, proto.ErrHeaderTooLarge) || errors.Is(err, proto.ErrBadHeader)) {
		return fmt.Errorf("%s did not answer in the netdisk protocol; if it uses TLS, connect without --plaintext (%v)", addr, err)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s closed the connection before greeting (it may be at its connection limit, or not a netdisk server)", addr)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w: %s accepted the connection but did not greet in time (is it a netdisk server? is it overloaded?)", ErrTimeout, addr)
	}
	return fmt.Errorf("reading the greeting of %s: %w", addr, err)
}

// Hello is the server's greeting.
func (c *Client) Hello() proto.Hello { return c.hello }

// Addr is the server address dialled.
func (c *Client) Addr() string { return c.addr }

// Close closes the connection; calls in flight fail.
//
// It says the end first and waits up to closeWait for the server to close
// its side: once it has, the server no longer counts the connection
// against the user's connection limit, so a command that follows at once
// (a script's next line) is not refused for a connection already gone.
func (c *Client) Close() error {
	select {
	case <-c.done:
	default:
		if c.closeWrite() == nil {
			t := time.NewTimer(closeWait)
			select {
			case <-c.done:
			case <-t.C:
			}
			t.Stop()
		}
	}
	err := c.conn.Close()
	<-c.done
	return err
}

// closeWait bounds how long Close waits for the server to close. A
// server on a fast link closes within a millisecond; on a slow one, the
// next connection takes longer than the end takes to arrive. A hostile
// server that never closes costs this much.
const closeWait = 250 * time.Millisecond

// closeWrite ends what the client sends (a TLS close_notify, or a TCP
// FIN), leaving the connection open for reading.
func (c *Client) closeWrite() error {
	if tc, ok := c.conn.(*tls.Conn); ok {
		return tc.CloseWrite()
	}
	if cw, ok := c.watched.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// Done is closed when the connection has ended.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended, once Done is closed.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func decodeError(h *proto.Header) error {
	e := &proto.Error{}
	if err := h.Decode(e); err != nil {
		return err
	}
	return e
}
