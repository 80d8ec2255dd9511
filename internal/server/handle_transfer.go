package server

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"netdisk/internal/proto"
	"netdisk/internal/service"
)

// chunk is how many bytes of a file sent by sendfile go between write
// deadline refreshes: a client must read at least chunk per WriteTimeout.
const chunk = 1 << 20

// maxReserved bounds the put_open reservations one connection may hold
// (each keeps two file descriptors open until its put).
const maxReserved = 16

// transfers holds the uploads a put_open reserved on this connection until
// their put arrives.
type transfers struct {
	mu   sync.Mutex
	open map[string]*service.Upload
}

// hold keeps u for path; false if the connection holds too many already.
func (t *transfers) hold(path string, u *service.Upload) bool {
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

// drop releases the reservation of path if it is still u.
func (t *transfers) drop(path string, u *service.Upload) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.open[path] == u {
		delete(t.open, path)
		u.Close()
	}
}

func (t *transfers) take(path string) *service.Upload {
	t.mu.Lock()
	defer t.mu.Unlock()
	u := t.open[path]
	delete(t.open, path)
	return u
}

// closeAll releases every reserved upload, keeping their partials.
func (t *transfers) closeAll() {
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
	if old := c.xfer.take(req.Path); old != nil {
		old.Close() // a repeated put_open replaces the reservation
	}
	u, err := c.srv.svc.OpenUpload(c.ctx, c.sess, req.Path, req.Size, mode)
	if err != nil {
		return nil, err
	}
	if !c.xfer.hold(req.Path, u) {
		u.Close()
		return nil, proto.Errorf(proto.CodeBusy, "this connection holds %d reservations from put_open already; send their puts first", maxReserved)
	}
	// Until its put arrives, a later attempt at the same path (after this
	// connection died unnoticed) may take the reservation over.
	u.SetInterrupt(func() { c.xfer.drop(req.Path, u) })
	return proto.PutReady{Offset: u.Held(), PrefixSHA256: u.PrefixSHA256()}, nil
}

func (c *conn) handlePut(h *proto.Header) (proto.Message, error) {
	var req proto.Put
	if err := decode(h, &req); err != nil {
		return nil, err
	}
	if len(c.batch) > 0 && h.BodyLen > batchBodyMax {
		// Do not keep verified uploads waiting while a large body (which
		// may come slowly) streams in.
		if err := c.commitBatch(); err != nil {
			return nil, fatal{err}
		}
	}
	if req.Size < 0 || req.Offset < 0 || req.Offset > req.Size || h.BodyLen != req.Size-req.Offset+proto.DigestLen {
		return nil, proto.Errorf(proto.CodeBadRequest,
			"put: body_len must be size-offset+%d (got size %d, offset %d, body_len %d)", proto.DigestLen, req.Size, req.Offset, h.BodyLen)
	}
	u := c.xfer.take(req.Path)
	if u == nil {
		if req.Offset != 0 {
			return nil, proto.Errorf(proto.CodeBadRequest, "put: resuming at byte %d needs a put_open first", req.Offset)
		}
		var err error
		// Without a put_open the client does not mean to resume (small
		// files): a temporary partial saves the resumable bookkeeping.
		u, err = c.srv.svc.OpenUpload(c.ctx, c.sess, req.Path, req.Size, service.UploadOnce)
		if err != nil {
			return nil, err
		}
	}
	batched := false
	defer func() {
		if !batched {
			u.Close()
		}
	}()
	if err := u.Begin(req.Offset); err != nil {
		return nil, err
	}
	body := c.deadlineReader()
	body.progress = u.Touch
	u.SetInterrupt(body.interrupt)
	_, err := u.ReadFrom(body)
	body.finish()
	if err != nil {
		// The partial keeps what arrived; the same put resumes it.
		return nil, fatal{fmt.Errorf("upload of %s interrupted: %w", u.Target(), err)}
	}
	var sum [proto.DigestLen]byte
	c.stream.SetReadDeadline(time.Now().Add(c.srv.cfg.FrameTimeout))
	if _, err := io.ReadFull(c.r, sum[:]); err != nil {
		return nil, fatal{fmt.Errorf("reading the upload's checksum: %w", err)}
	}
	if err := u.Verify(sum[:], req.MTime); err != nil {
		return nil, err
	}
	// Verified: the commit (fsyncs and rename) joins a batch, so pipelined
	// small files share their syncs. The batch is committed, and its
	// replies sent, as soon as no further request is already waiting.
	batched = true
	c.batch = append(c.batch, pendingPut{id: h.ID, u: u, size: req.Size, offset: req.Offset, sum: sum})
	if len(c.batch) >= maxBatch || c.srv.svc.UploadsOpen(c.sess.User) >= service.MaxUploadsPerUser/2 || !c.moreComing() {
		if err := c.commitBatch(); err != nil {
			return nil, fatal{err}
		}
	}
	return nil, nil
}

// maxBatch bounds how many verified uploads wait to be committed together;
// a batch is also committed when its user holds half of the uploads one
// user may have open (several connections batching at once must not run
// into that limit), and before a body over batchBodyMax is read.
const (
	maxBatch     = 32
	batchBodyMax = 64 << 10
)

// batchGrace is how long the server waits for a further pipelined request
// before committing the uploads it has. Over TLS each request arrives in a
// record of its own, so the next one is rarely buffered yet when the last
// is done; a pipelining client sends it within microseconds.
const batchGrace = time.Millisecond

// moreComing reports whether another request follows at once.
func (c *conn) moreComing() bool {
	if c.r.HeaderBuffered() {
		return true
	}
	c.stream.SetReadDeadline(time.Now().Add(batchGrace))
	return c.r.WaitHeader() == nil
}

// pendingPut is a verified upload waiting for its batch's commit.
type pendingPut struct {
	id     uint64
	u      *service.Upload
	size   int64
	offset int64
	sum    [proto.DigestLen]byte
}

// commitBatch commits the waiting uploads together and answers each. It
// returns an error only if the replies could not be sent; the uploads are
// committed regardless (a client that vanished after sending a whole,
// verified file still gets it stored).
func (c *conn) commitBatch() error {
	if len(c.batch) == 0 {
		return nil
	}
	ups := make([]*service.Upload, len(c.batch))
	for i, p := range c.batch {
		ups[i] = p.u
	}
	start := time.Now()
	errs := c.srv.svc.CommitAll(c.ctx, ups)
	c.logger.Debug("committed uploads", "count", len(ups), "took", time.Since(start))
	var sendErr error
	for i, p := range c.batch {
		p.u.Close()
		if errs[i] != nil {
			c.logger.Warn("upload not stored", "path", p.u.Target(), "err", errs[i])
			if sendErr == nil {
				sendErr = c.sendError(p.id, errs[i])
			}
			continue
		}
		c.logger.Info("stored", "path", p.u.Target(), "size", p.size, "resumed_at", p.offset)
		if sendErr == nil {
			sendErr = c.send(p.id, proto.PutDone{Size: p.size, SHA256: p.sum[:]})
		}
	}
	c.batch = c.batch[:0]
	return sendErr
}

func (c *conn) handleGet(h *proto.Header) (proto.Message, error) {
	var req proto.Get
	if err := decode(h, &req); err != nil {
		return nil, err
	}
	d, err := c.srv.svc.OpenDownload(c.ctx, c.sess, req.Path, req.Offset, req.PrefixSHA256)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	if d.Restarted != "" {
		c.logger.Info("download resume refused", "path", req.Path, "why", d.Restarted)
	}
	if err := c.sendFile(h.ID, d); err != nil {
		return nil, fatal{err}
	}
	return nil, nil
}

// sendFile writes the get_data frame: header, bytes, SHA-256 trailer. An
// error in the middle cannot be reported in-band, so it ends the connection
// and the client sees a short body.
func (c *conn) sendFile(id uint64, d *service.Download) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	n := d.Size - d.Offset
	msg := proto.GetData{Size: d.Size, Offset: d.Offset, MTime: d.MTime.UTC(), Restarted: d.Restarted}
	c.stream.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteTimeout))
	if err := c.w.WriteMsg(id, msg, n+proto.DigestLen); err != nil {
		return err
	}
	if f := d.OSFile(); f != nil {
		// The digest is known, nothing to hash: positioned at Offset, the
		// *os.File lets the kernel send it (sendfile in plaintext).
		for sent := int64(0); sent < n; {
			c.stream.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteTimeout))
			m, err := c.w.WriteBodyFrom(f, min(chunk, n-sent))
			sent += m
			if err != nil {
				return fmt.Errorf("sending %s: %w", d.Path(), err)
			}
		}
	} else {
		if err := c.w.Flush(); err != nil {
			return err
		}
		if _, err := d.WriteBody(c.deadlineWriter()); err != nil {
			return fmt.Errorf("sending %s: %w", d.Path(), err)
		}
	}
	if _, err := c.w.Write(d.Sum()); err != nil {
		return err
	}
	return c.w.Flush()
}

// deadlineReader reads the current frame's body, giving each read a fresh
// FrameTimeout: a client must keep sending, however slowly, or be dropped.
func (c *conn) deadlineReader() *deadlineIO {
	d := &deadlineIO{c: c}
	d.active.Store(true)
	return d
}

// deadlineWriter writes straight to the stream (after the frame header was
// flushed), each write with a fresh WriteTimeout.
func (c *conn) deadlineWriter() io.Writer { return &deadlineIO{c: c} }

type deadlineIO struct {
	c        *conn
	progress func() // called after every read that got bytes
	stopped  atomic.Bool
	mu       sync.Mutex // orders interrupt against finish
	active   atomic.Bool
	since    int64 // bytes read since the deadline was last set
	armed    bool
}

// minProgress is how many body bytes must arrive within each FrameTimeout:
// refreshing the deadline on every read would let a client sending one
// byte at a time hold a connection forever. 64 KiB per 30 s is about
// 2 KiB/s, far below any real link.
const minProgress = 64 << 10

var errTakenOver = errors.New("a newer upload of the same file took over")

func (d *deadlineIO) Read(p []byte) (int, error) {
	if d.stopped.Load() {
		return 0, errTakenOver
	}
	if !d.armed || d.since >= minProgress {
		d.c.stream.SetReadDeadline(time.Now().Add(d.c.srv.cfg.FrameTimeout))
		d.armed, d.since = true, 0
	}
	n, err := d.c.r.Read(p)
	d.since += int64(n)
	if n > 0 && d.progress != nil {
		d.progress()
	}
	if err != nil && d.stopped.Load() {
		err = errTakenOver
	}
	return n, err
}

// interrupt makes the read in progress, and every later one, fail; once
// the body is finished it does nothing (the connection has moved on).
func (d *deadlineIO) interrupt() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.active.Load() {
		return
	}
	d.stopped.Store(true)
	d.c.nc.SetReadDeadline(time.Now())
}

// finish marks the body done: interrupt no longer applies.
func (d *deadlineIO) finish() {
	d.mu.Lock()
	d.active.Store(false)
	d.mu.Unlock()
}

func (d *deadlineIO) Write(p []byte) (int, error) {
	d.c.stream.SetWriteDeadline(time.Now().Add(d.c.srv.cfg.WriteTimeout))
	return d.c.stream.Write(p)
}

func (c *conn) handleUploads(h *proto.Header) (proto.Message, error) {
	list, err := c.srv.svc.Uploads(c.ctx, c.sess)
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
	if err := c.srv.svc.DiscardUpload(c.ctx, c.sess, req.Path); err != nil {
		return nil, err
	}
	return proto.OK{}, nil
}
