package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"netdisk/internal/proto"
	"netdisk/internal/reqlog"
	"netdisk/internal/service"
)

// handler serves one request type. It returns the reply, or an error that
// becomes the error reply. Handlers that stream their reply (ls, get) send
// it themselves and return a nil reply. An error wrapped in fatal also ends
// the connection (the stream is no longer at a frame boundary, or the peer
// is misbehaving).
type handler struct {
	fn     func(c *conn, h *proto.Header) (proto.Message, error)
	login  bool // needs a logged-in session
	body   bool // may carry a body
	public bool // allowed before the client key is proven
}

// fatal marks an error after which the connection must close.
type fatal struct{ err error }

func (f fatal) Error() string { return f.err.Error() }
func (f fatal) Unwrap() error { return f.err }

// hangUp marks an error after which the connection closes without an
// error frame: one in the middle of a reply's body, where a frame would be
// taken for body bytes (the client sees a short body instead).
type hangUp struct{ err error }

func (h hangUp) Error() string { return h.err.Error() }
func (h hangUp) Unwrap() error { return h.err }

// handlers is the fixed command set. There is deliberately no way to run
// anything else on the server.
var handlers map[string]handler

func init() {
	handlers = map[string]handler{
		"client_key":     {fn: (*conn).handleClientKey, public: true},
		"register":       {fn: (*conn).handleRegister},
		"login":          {fn: (*conn).handleLogin},
		"auth_token":     {fn: (*conn).handleAuthToken},
		"logout":         {fn: (*conn).handleLogout, login: true},
		"passwd":         {fn: (*conn).handlePasswd, login: true},
		"ls":             {fn: (*conn).handleList, login: true},
		"stat":           {fn: (*conn).handleStat, login: true},
		"hash":           {fn: (*conn).handleHash, login: true},
		"mkdir":          {fn: (*conn).handleMkdir, login: true},
		"rm":             {fn: (*conn).handleRemove, login: true},
		"mv":             {fn: (*conn).handleMove, login: true},
		"cp":             {fn: (*conn).handleCopy, login: true},
		"df":             {fn: (*conn).handleUsage, login: true},
		"put_open":       {fn: (*conn).handlePutOpen, login: true},
		"put":            {fn: (*conn).handlePut, login: true, body: true},
		"get":            {fn: (*conn).handleGet, login: true},
		"uploads":        {fn: (*conn).handleUploads, login: true},
		"upload_discard": {fn: (*conn).handleDiscardUpload, login: true},
	}
}

// dispatch serves one request whose header has been read. A non-nil return
// ends the connection.
func (c *conn) dispatch(h *proto.Header) error {
	start := time.Now()
	if h.Type != "put" {
		// Requests are answered in order, and whatever follows an upload
		// sees it committed.
		c.replies.wait()
	}
	hd, known := handlers[h.Type]
	typ := h.Type
	if !known {
		typ = "other" // metrics count a fixed set of types
	}
	ctx := reqlog.With(c.ctx, slog.Uint64("req", reqlog.NewID()), slog.String("type", h.Type), slog.Uint64("id", h.ID))
	c.req, c.reqStart, c.deferred = ctx, start, false
	var reply proto.Message
	var err error
	switch {
	case !c.keyOK && !(known && hd.public):
		c.logger.WarnContext(ctx, "connection refused: no client key")
		err = fatal{proto.Errorf(proto.CodeClientKeyRequired,
			"this server requires a client key before anything else: pass --client-key FILE (or set NETDISK_CLIENT_KEY_FILE)")}
	case !known:
		err = proto.Errorf(proto.CodeUnsupported, "unknown request type %q", h.Type)
	case h.BodyLen > 0 && !hd.body:
		err = proto.Errorf(proto.CodeBadRequest, "a %s request carries no body", h.Type)
	case hd.login && c.sess == nil:
		err = proto.Errorf(proto.CodeNotLoggedIn, "log in first")
	case h.ID == 0:
		err = proto.Errorf(proto.CodeBadRequest, "a request needs a non-zero id")
	case !utf8.Valid(h.Raw):
		// JSON decoding would quietly turn the bytes into U+FFFD and a
		// path into another name: refused instead (PROTOCOL.md §5.2).
		err = proto.Errorf(proto.CodeBadPath, "the request holds invalid UTF-8; names must be UTF-8")
	default:
		reply, err = hd.fn(c, h)
	}
	if err == nil && c.r.Pending() > 0 {
		err = fatal{fmt.Errorf("%s handler left %d body bytes unread", h.Type, c.r.Pending())}
	}
	if err != nil && c.r.Pending() > 0 {
		// The body of a refused request would have to be read to find the
		// next frame. Up to MaxRefusedBody it is read and dropped (a small
		// file sent whole, without put_open); a larger one costs the
		// connection instead.
		if c.r.Pending() <= proto.MaxRefusedBody {
			if derr := c.r.Discard(); derr != nil {
				return derr
			}
		} else {
			err = fatal{err}
		}
	}
	if err != nil && c.sess != nil && errors.Is(err, service.ErrSessionExpired) {
		// The session ended elsewhere (logout, passwd, a disabled user,
		// expiry): the connection is logged out, so a new login on it
		// is taken instead of refused as already logged in.
		c.reserved.closeAll()
		c.sess = nil
		c.leaveUser()
		c.loginBy = time.Now().Add(c.srv.cfg.LoginTimeout)
	}
	if err != nil {
		// Replies stay in request order: uploads before this request are
		// committed and answered first.
		c.replies.wait()
		c.finish(c.logger, ctx, typ, start, err)
		var hu hangUp
		var f fatal
		if errors.As(err, &hu) || errors.As(err, &f) && isNetError(f.err) {
			// Nothing to tell: mid-body, or the client is gone (or too
			// slow: its deadline passed). Not an internal error either.
			return err
		}
		if serr := c.sendError(ctx, h.ID, err); serr != nil {
			return serr
		}
		if errors.As(err, &f) {
			return f
		}
		return nil
	}
	if !c.deferred {
		c.finish(c.logger, ctx, typ, start, nil)
	}
	if reply != nil {
		return c.send(h.ID, reply)
	}
	return nil
}

// finish logs a request's outcome and counts it. ctx carries the
// request's identifiers, logger (the connection's, taken in the loop's
// goroutine) its remote address and user.
func (c *conn) finish(logger *slog.Logger, ctx context.Context, typ string, start time.Time, err error) {
	took := time.Since(start)
	code := codeOf(err)
	c.srv.metrics.Request(front, typ, code, took)
	if err != nil {
		logger.DebugContext(ctx, "request", "code", code, "took", took, "err", err)
		return
	}
	logger.DebugContext(ctx, "request", "code", code, "took", took)
}

// decode reads the request's fields into req; a malformed one is a
// bad_request, not the end of the connection (the frame itself was sound).
func decode(h *proto.Header, req any) error {
	if err := h.Decode(req); err != nil {
		return proto.Errorf(proto.CodeBadRequest, "malformed %s request: %v", h.Type, err)
	}
	return nil
}
