package server

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"netdisk/internal/proto"
	"netdisk/internal/service"
)

// maxReserved bounds the put_open reservations one connection may hold
// (each keeps two file descriptors open until its put).
const maxReserved = 16

// reservations holds the uploads a put_open opened on this connection
// until their put arrives.
type reservations struct {
	mu   sync.Mutex
	open map[string]*service.Upload
}

// hold keeps u for path; false if the connection holds too many already.
func (t *reservations) hold(path string, u *service.Upload) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.open == nil {
		t.open = make(map[string]*service.Upload)
	}
	if len(t.open) >= maxReserved {
		return false
	}
	t.open[path] = u
	return true
}

func (t *reservations) take(path string) *service.Upload {
	t.mu.Lock()
	defer t.mu.Unlock()
	u := t.open[path]
	delete(t.open, path)
	return u
}

// closeAll releases every reserved upload, keeping their partials.
func (t *reservations) closeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for p, u := range t.open {
		u.Close()
		delete(t.open, p)
	}
}

func (c *conn) handlePutOpen(h *proto.Header) (proto.Message, error) {
	var req proto.PutOpen
	if err := decode(h, &req); err != nil {
		return nil, err
	}
	mode := service.UploadResume
	if req.Restart {
		mode = service.UploadRestart
	}
	if old := c.reserved.take(req.Path); old != nil {
		old.Close() // a repeated put_open replaces the reservation
	}
	u, err := c.srv.svc.OpenUpload(c.req, c.sess, req.Path, req.Size, mode)
	if err != nil {
		return nil, err
	}
	if !c.reserved.hold(req.Path, u) {
		u.Close()
		return nil, proto.Errorf(proto.CodeBusy, "this connection holds %d reservations from put_open already; send their puts first", maxReserved)
	}
	return proto.PutReady{Offset: u.Held(), PrefixDigest: u.HeldDigest()}, nil
}

func (c *conn) handlePut(h *proto.Header) (proto.Message, error) {
	var req proto.Put
	if err := decode(h, &req); err != nil {
		return nil, err
	}
	if req.Size < 0 || req.Offset < 0 || req.Offset > req.Size || h.BodyLen != req.Size-req.Offset+proto.DigestLen {
		return nil, proto.Errorf(proto.CodeBadRequest,
			"put: body_len must be size-offset+%d (got size %d, offset %d, body_len %d)", proto.DigestLen, req.Size, req.Offset, h.BodyLen)
	}
	u := c.reserved.take(req.Path)
	if u == nil {
		if req.Offset != 0 {
			return nil, proto.Errorf(proto.CodeBadRequest, "put: resuming at byte %d needs a put_open first", req.Offset)
		}
		var err error
		// Without a put_open the client does not mean to resume (small
		// files): a temporary partial saves the resumable bookkeeping.
		u, err = c.srv.svc.OpenUpload(c.req, c.sess, req.Path, req.Size, service.UploadOnce)
		if err != nil {
			return nil, err
		}
	} else if u.Size() != req.Size {
		u.Close()
		return nil, proto.Errorf(proto.CodeBadRequest, "put: size %d differs from the put_open's %d", req.Size, u.Size())
	}
	committing := false
	defer func() {
		if !committing {
			u.Close()
		}
	}()
	if err := c.receive(u, req.Offset, req.Size-req.Offset); err != nil {
		return nil, err
	}
	var sum [proto.DigestLen]byte
	c.stream.SetReadDeadline(time.Now().Add(c.srv.cfg.FrameTimeout))
	if _, err := io.ReadFull(c.r, sum[:]); err != nil {
		return nil, fatal{fmt.Errorf("reading the upload's digest: %w", err)}
	}
	// The commit (fsyncs and rename) joins the service's next batch, in
	// request order; meanwhile this connection reads the requests that
	// follow, and the reply goes out in order once the file is stored.
	pending := u.Queue(sum[:], req.MTime)
	committing = true
	// The request is finished (logged and counted) once stored.
	ctx, start, logger := c.req, c.reqStart, c.logger
	c.deferred = true
	c.later(ctx, h.ID, func() (proto.Message, error) {
		defer u.Close()
		if err := pending.Wait(context.WithoutCancel(ctx)); err != nil {
			logger.WarnContext(ctx, "upload not stored", "path", u.Target(), "err", err)
			c.finish(logger, ctx, "put", start, err)
			return nil, err
		}
		logger.InfoContext(ctx, "stored", "path", u.Target(), "size", req.Size, "resumed_at", req.Offset)
		c.finish(logger, ctx, "put", start, nil)
		return proto.PutDone{Size: req.Size, Digest: sum[:]}, nil
	})
	return nil, nil
}

// receive streams n body bytes into u from offset. A newer upload of the
// same path taking over ends u's Context; the read in progress is then cut
// short by a deadline in the past, and the connection closes (the rest of
// the body cannot be skipped).
func (c *conn) receive(u *service.Upload, offset, n int64) error {
	var body io.Reader = &bodyReader{c: c, n: n, stop: u.Context()}
	if c.srv.cfg.TLS == nil {
		// Plaintext: the bytes can go from the socket to the file without
		// passing through user space.
		body = &spliceBody{bodyReader{c: c, n: n, stop: u.Context()}}
	}
	stop := context.AfterFunc(u.Context(), func() { c.nc.SetReadDeadline(time.Now()) })
	got, err := u.Stream(offset, body)
	c.srv.metrics.Transferred(front, "up", got)
	if !stop() && err == nil {
		err = service.ErrTakenOver // ended after the last byte: the deadline is spent
	}
	if err == nil && got != n {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		if c.r.Pending() > 0 {
			// The partial keeps what arrived; the same put resumes it.
			return fatal{fmt.Errorf("upload of %s interrupted: %w", u.Target(), err)}
		}
		return err
	}
	return nil
}

// bodyReader reads the first n bytes of the current frame's body, giving
// the connection a fresh FrameTimeout each time minProgress bytes have
// arrived: a client must keep sending, however slowly, or be dropped.
// Once stop ends (the upload was taken over) no deadline it sets is later
// than now, so a read cut short by the takeover stays cut.
type bodyReader struct {
	c      *conn
	n      int64
	stop   context.Context
	since  int64     // bytes read since the window began
	window time.Time // the end of the window: minProgress bytes are due by then
	short  bool      // the read deadline is earlier than window (see SpliceTo)
}

// minProgress is how many body bytes must arrive within each FrameTimeout:
// refreshing the deadline on every read would let a client sending one
// byte at a time hold a connection forever. 64 KiB per 30 s is about
// 2 KiB/s, far below any real link.
const minProgress = 64 << 10

// deadline sets the read deadline to t (or now, once stop has ended).
func (b *bodyReader) deadline(t time.Time) {
	b.c.stream.SetReadDeadline(t)
	if b.stop.Err() != nil {
		b.c.stream.SetReadDeadline(time.Now())
	}
}

// arm starts a new window if the last one was fulfilled (or none began).
func (b *bodyReader) arm() {
	if b.window.IsZero() || b.since >= minProgress {
		b.window, b.since = time.Now().Add(b.c.srv.cfg.FrameTimeout), 0
		b.deadline(b.window)
		b.short = false
	} else if b.short {
		b.deadline(b.window)
		b.short = false
	}
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, io.EOF
	}
	b.arm()
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.c.r.Read(p)
	b.n -= int64(n)
	b.since += int64(n)
	if err == io.EOF && b.n > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// spliceBody is a bodyReader on a plaintext connection, which can also
// move its bytes into a file with splice(2) (see service.SpliceSource).
type spliceBody struct{ bodyReader }

var _ service.SpliceSource = (*spliceBody)(nil)

// spliceTick bounds how long one splice goes on once some bytes have
// moved: the caller then sees them, and the upload shows its progress even
// while a slow client fills a chunk (a newer attempt at the path takes
// over an upload that shows none for a few seconds). A fast transfer
// fills its chunk long before.
const spliceTick = 250 * time.Millisecond

// SpliceTo moves up to n body bytes into dst, under the same rule as Read:
// minProgress bytes within each FrameTimeout.
func (b *spliceBody) SpliceTo(dst service.FileSink, n int64) (int64, error) {
	n = min(n, b.n)
	if n <= 0 {
		return 0, io.EOF
	}
	var done int64
	for {
		b.arm()
		if tick := time.Now().Add(spliceTick); tick.Before(b.window) {
			b.deadline(tick)
			b.short = true
		}
		m, err := b.c.r.BodyTo(dst, n-done)
		done += m
		b.n -= m
		b.since += m
		switch {
		case err == nil || !isTimeout(err):
			return done, err
		case done > 0:
			return done, nil // a tick: the caller sees the progress and comes back
		case b.stop.Err() != nil || !time.Now().Before(b.window):
			return 0, err
		}
	}
}

func (c *conn) handleGet(h *proto.Header) (proto.Message, error) {
	var req proto.Get
	if err := decode(h, &req); err != nil {
		return nil, err
	}
	d, err := c.srv.svc.OpenDownload(c.req, c.sess, req.Path, req.Offset, req.PrefixDigest)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	if d.Restarted != "" {
		c.logger.InfoContext(c.req, "download resume refused", "path", req.Path, "why", d.Restarted)
	}
	if err := c.sendFile(h.ID, d); err != nil {
		return nil, hangUp{err}
	}
	return nil, nil
}

// sendFile writes the get_data frame: header, bytes, digest trailer. An
// error in the middle cannot be reported in-band, so it ends the connection
// and the client sees a short body.
func (c *conn) sendFile(id uint64, d *service.Download) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	msg := proto.GetData{Size: d.Size, Offset: d.Offset, MTime: d.MTime.UTC(), Restarted: d.Restarted}
	c.stream.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteTimeout))
	if err := c.w.WriteMsg(id, msg, d.Size-d.Offset+proto.DigestLen); err != nil {
		return err
	}
	if err := c.w.Flush(); err != nil {
		return err
	}
	sent, err := d.WriteTo(&bodyWriter{c: c})
	c.srv.metrics.Transferred(front, "down", sent)
	if err != nil {
		return err
	}
	if _, err := c.w.Write(d.Digest()); err != nil {
		return err
	}
	return c.w.Flush()
}

// bodyWriter writes a reply body straight to the stream (the frame
// header was flushed), giving each write, and each chunk of a file sent
// by the kernel, a fresh WriteTimeout: a client must keep reading.
type bodyWriter struct{ c *conn }

// chunk is how many bytes of a file sent by sendfile go between write
// deadline refreshes: a client must read at least chunk per WriteTimeout.
const chunk = 1 << 20

func (b *bodyWriter) Write(p []byte) (int, error) {
	b.c.stream.SetWriteDeadline(time.Now().Add(b.c.srv.cfg.WriteTimeout))
	return b.c.stream.Write(p)
}

// ReadFrom sends a file given as an io.LimitedReader of an *os.File (what
// a storage file's WriteTo passes) in chunks, so that a plaintext TCP
// stream sends each chunk with sendfile(2) under a deadline of its own.
// Other readers are copied through a buffer.
func (b *bodyWriter) ReadFrom(r io.Reader) (int64, error) {
	lr, ok := r.(*io.LimitedReader)
	rf, direct := b.c.stream.(io.ReaderFrom)
	if !ok || !direct {
		bp := copyBufs.Get().(*[copyBuf]byte)
		defer copyBufs.Put(bp)
		return io.CopyBuffer(writerOnly{b}, r, bp[:])
	}
	var total int64
	for lr.N > 0 {
		b.c.stream.SetWriteDeadline(time.Now().Add(b.c.srv.cfg.WriteTimeout))
		part := &io.LimitedReader{R: lr.R, N: min(lr.N, chunk)}
		n, err := rf.ReadFrom(part)
		total += n
		lr.N -= n
		if err != nil {
			return total, err
		}
		if n == 0 {
			break // the file ended early; the caller counts
		}
	}
	return total, nil
}

// copyBuf is the buffer for a body copied to a stream that cannot take a
// file directly (TLS): large writes let TLS fill whole records.
const copyBuf = 256 << 10

var copyBufs = sync.Pool{New: func() any { return new([copyBuf]byte) }}

// writerOnly hides ReadFrom, so io.CopyBuffer uses the buffer given.
type writerOnly struct{ io.Writer }

func (c *conn) handleUploads(h *proto.Header) (proto.Message, error) {
	list, err := c.srv.svc.Uploads(c.req, c.sess)
	if err != nil {
		return nil, err
	}
	for start := 0; ; start += proto.MaxListBatch {
		end := min(start+proto.MaxListBatch, len(list))
		batch := proto.UploadList{Uploads: make([]proto.Upload, 0, end-start), More: end < len(list)}
		for _, u := range list[start:end] {
			batch.Uploads = append(batch.Uploads, proto.Upload{Path: u.Target, Size: u.Size, Updated: u.Updated.UTC()})
		}
		if err := c.send(h.ID, batch); err != nil {
			return nil, fatal{err}
		}
		if !batch.More {
			return nil, nil
		}
	}
}

func (c *conn) handleDiscardUpload(h *proto.Header) (proto.Message, error) {
	var req proto.DiscardUpload
	if err := decode(h, &req); err != nil {
		return nil, err
	}
	// This connection's own put_open reservation is released first: the
	// discard would otherwise wait for it as for another holder's.
	if u := c.reserved.take(req.Path); u != nil {
		u.Close()
	}
	if err := c.srv.svc.DiscardUpload(c.req, c.sess, req.Path); err != nil {
		return nil, err
	}
	return proto.OK{}, nil
}
