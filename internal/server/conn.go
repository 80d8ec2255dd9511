package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"netdisk/internal/proto"
	"netdisk/internal/reqlog"
	"netdisk/internal/service"
)

// conn is one client connection. Its reader loop runs in the goroutine
// Serve started; replies may also be written from other goroutines, so
// writes go through wmu.
type conn struct {
	srv    *Server
	nc     net.Conn // the TCP connection
	stream net.Conn // nc, or the TLS connection over it
	remote string   // the client's IP, for rate limits and logs
	logger *slog.Logger
	ctx    context.Context // the connection's: carries its id for logs
	cancel context.CancelFunc

	// Of the request being served, set by dispatch in the loop's
	// goroutine: its context (carrying its id for logs), its start, and
	// whether its handler took over finishing it (a put, answered once
	// stored).
	req      context.Context
	reqStart time.Time
	deferred bool

	r   *proto.Reader
	wmu sync.Mutex
	w   *proto.Writer

	challenge []byte
	keyOK     bool      // client key proven (or none required)
	loginBy   time.Time // the connection must log in before this
	preLogin  bool      // counted in Server.preLogin
	counted   string    // the user it is counted for in Server.users
	sess      *service.Session
	reserved  reservations
	replies   replyQueue
	raw       syscall.RawConn // the socket, for waitRequest's readiness check; nil if nc has none

	mu   sync.Mutex
	busy bool // in the middle of a request
}

func newConn(s *Server, nc net.Conn) *conn {
	remote := nc.RemoteAddr().String()
	if host, _, err := net.SplitHostPort(remote); err == nil {
		remote = host
	}
	// The service keeps where a login or an upload came from, for the
	// administrator's listings; log lines carry the connection's id.
	ctx, cancel := context.WithCancel(service.WithOrigin(reqlog.With(s.ctx, slog.Uint64("conn", reqlog.NewID())),
		service.Origin{Door: service.DoorProtocol, Addr: nc.RemoteAddr().String()}))
	var raw syscall.RawConn
	if sc, ok := nc.(syscall.Conn); ok {
		raw, _ = sc.SyscallConn()
	}
	return &conn{
		raw:    raw,
		srv:    s,
		nc:     nc,
		stream: nc,
		remote: remote,
		logger: s.logger.With("remote", nc.RemoteAddr().String()),
		ctx:    ctx,
		cancel: cancel,
		req:    ctx, // until the first request
		keyOK:  s.cfg.ClientKey == nil,
	}
}

// serve runs the connection to its end.
func (c *conn) serve() {
	defer c.close()
	if err := c.handshake(); err != nil {
		c.logger.WarnContext(c.ctx, "handshake failed", "err", err)
		return
	}
	c.loop()
}

func (c *conn) close() {
	// Whole, verified files waiting for their commit are stored even if no
	// one hears of it.
	c.replies.wait()
	c.cancel()
	c.reserved.closeAll()
	c.leavePreLogin()
	c.leaveUser()
	c.nc.Close()
}

// handshake sets up the transport (see transport) and sends the hello.
func (c *conn) handshake() error {
	cfg := c.srv.cfg
	c.nc.SetDeadline(time.Now().Add(cfg.HandshakeTimeout))
	if err := c.transport(); err != nil {
		return err
	}
	c.r = proto.NewReader(c.stream)
	c.challenge = make([]byte, proto.ChallengeLen)
	rand.Read(c.challenge)
	hello := proto.Hello{
		Version:   proto.Version,
		Server:    "netdisk",
		Name:      cfg.Name,
		Welcome:   cfg.Welcome,
		Challenge: c.challenge,
		ClientKey: cfg.ClientKey != nil,
	}
	if err := c.send(0, hello); err != nil {
		return fmt.Errorf("sending hello: %w", err)
	}
	c.nc.SetDeadline(time.Time{})
	return nil
}

// transport does the TLS handshake (when on), reads the client's preamble
// and makes the frame writer. A client speaking the other transport gets a
// plaintext error frame it can show, instead of silence until a timeout.
func (c *conn) transport() error {
	cfg := c.srv.cfg
	if cfg.TLS != nil {
		var first [1]byte
		if _, err := io.ReadFull(c.nc, first[:]); err != nil {
			return fmt.Errorf("reading first byte: %w", err)
		}
		if first[0] != 0x16 { // not a TLS handshake record
			c.sendRaw(proto.Errorf(proto.CodeTLSRequired,
				"this server requires TLS; connect without --plaintext"))
			return errors.New("plaintext client on the TLS port")
		}
		tc := tls.Server(&prefixConn{Conn: c.nc, prefix: first[:]}, cfg.TLS)
		if err := tc.HandshakeContext(c.ctx); err != nil {
			return fmt.Errorf("TLS handshake: %w", err)
		}
		c.mu.Lock()
		c.stream = tc
		c.mu.Unlock()
	}
	var pre [len(proto.Preamble)]byte
	if _, err := io.ReadFull(c.stream, pre[:]); err != nil {
		if cfg.TLS == nil && pre[0] == 0x16 {
			c.sendRaw(tlsUnexpected())
			return errors.New("TLS client on the plaintext port")
		}
		return fmt.Errorf("reading preamble: %w", err)
	}
	switch {
	case string(pre[:]) == proto.Preamble:
	case cfg.TLS == nil && pre[0] == 0x16:
		c.sendRaw(tlsUnexpected())
		return errors.New("TLS client on the plaintext port")
	case strings.HasPrefix(string(pre[:]), proto.Preamble[:7]):
		c.sendRaw(proto.Errorf(proto.CodeUnsupported,
			"this client speaks netdisk protocol version %s (%q) and this server version %d (%q); use a client and server of the same version",
			pre[7:], pre[:], proto.Version, proto.Preamble))
		return fmt.Errorf("unsupported protocol version %q", pre[:])
	default:
		c.sendRaw(proto.Errorf(proto.CodeBadRequest, "not a netdisk client: the preamble must be %q", proto.Preamble))
		return fmt.Errorf("bad preamble %q", pre[:])
	}
	c.w = proto.NewWriter(c.stream)
	return nil
}

func tlsUnexpected() *proto.Error {
	return proto.Errorf(proto.CodeTLSUnexpected,
		"this server runs without TLS (--plaintext); connect with --plaintext")
}

func busyError() *proto.Error {
	return proto.Errorf(proto.CodeServerBusy, "the server has too many connections; try again shortly")
}

// refuse tells an over-limit client it cannot be served, in whichever
// transport it speaks, and closes the connection.
func (c *conn) refuse(e *proto.Error) {
	defer c.nc.Close()
	c.nc.SetDeadline(time.Now().Add(c.srv.cfg.HandshakeTimeout))
	if err := c.transport(); err != nil {
		return
	}
	c.send(0, e)
}

// sendRaw writes one error frame before the frame writer exists: on the
// TLS connection once there is one, else straight on TCP (which is how a
// plaintext client on the TLS port gets a message it can read).
func (c *conn) sendRaw(e *proto.Error) {
	b, err := proto.AppendFrameHeader(nil, 0, e, 0)
	if err == nil {
		c.stream.SetWriteDeadline(time.Now().Add(5 * time.Second))
		c.stream.Write(b)
	}
}

// deadlineReason says which deadline ended an idle connection.
func (c *conn) deadlineReason() string {
	switch {
	case !c.keyOK:
		return "no client key within " + c.srv.cfg.HandshakeTimeout.String()
	case c.sess == nil:
		return "no login within " + c.srv.cfg.LoginTimeout.String() + " of the hello"
	}
	return "no request for " + c.srv.cfg.IdleTimeout.String()
}

// loop reads and serves requests until the client leaves, a deadline
// passes, the protocol breaks, or the server shuts down.
func (c *conn) loop() {
	cfg := c.srv.cfg
	// Before login the deadlines run from the hello and are never pushed
	// back by requests: a client sending anything at all (unknown types,
	// failed logins) would otherwise hold its connection forever.
	keyBy := time.Now().Add(cfg.HandshakeTimeout)
	c.loginBy = time.Now().Add(cfg.LoginTimeout)
	for {
		var deadline time.Time
		switch {
		case !c.keyOK:
			deadline = keyBy // the client key comes first, at once
		case c.sess == nil:
			deadline = c.loginBy
		default:
			deadline = time.Now().Add(cfg.IdleTimeout)
		}
		if err := c.takeHeldRecord(); err != nil {
			c.logEnd(err, "waiting for a request")
			return
		}
		if !c.goIdle(deadline) {
			c.replies.wait() // their replies go before the notice
			c.send(0, proto.Errorf(proto.CodeShuttingDown, "the server is shutting down"))
			return
		}
		if err := c.waitRequest(); err != nil {
			c.logEnd(err, "waiting for a request")
			switch {
			case c.srv.closing.Load():
				c.replies.wait() // their replies go before the notice
				c.send(0, proto.Errorf(proto.CodeShuttingDown, "the server is shutting down"))
			case isTimeout(err):
				// Say why before closing (PROTOCOL.md §6), with a short
				// deadline of its own: a peer that reads nothing cannot
				// hold the connection open by not reading this either.
				c.replies.wait()
				c.stream.SetWriteDeadline(time.Now().Add(time.Second))
				c.send(0, proto.Errorf(proto.CodeTimeout, "%s; closing the connection", c.deadlineReason()))
			}
			return
		}
		if !c.setBusy() {
			return
		}
		c.stream.SetReadDeadline(time.Now().Add(cfg.FrameTimeout))
		h, err := c.r.ReadHeader()
		if err != nil {
			c.logEnd(err, "reading a frame header")
			if !isNetError(err) {
				c.send(0, proto.Errorf(proto.CodeBadRequest, "malformed frame: %v", err))
			}
			return
		}
		if err := c.dispatch(h); err != nil {
			c.logEnd(err, h.Type)
			return
		}
	}
}

// takeHeldRecord moves a TLS record the TLS layer has already read from
// the socket (a pipelined request) into the frame reader, without waiting
// for the network: waitRequest watches the socket, which such a record has
// left already.
func (c *conn) takeHeldRecord() error {
	if c.srv.cfg.TLS == nil || c.r.Buffered() > 0 {
		return nil
	}
	c.stream.SetReadDeadline(time.Now()) // a read that finds nothing held fails at once
	// (a deadline failure does not stick: see proto.Reader.WaitHeader)
	if err := c.r.Wait(); err != nil && !isTimeout(err) {
		return err // the peer's close_notify, or a bad record, held with the last request
	}
	return nil
}

// waitRequest blocks until the next request begins to arrive, the peer
// leaves, or the read deadline passes. An idle connection holds no frame
// buffer (the reader gives its buffer back) and waits on the socket
// itself, not inside the TLS layer's read, so its goroutine's stack stays
// shallow and can shrink: many idle connections cost little memory.
func (c *conn) waitRequest() error {
	if c.r.Buffered() > 0 {
		return nil
	}
	c.r.Release()
	if c.raw == nil {
		return c.r.Wait()
	}
	err := c.raw.Read(readable)
	if err != nil || c.srv.cfg.TLS == nil {
		return err
	}
	// Over TLS the bytes may be a record that carries no request (a key
	// update, an alert): read through the TLS layer, still under the idle
	// deadline, until a request's bytes come.
	return c.r.Wait()
}

// readable is the poller's test of an idle socket: data, the end of the
// stream or an error (the read that follows takes or reports it) end the
// wait; nothing yet waits for the poller.
func readable(fd uintptr) bool {
	var b [1]byte
	_, _, err := unix.Recvfrom(int(fd), b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
	return err != unix.EAGAIN && err != unix.EINTR
}

// goIdle marks the connection idle and arms the deadline for the next
// request, under the same lock wakeIfIdle takes, so a shutdown's wake-up
// cannot be overwritten. It returns false when the server is shutting down.
func (c *conn) goIdle(deadline time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.busy = false
	if c.srv.closing.Load() {
		return false
	}
	c.stream.SetReadDeadline(deadline)
	return true
}

// setBusy records that a request is in progress. It returns false when the
// server is shutting down and the connection should end.
func (c *conn) setBusy() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.busy = true
	return !c.srv.closing.Load()
}

// wakeIfIdle makes an idle connection's read return at once, for Shutdown.
func (c *conn) wakeIfIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.busy && c.stream != nil {
		c.nc.SetReadDeadline(time.Now())
	}
}

func (c *conn) logEnd(err error, during string) {
	switch {
	case errors.Is(err, io.EOF):
		c.logger.DebugContext(c.ctx, "client closed the connection")
	case errors.Is(err, os.ErrDeadlineExceeded) && c.srv.closing.Load():
		c.logger.DebugContext(c.ctx, "closing idle connection for shutdown")
	case errors.Is(err, os.ErrDeadlineExceeded):
		c.logger.InfoContext(c.ctx, "dropping connection: deadline passed", "during", during)
	default:
		c.logger.WarnContext(c.ctx, "closing connection", "during", during, "err", err)
	}
}

func isNetError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed)
}

// send writes one frame without a body and flushes it.
func (c *conn) send(id uint64, msg proto.Message) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.stream.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteTimeout))
	if err := c.w.WriteMsg(id, msg, 0); err != nil {
		return err
	}
	return c.w.Flush()
}

// sendError replies with err mapped to a wire error; ctx is the request's.
func (c *conn) sendError(ctx context.Context, id uint64, err error) error {
	return c.send(id, c.toWire(ctx, err))
}

// prefixConn is a net.Conn whose first reads return bytes already taken
// from it.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.prefix) > 0 {
		n := copy(b, p.prefix)
		p.prefix = p.prefix[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}
