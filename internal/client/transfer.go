package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"
	"time"

	"netdisk/internal/digest"
	"netdisk/internal/hashcopy"
	"netdisk/internal/proto"
	"netdisk/internal/writeback"
)

// ResumeThreshold is the size from which an upload first asks the server
// what it already holds (one round trip). Smaller files are sent at once,
// which lets many of them stream back to back.
const ResumeThreshold = 1 << 20

// ErrChecksumMismatch is a transfer whose end-to-end BLAKE3-256 did not
// match; nothing was committed.
var ErrChecksumMismatch = errors.New("checksum mismatch")

// PutOptions tune one upload.
type PutOptions struct {
	// Restart drops what the server holds of an interrupted upload.
	Restart bool
	// Progress, if set, is called with the bytes of the file the server
	// holds so far (resumed bytes included), from the sending goroutine.
	Progress func(done int64)
}

// PutResult describes a finished upload.
type PutResult struct {
	Size      int64
	Resumed   int64  // bytes the server already held and kept
	Restarted string // why the server's partial copy could not be resumed
	Digest    []byte // the file's BLAKE3-256
}

// PendingPut is an upload whose bytes are sent and whose reply is awaited.
type PendingPut struct {
	c      *Client
	cl     *call
	result PutResult
}

// Put uploads the open file src to remote and waits for the server to
// store it.
func (c *Client) Put(ctx context.Context, src *os.File, remote string, opts PutOptions) (PutResult, error) {
	p, err := c.StartPut(ctx, src, remote, opts)
	if err != nil {
		return PutResult{}, err
	}
	return p.Wait(ctx)
}

// StartPut sends an upload and returns without waiting for the reply, so
// the next one can follow at once (pipelining). Files of ResumeThreshold
// bytes or more first ask the server for an interrupted upload to resume,
// after checking that the bytes it holds equal the local file's first
// bytes; if they differ the upload starts from zero and PutResult.Restarted
// says why.
func (c *Client) StartPut(ctx context.Context, src *os.File, remote string, opts PutOptions) (*PendingPut, error) {
	info, err := src.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", src.Name())
	}
	size := info.Size()
	h := digest.New()
	var offset int64
	p := &PendingPut{c: c, result: PutResult{Size: size}}
	if size >= ResumeThreshold || opts.Restart {
		var ready proto.PutReady
		if err := c.do(ctx, proto.PutOpen{Path: remote, Size: size, Restart: opts.Restart}, &ready); err != nil {
			return nil, err
		}
		if ready.Offset > size {
			return nil, fmt.Errorf("the server offered to resume at byte %d of a %d-byte file", ready.Offset, size)
		}
		if ready.Offset > 0 {
			if _, err := hashcopy.Copy(ctx, io.Discard, io.NewSectionReader(src, 0, ready.Offset), ready.Offset, h, nil); err != nil {
				return nil, fmt.Errorf("reading %s: %w", src.Name(), err)
			}
			if bytes.Equal(h.Sum(nil), ready.PrefixDigest) {
				offset = ready.Offset
			} else {
				h.Reset()
				p.result.Restarted = fmt.Sprintf("the %d bytes the server held differ from the start of %s (the file changed since the interrupted upload); starting again", ready.Offset, src.Name())
			}
		}
	}
	p.result.Resumed = offset
	req := proto.Put{Path: remote, Size: size, Offset: offset, MTime: info.ModTime().UTC()}
	p.cl, err = c.start(ctx, req, size-offset+proto.DigestLen, func(w *proto.Writer) error {
		body := io.NewSectionReader(src, offset, size-offset)
		var dst io.Writer = writerOnly{w}
		if c.plaintext {
			dst = w // a proto.Writer can send the file with sendfile(2)
		}
		n, err := hashcopy.Copy(ctx, dst, body, size-offset, h, progressFrom(offset, opts.Progress))
		if err == io.EOF {
			return fmt.Errorf("%s shrank while being sent (%d of %d bytes)", src.Name(), offset+n, size)
		}
		if err != nil {
			return err
		}
		p.result.Digest = h.Sum(nil)
		_, err = w.Write(p.result.Digest)
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Wait waits for the server to confirm the upload.
func (p *PendingPut) Wait(ctx context.Context) (PutResult, error) {
	f, err := p.cl.next(ctx, p.c)
	if err != nil {
		return p.result, err
	}
	var done proto.PutDone
	if err := f.h.Decode(&done); err != nil {
		return p.result, err
	}
	if !bytes.Equal(done.Digest, p.result.Digest) || done.Size != p.result.Size {
		return p.result, fmt.Errorf("%w: the server confirmed %d bytes with BLAKE3 %x, sent %d bytes with %x",
			ErrChecksumMismatch, done.Size, done.Digest, p.result.Size, p.result.Digest)
	}
	return p.result, nil
}

// progressFrom turns hashcopy's count of bytes copied into the bytes of
// the file held, starting from offset.
//
// It reports the starting point at once, so the first report of moved
// bytes is a change from it (a rate limit, say, counts only what moves).
func progressFrom(offset int64, progress func(int64)) func(int64) {
	if progress == nil {
		return nil
	}
	progress(offset)
	return func(n int64) { progress(offset + n) }
}

// GetOptions tune one download.
type GetOptions struct {
	// Progress, if set, is called with the bytes of the file held locally
	// so far (resumed bytes included).
	Progress func(done int64)
	// Started, if set, is called once the server has answered, with the
	// file's size and the offset the download continues from.
	Started func(size, offset int64)
	// Size, when SizeKnown, is the file's size as a listing announced it:
	// a reply announcing another size is refused before any byte of it is
	// written (the file changed since, or the server is lying).
	Size      int64
	SizeKnown bool
	// NoRestart makes a resume whose local bytes are not the start of the
	// server's file fail with ErrNotPrefix before anything is written,
	// instead of starting again from zero (which replaces those bytes).
	NoRestart bool
}

// ErrNotPrefix is a resume refused under GetOptions.NoRestart: the local
// bytes are not the start of the server's file.
var ErrNotPrefix = errors.New("the local file is not the start of the server's file")

// GetResult describes a finished (or failed) download.
type GetResult struct {
	Size      int64
	Offset    int64  // where this download started; dst's bytes before it were verified
	Restarted string // why a requested resume started from 0
	MTime     time.Time
	Digest    []byte // the file's BLAKE3-256
}

// PendingGet is a download whose request is sent and whose reply is yet
// to be received.
type PendingGet struct {
	c      *Client
	cl     *call
	remote string
	offset int64
	h      *digest.Hasher
}

// Get downloads remote into dst. The first offset bytes of dst are what an
// earlier attempt got; their SHA-256 goes to the server, which resumes only
// if its own first bytes are the same, and otherwise sends everything (dst
// is then truncated). dst ends holding the whole file, checked against the
// server's SHA-256; on a mismatch the error wraps ErrChecksumMismatch and
// dst's bytes past GetResult.Offset must not be trusted.
func (c *Client) Get(ctx context.Context, remote string, dst *os.File, offset int64, opts GetOptions) (GetResult, error) {
	p, err := c.StartGet(ctx, remote, dst, offset)
	if err != nil {
		return GetResult{}, err
	}
	return p.Receive(ctx, dst, opts)
}

// StartGet sends a download request without waiting for the reply, so
// several can be in flight (pipelining); receive them in the order they
// were started.
func (c *Client) StartGet(ctx context.Context, remote string, dst *os.File, offset int64) (*PendingGet, error) {
	p := &PendingGet{c: c, remote: remote, offset: offset, h: digest.New()}
	req := proto.Get{Path: remote}
	if offset > 0 {
		if _, err := hashcopy.Copy(ctx, io.Discard, io.NewSectionReader(dst, 0, offset), offset, p.h, nil); err != nil {
			return nil, fmt.Errorf("reading %s: %w", dst.Name(), err)
		}
		req.Offset, req.PrefixDigest = offset, p.h.Sum(nil)
	}
	var err error
	p.cl, err = c.start(ctx, req, 0, nil)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Receive reads the reply of a StartGet into dst (the same file).
func (p *PendingGet) Receive(ctx context.Context, dst *os.File, opts GetOptions) (GetResult, error) {
	f, err := p.cl.next(ctx, p.c)
	if err != nil {
		return GetResult{}, err
	}
	if f.body == nil || f.h.Type != "get_data" {
		if f.body != nil {
			f.body.Close()
		}
		return GetResult{}, fmt.Errorf("the server %s sent no file data for %s (a %q frame)", p.c.addr, strconv.Quote(p.remote), f.h.Type)
	}
	// Closing the body before reading all of it (a refused reply) makes
	// the client give the connection up: it is then mid-body.
	defer f.body.Close()
	var data proto.GetData
	if err := f.h.Decode(&data); err != nil {
		return GetResult{}, err
	}
	// The body is exactly the bytes from the offset to the announced size,
	// then the digest: the server cannot make the client write more.
	if data.Size < 0 || data.Offset < 0 || data.Offset > data.Size || f.h.BodyLen != data.Size-data.Offset+proto.DigestLen ||
		(data.Offset != 0 && data.Offset != p.offset) {
		return GetResult{}, fmt.Errorf("malformed get_data reply from %s for %s (size %d, offset %d, body_len %d); nothing was written",
			p.c.addr, strconv.Quote(p.remote), data.Size, data.Offset, f.h.BodyLen)
	}
	if opts.SizeKnown && data.Size != opts.Size {
		return GetResult{}, fmt.Errorf("the server %s announced %d bytes for %s, which its listing gave as %d bytes; nothing was written (if the file changed since, run the download again)",
			p.c.addr, data.Size, strconv.Quote(p.remote), opts.Size)
	}
	res := GetResult{Size: data.Size, Offset: data.Offset, Restarted: data.Restarted, MTime: data.MTime}
	if opts.NoRestart && data.Offset != p.offset {
		return res, fmt.Errorf("%w (%s)", ErrNotPrefix, data.Restarted)
	}
	h := p.h
	if data.Offset != p.offset {
		h.Reset()
	}
	if err := dst.Truncate(data.Offset); err != nil {
		return res, err
	}
	if opts.Started != nil {
		opts.Started(data.Size, data.Offset)
	}
	if _, err := dst.Seek(data.Offset, io.SeekStart); err != nil {
		return res, err
	}
	n := data.Size - data.Offset
	var src io.Reader = f.body
	if p.c.plaintext {
		src = spliceBody{f.body} // the socket can be spliced into the file
	}
	got, err := hashcopy.Copy(ctx, &localWriter{f: dst, at: data.Offset, wb: writeback.New(dst, data.Offset)}, src, n, h, progressFrom(data.Offset, opts.Progress))
	switch {
	case err == io.EOF || (err != nil && f.body.Remaining() > 0 && !isLocalError(err)):
		if terr := timeoutError(p.c.addr, p.c.timeout, err); terr != nil {
			err = terr
		}
		return res, fmt.Errorf("%w: download of %s stopped at byte %d of %d: %w", ErrConnLost, dst.Name(), data.Offset+got, data.Size, err)
	case err != nil:
		return res, fmt.Errorf("writing %s: %w", dst.Name(), err)
	}
	var trailer [proto.DigestLen]byte
	if _, err := io.ReadFull(f.body, trailer[:]); err != nil {
		return res, fmt.Errorf("%w: reading the checksum: %w", ErrConnLost, err)
	}
	res.Digest = h.Sum(nil)
	if !bytes.Equal(res.Digest, trailer[:]) {
		return res, fmt.Errorf("%w: received %s with BLAKE3 %x but the server's file has %x",
			ErrChecksumMismatch, p.remote, res.Digest, trailer)
	}
	return res, nil
}

// localWriter writes the local file of a download from byte at, starting
// writeback as it goes, and marks its errors so they are told apart from
// the connection's. It is a hashcopy.FileSink: the socket can be spliced
// into it.
type localWriter struct {
	f  *os.File
	at int64
	wb *writeback.Tracker
}

var _ hashcopy.FileSink = (*localWriter)(nil)

func (w *localWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	return n, w.wrote(int64(n), err)
}

// ReadFrom appends what r holds (a socket: spliced into the file). Errors
// of the socket come back as they are; those of the file are marked local.
func (w *localWriter) ReadFrom(r io.Reader) (int64, error) {
	lr, ok := r.(*io.LimitedReader)
	want := int64(-1)
	if ok {
		want = lr.N
	}
	n, err := w.f.ReadFrom(r)
	w.at += n
	w.wb.Advance(w.at)
	if err != nil && ok && lr.N > 0 && n < want && isFileError(err) {
		err = &localError{err}
	}
	return n, err
}

func (w *localWriter) ReadAt(p []byte, off int64) (int, error) { return w.f.ReadAt(p, off) }

func (w *localWriter) Size() int64 { return w.at }

func (w *localWriter) wrote(n int64, err error) error {
	w.at += n
	w.wb.Advance(w.at)
	if err != nil {
		err = &localError{err}
	}
	return err
}

// isFileError tells a failed write to the local file (disk full, say) from
// a failed read of the socket, in what (*os.File).ReadFrom returns: one
// splice(2) does both, and its error, whichever side failed, says "write"
// and the file's name; only the cause tells.
func isFileError(err error) bool {
	for _, cause := range []error{syscall.ENOSPC, syscall.EDQUOT, syscall.EFBIG, syscall.EIO, syscall.EROFS} {
		if errors.Is(err, cause) {
			return true
		}
	}
	return false
}

// writerOnly hides methods other than Write (SendFile over TLS would only
// add a copy).
type writerOnly struct{ io.Writer }

// localError is an error of the local side of a transfer.
type localError struct{ err error }

func (e *localError) Error() string { return e.err.Error() }
func (e *localError) Unwrap() error { return e.err }

func isLocalError(err error) bool {
	var le *localError
	return errors.As(err, &le)
}

// Cat streams remote into w (standard output, say) from its first byte,
// hashing as it goes. The digest is compared at the end, after every byte
// was written: on a mismatch the error wraps ErrChecksumMismatch and what
// was written must not be trusted. Nothing is resumed.
func (c *Client) Cat(ctx context.Context, remote string, w io.Writer) (GetResult, error) {
	p := &PendingGet{c: c, remote: remote, h: digest.New()}
	var err error
	p.cl, err = c.start(ctx, proto.Get{Path: remote}, 0, nil)
	if err != nil {
		return GetResult{}, err
	}
	f, err := p.cl.next(ctx, c)
	if err != nil {
		return GetResult{}, err
	}
	if f.body == nil || f.h.Type != "get_data" {
		if f.body != nil {
			f.body.Close()
		}
		return GetResult{}, fmt.Errorf("the server %s sent no file data for %s (a %q frame)", c.addr, strconv.Quote(remote), f.h.Type)
	}
	defer f.body.Close()
	var data proto.GetData
	if err := f.h.Decode(&data); err != nil {
		return GetResult{}, err
	}
	if data.Size < 0 || data.Offset != 0 || f.h.BodyLen != data.Size+proto.DigestLen {
		return GetResult{}, fmt.Errorf("malformed get_data reply from %s for %s (size %d, offset %d, body_len %d); nothing was written",
			c.addr, strconv.Quote(remote), data.Size, data.Offset, f.h.BodyLen)
	}
	res := GetResult{Size: data.Size, MTime: data.MTime}
	got, err := hashcopy.Copy(ctx, &streamWriter{w: w}, f.body, data.Size, p.h, nil)
	switch {
	case err != nil && !isLocalError(err):
		if terr := timeoutError(c.addr, c.timeout, err); terr != nil {
			err = terr
		}
		return res, fmt.Errorf("%w: %s stopped at byte %d of %d: %w", ErrConnLost, remote, got, data.Size, err)
	case err != nil:
		return res, err
	}
	var trailer [proto.DigestLen]byte
	if _, err := io.ReadFull(f.body, trailer[:]); err != nil {
		return res, fmt.Errorf("%w: reading the checksum: %w", ErrConnLost, err)
	}
	res.Digest = p.h.Sum(nil)
	if !bytes.Equal(res.Digest, trailer[:]) {
		return res, fmt.Errorf("%w: received %s with BLAKE3 %x but the server's file has %x", ErrChecksumMismatch, remote, res.Digest, trailer)
	}
	return res, nil
}

// streamWriter marks the errors of the writer a Cat streams into, so they
// are told apart from the connection's (a closed pipe is the reader's
// doing, not the server's).
type streamWriter struct{ w io.Writer }

func (s *streamWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err != nil {
		err = &localError{err}
	}
	return n, err
}
