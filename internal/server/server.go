// Package server is the netdisk TCP front door: it accepts connections,
// speaks internal/proto on them (TLS or plaintext), and turns each request
// into a call on internal/service. Its lifecycle has net/http's shape:
// Serve, Shutdown(ctx), ErrServerClosed.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"netdisk/internal/proto"
	"netdisk/internal/reqlog"
	"netdisk/internal/service"
)

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("netdisk: server closed")

// Config holds what a Server needs. Service is required; zero values take
// the defaults below.
type Config struct {
	Service *service.Service
	TLS     *tls.Config // nil serves plaintext
	Name    string      // the server's name in hello
	Welcome string      // the welcome line clients print
	Logger  *slog.Logger

	// ClientKey, when set, must be proven (HMAC of the hello challenge)
	// before any other request.
	ClientKey []byte

	MaxConns           int           // connections served at once
	MaxPreLoginPerAddr int           // connections of one address not yet logged in; default DefaultMaxPreLoginPerAddr
	MaxConnsPerUser    int           // connections of one logged-in user; default DefaultMaxConnsPerUser
	HandshakeTimeout   time.Duration // connect → preamble, TLS handshake and hello done
	LoginTimeout       time.Duration // hello → logged in
	IdleTimeout        time.Duration // logged in, between requests
	FrameTimeout       time.Duration // first byte of a frame header → whole header; also per body chunk
	WriteTimeout       time.Duration // per write to the client

	Metrics Metrics // counts connections, requests and bytes; nil counts nothing
}

// Metrics receives the counts of the protocol's front door
// (internal/metrics implements it). Its arguments come from fixed lists:
// front is always "protocol", typ a request type of the protocol or
// "other", code "ok", "disconnected" or a protocol error code.
type Metrics interface {
	ConnOpened(front string)
	ConnClosed(front string)
	Request(front, typ, code string, took time.Duration)
	// Transferred adds n file bytes moved in direction "up" or "down".
	Transferred(front, direction string, n int64)
	// RateLimited counts a connection refused by a limit ("connections").
	RateLimited(what string)
}

// front is this door's name in metrics and logs.
const front = "protocol"

type noMetrics struct{}

func (noMetrics) ConnOpened(string)                             {}
func (noMetrics) ConnClosed(string)                             {}
func (noMetrics) Request(string, string, string, time.Duration) {}
func (noMetrics) Transferred(string, string, int64)             {}
func (noMetrics) RateLimited(string)                            {}

// Defaults for Config.
const (
	DefaultMaxConns         = 20_000
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultLoginTimeout     = 2 * time.Minute
	DefaultIdleTimeout      = 10 * time.Minute
	DefaultFrameTimeout     = 30 * time.Second
	DefaultWriteTimeout     = 60 * time.Second
	DefaultWelcome          = "欢迎使用 netdisk 网盘系统 (welcome to netdisk)"
)

// Server serves the netdisk protocol.
type Server struct {
	cfg     Config
	svc     *service.Service
	logger  *slog.Logger
	metrics Metrics
	// ctx is the parent of every connection's context; Close cancels it,
	// so work a connection queued (an argon2 slot, a walk) stops.
	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	closing   atomic.Bool
	active    atomic.Int64 // connections being served
	rejecting atomic.Int64 // over-limit connections being told so
	preLogin  counters     // connections not logged in, per address
	users     counters     // logged-in connections, per user
	wg        sync.WaitGroup
	idleDone  chan struct{} // closed when the last connection ends during shutdown
}

// New returns a Server for cfg.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Name == "" {
		cfg.Name = "netdisk"
	}
	if cfg.Welcome == "" {
		cfg.Welcome = DefaultWelcome
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.MaxPreLoginPerAddr <= 0 {
		cfg.MaxPreLoginPerAddr = DefaultMaxPreLoginPerAddr
	}
	if cfg.MaxConnsPerUser <= 0 {
		cfg.MaxConnsPerUser = DefaultMaxConnsPerUser
	}
	if cfg.Metrics == nil {
		cfg.Metrics = noMetrics{}
	}
	// Every line logged with a connection's or a request's context
	// carries its identifiers (see internal/reqlog).
	cfg.Logger = reqlog.Wrap(cfg.Logger)
	setDefault(&cfg.HandshakeTimeout, DefaultHandshakeTimeout)
	setDefault(&cfg.LoginTimeout, DefaultLoginTimeout)
	setDefault(&cfg.IdleTimeout, DefaultIdleTimeout)
	setDefault(&cfg.FrameTimeout, DefaultFrameTimeout)
	setDefault(&cfg.WriteTimeout, DefaultWriteTimeout)
	ctx, cancel := context.WithCancel(reqlog.With(context.Background(), slog.String("door", front)))
	return &Server{
		cfg:       cfg,
		svc:       cfg.Service,
		logger:    cfg.Logger,
		metrics:   cfg.Metrics,
		ctx:       ctx,
		cancel:    cancel,
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*conn]struct{}),
	}
}

func setDefault(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// Serve accepts connections on ln until Shutdown or Close, serving each in
// its own goroutine. It always returns a non-nil error; after Shutdown or
// Close, ErrServerClosed.
func (s *Server) Serve(ln net.Listener) error {
	if !s.track(ln) {
		ln.Close()
		return ErrServerClosed
	}
	defer s.untrack(ln)
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return ErrServerClosed
			}
			if temporaryAcceptError(err) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.logger.WarnContext(s.ctx, "accept failed; retrying", "err", err, "in", backoff)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		if tc, ok := nc.(*net.TCPConn); ok {
			// Requests are pipelined and flushed whole; waiting for more
			// bytes to fill a segment only adds delay.
			tc.SetNoDelay(true)
		}
		if s.active.Add(1) > int64(s.cfg.MaxConns) {
			s.active.Add(-1)
			s.logger.WarnContext(s.ctx, "connection refused: too many connections", "remote", nc.RemoteAddr().String(), "max", s.cfg.MaxConns)
			s.metrics.RateLimited("connections")
			s.reject(nc, busyError())
			continue
		}
		c := newConn(s, nc)
		if !s.preLogin.add(c.remote, s.cfg.MaxPreLoginPerAddr) {
			c.cancel() // its context leaves the server's
			s.active.Add(-1)
			s.logger.WarnContext(s.ctx, "connection refused: too many not logged in from one address", "remote", c.remote, "max", s.cfg.MaxPreLoginPerAddr)
			s.metrics.RateLimited("connections")
			s.reject(nc, addrBusyError())
			continue
		}
		c.preLogin = true
		if !s.addConn(c) {
			c.cancel()
			c.leavePreLogin()
			s.active.Add(-1)
			nc.Close()
			continue
		}
		s.metrics.ConnOpened(front)
		go func() {
			defer s.wg.Done()
			defer s.active.Add(-1)
			defer s.removeConn(c)
			defer s.metrics.ConnClosed(front)
			c.serve()
		}()
	}
}

// temporaryAcceptError reports accept errors to wait out rather than stop
// serving on: running out of file descriptors (the server sheds load and
// accepts again once some close) and connections aborted before accept.
func temporaryAcceptError(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.ECONNABORTED)
}

// reject tells an over-limit client why it cannot be served, within a
// small budget of goroutines; past that budget it just closes the
// connection.
func (s *Server) reject(nc net.Conn, why *proto.Error) {
	if s.rejecting.Add(1) > 64 {
		s.rejecting.Add(-1)
		nc.Close()
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.rejecting.Add(-1)
		c := newConn(s, nc)
		c.refuse(why)
	}()
}

func (s *Server) track(ln net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	s.listeners[ln] = struct{}{}
	return true
}

func (s *Server) untrack(ln net.Listener) {
	s.mu.Lock()
	delete(s.listeners, ln)
	s.mu.Unlock()
}

func (s *Server) addConn(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *Server) removeConn(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	if s.closing.Load() && len(s.conns) == 0 && s.idleDone != nil {
		close(s.idleDone)
		s.idleDone = nil
	}
	s.mu.Unlock()
}

// Shutdown stops accepting, closes idle connections at once, and waits for
// connections in the middle of a request to finish it, until ctx ends; then
// it closes the rest (their uploads stay resumable). It returns ctx.Err() if
// it had to cut connections.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing.Store(true)
	for ln := range s.listeners {
		ln.Close()
	}
	done := make(chan struct{})
	if len(s.conns) == 0 {
		close(done)
	} else {
		s.idleDone = done
	}
	for c := range s.conns {
		c.wakeIfIdle()
	}
	s.mu.Unlock()

	select {
	case <-done:
		s.wg.Wait()
		s.cancel()
		return nil
	case <-ctx.Done():
		s.Close()
		return ctx.Err()
	}
}

// Close stops accepting, cancels the work of every connection and closes
// them now.
func (s *Server) Close() error {
	s.cancel()
	s.mu.Lock()
	s.closing.Store(true)
	for ln := range s.listeners {
		ln.Close()
	}
	for c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// Conns reports how many connections are being served.
func (s *Server) Conns() int { return int(s.active.Load()) }
