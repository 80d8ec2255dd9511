package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"netdisk/internal/hashcopy"
	"netdisk/internal/proto"
)

// ErrConnLost wraps every error of a call whose connection ended.
var ErrConnLost = errors.New("connection to the server lost")

// call is one request in flight. The reader goroutine hands it the reply
// frames; a frame with a body holds the reader until the body is consumed.
type call struct {
	id     uint64
	frames chan frame
	gone   chan struct{} // closed when the caller stops waiting
	closed chan struct{} // closed when no more frames will come
}

type frame struct {
	h    *proto.Header
	body *body // nil when the frame has none
}

// body is a reply body being read by the caller, straight off the
// connection. Close hands the connection back to the reader goroutine.
type body struct {
	c    *Client
	done chan struct{}
}

func (b *body) Read(p []byte) (int, error) { return b.c.r.Read(p) }

// spliceBody is a body on a plaintext connection, which can also move its
// bytes into a file with splice(2) (see hashcopy.SpliceSource).
type spliceBody struct{ *body }

var _ hashcopy.SpliceSource = spliceBody{}

// SpliceTo moves up to n body bytes into dst, under the timeout: the
// transfer is given up only when a whole timeout passes without a byte.
func (b spliceBody) SpliceTo(dst hashcopy.FileSink, n int64) (int64, error) {
	var done int64
	for {
		b.c.mu.Lock()
		now := time.Now()
		b.c.watched.Conn.SetReadDeadline(now.Add(b.c.timeout))
		b.c.watched.readSet = now
		b.c.mu.Unlock()
		m, err := b.c.r.BodyTo(dst, n-done)
		done += m
		if m > 0 && isTimeout(err) {
			continue // slow, not silent
		}
		return done, err
	}
}

// Remaining is how many body bytes are still unread.
func (b *body) Remaining() int64 { return b.c.r.Pending() }

func (b *body) Close() {
	select {
	case <-b.done:
	default:
		close(b.done)
	}
}

// final reports whether h is the last frame of its reply: everything except
// a list or upload_list frame with more=true.
func final(h *proto.Header) bool {
	if h.Type != "list" && h.Type != "upload_list" {
		return true
	}
	var m struct {
		More bool `json:"more"`
	}
	json.Unmarshal(h.Raw, &m)
	return !m.More
}

// readLoop delivers reply frames to their calls until the connection ends.
func (c *Client) readLoop() {
	var err error
	defer func() { c.fail(err) }()
	for {
		var h *proto.Header
		h, err = c.r.ReadHeader()
		if err != nil {
			return
		}
		last := final(h)
		c.mu.Lock()
		cl := c.pending[h.ID]
		if last {
			delete(c.pending, h.ID)
		}
		c.mu.Unlock()
		if cl == nil {
			// Nobody waits: a reply to an abandoned call, or a notice with
			// id 0 (e.g. shutting_down) that the next call will meet as a
			// closed connection.
			if h.ID == 0 && h.Type == "error" {
				err = fmt.Errorf("%w", decodeError(h))
				return
			}
			if err = c.r.Discard(); err != nil {
				return
			}
			continue
		}
		f := frame{h: h}
		if h.BodyLen > 0 {
			f.body = &body{c: c, done: make(chan struct{})}
			c.setBodyOpen(true) // the body's reads must not wait forever either
		}
		select {
		case cl.frames <- f:
			if f.body != nil {
				select {
				case <-f.body.done:
				case <-cl.gone:
					f.body.Close()
				}
				if c.r.Pending() > 0 {
					// The caller gave up half-way through a body; there is
					// no cheap way back to a frame boundary.
					err = errors.New("a download was abandoned part-way")
					c.conn.Close()
					return
				}
			}
		case <-cl.gone:
			if err = c.r.Discard(); err != nil {
				return
			}
		}
		if f.body != nil {
			c.setBodyOpen(false)
		}
		if last {
			close(cl.closed)
		}
	}
}

func (c *Client) setBodyOpen(open bool) {
	c.mu.Lock()
	c.bodyOpen = open
	c.mu.Unlock()
}

// fail ends the connection: every pending call learns why.
func (c *Client) fail(err error) {
	if terr := timeoutError(c.addr, c.timeout, err); terr != nil {
		err = terr
	} else if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = fmt.Errorf("%w (%s closed it)", ErrConnLost, c.addr)
	} else if !errors.Is(err, ErrConnLost) {
		err = fmt.Errorf("%w: %w", ErrConnLost, err)
	}
	c.conn.Close()
	c.mu.Lock()
	c.err = err
	pending := c.pending
	c.pending = nil
	c.mu.Unlock()
	for _, cl := range pending {
		close(cl.closed)
	}
	close(c.done)
}

// start registers a call and sends its request. writeBody, if not nil,
// writes exactly bodyLen bytes after the header. If ctx ends while the
// request is being written, the write stops (and the connection, whose
// stream is then mid-frame, is given up).
func (c *Client) start(ctx context.Context, msg proto.Message, bodyLen int64, writeBody func(w *proto.Writer) error) (*call, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cl := &call{
		id:     c.nextID.Add(1),
		frames: make(chan frame, 1),
		gone:   make(chan struct{}),
		closed: make(chan struct{}),
	}
	c.mu.Lock()
	if c.pending == nil {
		err := c.err
		c.mu.Unlock()
		return nil, err
	}
	c.pending[cl.id] = cl
	if writeBody != nil {
		c.watched.sendingBody(true)
	} else {
		c.watched.armed()
	}
	c.mu.Unlock()

	c.wmu.Lock()
	cut := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(cut)
		c.mu.Lock()
		c.watched.cutWrites()
		c.mu.Unlock()
	})
	err := c.w.WriteMsg(cl.id, msg, bodyLen)
	if err == nil && writeBody != nil {
		err = writeBody(c.w)
	}
	if err == nil {
		err = c.w.Flush()
	}
	afterRequestWritten()
	if !stop() {
		// ctx ended while the request was being written. Wait until its
		// deadline is in place, so that it cannot land on a later write.
		<-cut
		if err != nil {
			err = ctx.Err()
		}
		c.mu.Lock()
		c.watched.uncutWrites()
		c.mu.Unlock()
	}
	if writeBody != nil {
		c.mu.Lock()
		c.watched.sendingBody(false)
		c.mu.Unlock()
	}
	c.wmu.Unlock()
	if err != nil {
		if !isWriteError(err) {
			cl.abandon(c)
			return nil, err
		}
		// A half-written frame leaves the stream unusable. The server may
		// have refused the request (and closed) before reading all of it:
		// its answer, if it came, is the error to report.
		c.conn.Close()
		<-c.done
		select {
		case f := <-cl.frames:
			if f.h.Type == "error" {
				return nil, decodeError(f.h)
			}
		default:
		}
		cl.abandon(c)
		if e := c.Err(); e != nil {
			var pe *proto.Error
			if errors.As(e, &pe) {
				return nil, pe
			}
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		if isTimeout(err) {
			return nil, fmt.Errorf("%w: %w: %s took nothing for %v (is it overloaded? --timeout sets how long to wait)", ErrConnLost, ErrTimeout, c.addr, c.timeout)
		}
		return nil, fmt.Errorf("%w: %w", ErrConnLost, err)
	}
	return cl, nil
}

// afterRequestWritten is a test's hook into start, between the writing
// of a request and the end of its watch on ctx.
var afterRequestWritten = func() {}

func isWriteError(err error) bool {
	var pe *proto.Error
	return !errors.As(err, &pe)
}

// next waits for the call's next frame. An error reply becomes a
// *proto.Error.
func (cl *call) next(ctx context.Context, c *Client) (frame, error) {
	select {
	case f := <-cl.frames:
		if f.h.Type == "error" {
			return f, decodeError(f.h)
		}
		return f, nil
	case <-cl.closed:
		// The reply may have been delivered just before closed.
		select {
		case f := <-cl.frames:
			if f.h.Type == "error" {
				return f, decodeError(f.h)
			}
			return f, nil
		default:
		}
		if err := c.Err(); err != nil {
			return frame{}, err
		}
		return frame{}, io.EOF
	case <-ctx.Done():
		cl.abandon(c)
		return frame{}, ctx.Err()
	}
}

// abandon stops waiting for the call; late frames are discarded.
func (cl *call) abandon(c *Client) {
	select {
	case <-cl.gone:
	default:
		close(cl.gone)
	}
}

// do sends a request without a body and decodes its single reply into
// reply (which may be nil).
func (c *Client) do(ctx context.Context, req proto.Message, reply any) error {
	cl, err := c.start(ctx, req, 0, nil)
	if err != nil {
		return err
	}
	f, err := cl.next(ctx, c)
	if err != nil {
		return err
	}
	if f.body != nil {
		f.body.Close()
		return fmt.Errorf("unexpected body on a %s reply", f.h.Type)
	}
	if reply != nil {
		return f.h.Decode(reply)
	}
	return nil
}
