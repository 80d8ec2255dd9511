package service

import (
	"hash"
	"io"
	"sync"

	"netdisk/internal/pipehash"
)

// Stream buffers. Files up to smallStream bytes are copied and hashed in
// line with one pooled buffer (a hashing goroutine and megabytes of
// buffers per 4 KiB file would cost more than they save); larger ones
// overlap hashing and I/O through pipehash with streamBufs buffers of
// streamBuf bytes, so memory per transfer is bounded at 1 MiB (128 KiB
// buffers measured faster than 1 MiB ones: they stay in the CPU caches).
const (
	smallStream = 256 << 10
	streamBuf   = 128 << 10
	streamBufs  = 8
)

var smallBufs = sync.Pool{New: func() any { b := make([]byte, smallStream); return &b }}

// copyHashed copies exactly n bytes from src to dst, writing them into h
// too. dst is written in order; h sees the same bytes in the same order.
func copyHashed(dst io.Writer, src io.Reader, n int64, h hash.Hash) (int64, error) {
	if n <= smallStream {
		bp := smallBufs.Get().(*[]byte)
		defer smallBufs.Put(bp)
		b := (*bp)[:n]
		m, err := io.ReadFull(src, b)
		h.Write(b[:m])
		if _, werr := dst.Write(b[:m]); werr != nil {
			return 0, werr
		}
		return int64(m), noEOF(err)
	}
	p := pipehash.New(h, streamBuf, streamBufs)
	defer p.Close()
	var done int64
	for done < n {
		b := p.Buffer()
		m, err := io.ReadFull(src, b[:min(int64(len(b)), n-done)])
		if m > 0 {
			if _, werr := dst.Write(b[:m]); werr != nil {
				p.Release(b)
				return done, werr
			}
			p.Submit(b[:m])
			done += int64(m)
		} else {
			p.Release(b)
		}
		if err != nil {
			return done, noEOF(err)
		}
	}
	p.Close() // every byte is in h before the caller asks for the sum
	return done, nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
