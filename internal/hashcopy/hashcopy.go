// Package hashcopy is the one routine that moves a file's bytes and hashes
// them on the way. The client uses it in both directions and the service
// for every upload and download: each byte is read into a buffer once,
// written out from it, and hashed from it on a second goroutine, so the
// hash runs on another core while the next buffer is read and written.
package hashcopy

import (
	"context"
	"hash"
	"io"
	"sync"
)

// Buffers. Copies up to smallCopy bytes go through one pooled buffer with
// the hash computed in line (a goroutine and a megabyte of buffers for a
// 4 KiB file would cost more than they save). Larger ones go through
// bufCount buffers of bufSize bytes, so a copy holds 1 MiB whatever the
// file's size; buffers of 128 KiB measured faster than 1 MiB ones here,
// as they stay in the CPU caches between the copy and the hash.
const (
	smallCopy = 256 << 10
	bufSize   = 128 << 10
	bufCount  = 8
)

var (
	smallBufs = sync.Pool{New: func() any { return new([smallCopy]byte) }}
	bufSets   = sync.Pool{New: func() any {
		s := new([bufCount][]byte)
		for i := range s {
			s[i] = make([]byte, bufSize)
		}
		return s
	}}
)

// Copy copies up to n bytes from src to dst and writes the same bytes, in
// the same order, into h (nil hashes nothing). Between a file and a socket
// it moves them without copying them through user space where it pays
// (see SpliceSource, FileSink, FileSender). After each write it calls
// progress, if not nil, with the bytes copied so far. It returns the number
// of bytes copied and io.EOF if src ended before n bytes (as io.CopyN
// does), or the first error of src, dst or ctx, which it checks between
// buffers. When it returns, every byte copied is in h.
func Copy(ctx context.Context, dst io.Writer, src io.Reader, n int64, h hash.Hash, progress func(int64)) (int64, error) {
	if n <= smallCopy {
		return copySmall(ctx, dst, src, n, h, progress)
	}
	if zc := zeroCopyPath(dst, src); zc != nil {
		return zc(ctx, n, h, progress)
	}
	return copyPipelined(ctx, dst, src, n, h, progress)
}

// copySmall is Copy in line, with one buffer.
func copySmall(ctx context.Context, dst io.Writer, src io.Reader, n int64, h hash.Hash, progress func(int64)) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	bp := smallBufs.Get().(*[smallCopy]byte)
	defer smallBufs.Put(bp)
	b := bp[:n]
	m, err := io.ReadFull(src, b)
	if m > 0 {
		if _, werr := dst.Write(b[:m]); werr != nil {
			return 0, werr
		}
		if h != nil {
			h.Write(b[:m])
		}
		if progress != nil {
			progress(int64(m))
		}
	}
	if err != nil {
		return int64(m), eof(err)
	}
	return int64(m), nil
}

// eof reports a source that ended early as io.EOF, whether io.ReadFull
// saw no bytes (io.EOF) or some (io.ErrUnexpectedEOF).
func eof(err error) error {
	if err == io.ErrUnexpectedEOF {
		return io.EOF
	}
	return err
}

// copyPipelined is Copy through buffers in three stages, each on its own
// goroutine: the caller reads into a buffer; a writer writes it out; a
// hasher hashes it and hands it back. Reading (from a TLS connection, say:
// decryption), writing (into the page cache, or encrypting) and hashing
// then overlap on as many cores as there are, and each byte is copied once
// into user space. Only what was written is hashed and counted.
func copyPipelined(ctx context.Context, dst io.Writer, src io.Reader, n int64, h hash.Hash, progress func(int64)) (int64, error) {
	bufs := bufSets.Get().(*[bufCount][]byte)
	defer bufSets.Put(bufs)
	p := &pipeline{
		dst:      dst,
		h:        h,
		progress: progress,
		free:     make(chan []byte, bufCount),
		toWrite:  make(chan []byte, bufCount),
		toHash:   make(chan []byte, bufCount),
		failed:   make(chan struct{}),
		done:     make(chan struct{}),
	}
	for _, b := range bufs {
		p.free <- b
	}
	go p.write()
	go p.hash()
	var read int64
	var err error
	for read < n {
		if err = ctx.Err(); err != nil {
			break
		}
		var b []byte
		select {
		case b = <-p.free:
		case <-p.failed:
		}
		if b == nil {
			break // the writer failed; its error is returned
		}
		var m int
		m, err = io.ReadFull(src, b[:min(int64(len(b)), n-read)])
		if m > 0 {
			p.toWrite <- b[:m]
			read += int64(m)
		} else {
			p.free <- b
		}
		if err != nil {
			err = eof(err)
			break
		}
	}
	close(p.toWrite)
	<-p.done // written and hashed
	if p.werr != nil {
		err = p.werr
	}
	return p.written, err
}

// pipeline carries buffers from the reading caller to the writer, then to
// the hasher, then back.
type pipeline struct {
	dst      io.Writer
	h        hash.Hash
	progress func(int64)
	free     chan []byte
	toWrite  chan []byte
	toHash   chan []byte
	failed   chan struct{} // closed when the writer fails
	done     chan struct{} // closed when everything is written and hashed
	written  int64         // by the writer; read after done
	werr     error         // the writer's; read after done
}

// write writes each buffer out and passes it on; after a failure it only
// hands buffers back.
func (p *pipeline) write() {
	defer close(p.toHash)
	for b := range p.toWrite {
		if p.werr != nil {
			p.free <- b[:cap(b)]
			continue
		}
		if _, err := p.dst.Write(b); err != nil {
			p.werr = err
			close(p.failed)
			p.free <- b[:cap(b)]
			continue
		}
		p.written += int64(len(b))
		if p.progress != nil {
			p.progress(p.written)
		}
		p.toHash <- b
	}
}

// hash hashes each written buffer and hands it back.
func (p *pipeline) hash() {
	defer close(p.done)
	for b := range p.toHash {
		if p.h != nil {
			p.h.Write(b)
		}
		p.free <- b[:cap(b)]
	}
}
