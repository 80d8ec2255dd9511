package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"
	"time"

	"netdisk/internal/pipehash"
	"netdisk/internal/proto"
)

// ResumeThreshold is the size from which an upload first asks the server
// what it already holds (one round trip). Smaller files are sent at once,
// which lets many of them stream back to back.
const ResumeThreshold = 1 << 20

// ErrChecksumMismatch is a transfer whose end-to-end SHA-256 did not match;
// nothing was committed.
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
	SHA256    []byte
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
	h := sha256.New()
	var offset int64
	p := &PendingPut{c: c, result: PutResult{Size: size}}
	if size >= ResumeThreshold || opts.Restart {
		var ready proto.PutReady
		if err := c.do(ctx, proto.PutOpen{Path: remote, Size: size, Restart: opts.Restart}, &ready); err != nil {
			return nil, err
		}
		if ready.Offset > 0 {
			if _, err := io.Copy(h, io.NewSectionReader(src, 0, ready.Offset)); err != nil {
				return nil, fmt.Errorf("reading %s: %w", src.Name(), err)
			}
			if bytes.Equal(h.Sum(nil), ready.PrefixSHA256) {
				offset = ready.Offset
			} else {
				h.Reset()
				p.result.Restarted = fmt.Sprintf("the %d bytes the server held differ from the start of %s (the file changed since the interrupted upload); starting again", ready.Offset, src.Name())
			}
		}
	}
	p.result.Resumed = offset
	req := proto.Put{Path: remote, Size: size, Offset: offset, MTime: info.ModTime().UTC()}
	p.cl, err = c.start(req, size-offset+proto.DigestLen, func(w *proto.Writer) error {
		sum, err := sendHashed(ctx, w, src, offset, size, h, opts.Progress)
		if err != nil {
			return err
		}
		p.result.SHA256 = sum
		_, err = w.Write(sum)
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
	if !bytes.Equal(done.SHA256, p.result.SHA256) || done.Size != p.result.Size {
		return p.result, fmt.Errorf("%w: the server confirmed %d bytes with SHA-256 %x, sent %d bytes with %x",
			ErrChecksumMismatch, done.Size, done.SHA256, p.result.Size, p.result.SHA256)
	}
	return p.result, nil
}

// Transfer buffers: files up to smallFile bytes move through one pooled
// buffer with the hash computed in line; larger ones through pipehash
// (hashing on another core) with fileBufs buffers of fileBuf bytes, so a
// transfer holds at most 1 MiB whatever the file's size. Buffers of 128 KiB
// measured faster than 1 MiB ones here: they stay in the CPU caches between
// the copy and the hash.
const (
	smallFile = 256 << 10
	fileBuf   = 128 << 10
	fileBufs  = 8
)

var smallBufs = sync.Pool{New: func() any { b := make([]byte, smallFile); return &b }}

// sendHashed writes bytes [offset, size) of src to w, hashing them into h
// (which already holds the hash of the first offset bytes), and returns the
// whole file's SHA-256.
func sendHashed(ctx context.Context, w io.Writer, src *os.File, offset, size int64, h hash.Hash, progress func(int64)) ([]byte, error) {
	if size-offset <= smallFile {
		bp := smallBufs.Get().(*[]byte)
		defer smallBufs.Put(bp)
		b := (*bp)[:size-offset]
		n, err := src.ReadAt(b, offset)
		if err != nil && !(err == io.EOF && n == len(b)) {
			return nil, readError(src, offset+int64(n), size, err)
		}
		h.Write(b)
		if _, err := w.Write(b); err != nil {
			return nil, err
		}
		if progress != nil {
			progress(size)
		}
		return h.Sum(nil), nil
	}
	p := pipehash.New(h, fileBuf, fileBufs)
	defer p.Close()
	for pos := offset; pos < size; {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b := p.Buffer()
		n, err := src.ReadAt(b[:min(int64(len(b)), size-pos)], pos)
		if n > 0 {
			if _, werr := w.Write(b[:n]); werr != nil {
				p.Release(b)
				return nil, werr
			}
			p.Submit(b[:n])
			pos += int64(n)
			if progress != nil {
				progress(pos)
			}
		} else {
			p.Release(b)
		}
		if err != nil && !(err == io.EOF && pos == size) {
			return nil, readError(src, pos, size, err)
		}
	}
	return p.Sum(), nil
}

func readError(src *os.File, pos, size int64, err error) error {
	if err == io.EOF {
		return fmt.Errorf("%s shrank while being sent (%d of %d bytes)", src.Name(), pos, size)
	}
	return fmt.Errorf("reading %s: %w", src.Name(), err)
}

// GetOptions tune one download.
type GetOptions struct {
	// Progress, if set, is called with the bytes of the file held locally
	// so far (resumed bytes included).
	Progress func(done int64)
	// Started, if set, is called once the server has answered, with the
	// file's size and the offset the download continues from.
	Started func(size, offset int64)
}

// GetResult describes a finished (or failed) download.
type GetResult struct {
	Size      int64
	Offset    int64  // where this download started; dst's bytes before it were verified
	Restarted string // why a requested resume started from 0
	MTime     time.Time
	SHA256    []byte
}

// PendingGet is a download whose request is sent and whose reply is yet
// to be received.
type PendingGet struct {
	c      *Client
	cl     *call
	remote string
	offset int64
	h      hash.Hash
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
	p := &PendingGet{c: c, remote: remote, offset: offset, h: sha256.New()}
	req := proto.Get{Path: remote}
	if offset > 0 {
		if _, err := io.Copy(p.h, io.NewSectionReader(dst, 0, offset)); err != nil {
			return nil, fmt.Errorf("reading %s: %w", dst.Name(), err)
		}
		req.Offset, req.PrefixSHA256 = offset, p.h.Sum(nil)
	}
	var err error
	p.cl, err = c.start(req, 0, nil)
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
	if f.body == nil {
		return GetResult{}, fmt.Errorf("the server sent no file data (%s)", f.h.Type)
	}
	defer f.body.Close()
	var data proto.GetData
	if err := f.h.Decode(&data); err != nil {
		return GetResult{}, err
	}
	if data.Offset < 0 || data.Offset > data.Size || f.h.BodyLen != data.Size-data.Offset+proto.DigestLen ||
		(data.Offset != 0 && data.Offset != p.offset) {
		return GetResult{}, fmt.Errorf("malformed get_data reply (size %d, offset %d, body_len %d)", data.Size, data.Offset, f.h.BodyLen)
	}
	res := GetResult{Size: data.Size, Offset: data.Offset, Restarted: data.Restarted, MTime: data.MTime}
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
	if err := receiveHashed(ctx, dst, f.body, data.Offset, data.Size, h, opts.Progress); err != nil {
		return res, err
	}
	var trailer [proto.DigestLen]byte
	if _, err := io.ReadFull(f.body, trailer[:]); err != nil {
		return res, fmt.Errorf("%w: reading the checksum: %w", ErrConnLost, err)
	}
	res.SHA256 = h.Sum(nil)
	if !bytes.Equal(res.SHA256, trailer[:]) {
		return res, fmt.Errorf("%w: received %s with SHA-256 %x but the server's file has %x",
			ErrChecksumMismatch, p.remote, res.SHA256, trailer)
	}
	return res, nil
}

// receiveHashed writes the body's bytes at [offset, size) of dst, hashing
// them on the way (on another core for large files).
func receiveHashed(ctx context.Context, dst *os.File, src io.Reader, offset, size int64, h hash.Hash, progress func(int64)) error {
	var p *pipehash.Hasher
	var small *[]byte
	if size-offset <= smallFile {
		small = smallBufs.Get().(*[]byte)
		defer smallBufs.Put(small)
	} else {
		p = pipehash.New(h, fileBuf, fileBufs)
		defer p.Close()
	}
	for pos := offset; pos < size; {
		if err := ctx.Err(); err != nil {
			return err
		}
		var b []byte
		if p != nil {
			b = p.Buffer()
		} else {
			b = *small
		}
		n, err := io.ReadFull(src, b[:min(int64(len(b)), size-pos)])
		if n > 0 {
			if _, werr := dst.WriteAt(b[:n], pos); werr != nil {
				if p != nil {
					p.Release(b)
				}
				return fmt.Errorf("writing %s: %w", dst.Name(), werr)
			}
			if p != nil {
				p.Submit(b[:n])
			} else {
				h.Write(b[:n])
			}
			pos += int64(n)
			if progress != nil {
				progress(pos)
			}
		} else if p != nil {
			p.Release(b)
		}
		if err != nil {
			return fmt.Errorf("%w: download of %s stopped at byte %d of %d: %w", ErrConnLost, dst.Name(), pos, size, err)
		}
	}
	if p != nil {
		p.Close() // every byte is in h before the caller sums it
	}
	return nil
}
