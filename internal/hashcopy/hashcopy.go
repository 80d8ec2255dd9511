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
	if zeroCopy() {
		if zc := zeroCopyPath(dst, src); zc != nil {
			return zc(ctx, n, h, progress)
		}
	}
	bufs := bufSets.Get().(*[bufCount][]byte)
	defer bufSets.Put(bufs)
	var hs *hasher
	if h != nil {
		hs = startHasher(h, bufs)
		defer hs.stop()
	}
	var done int64
	for i := 0; done < n; i++ {
		if err := ctx.Err(); err != nil {
			return done, err
		}
		b := bufs[i%bufCount]
		if hs != nil {
			b = hs.take()
		}
		m, err := io.ReadFull(src, b[:min(int64(len(b)), n-done)])
		if m > 0 {
			if _, werr := dst.Write(b[:m]); werr != nil {
				hs.giveBack(b)
				return done, werr
			}
			hs.submit(b[:m])
			done += int64(m)
			if progress != nil {
				progress(done)
			}
		} else {
			hs.giveBack(b)
		}
		if err != nil {
			return done, eof(err)
		}
	}
	return done, nil
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

// hasher hashes submitted buffers in order on its own goroutine and hands
// them back for reuse. Buffers are only read while shared, so the
// caller's write and the hash may overlap.
type hasher struct {
	h    hash.Hash
	free chan []byte
	full chan []byte
	done chan struct{}
}

func startHasher(h hash.Hash, bufs *[bufCount][]byte) *hasher {
	hs := &hasher{
		h:    h,
		free: make(chan []byte, bufCount),
		full: make(chan []byte, bufCount),
		done: make(chan struct{}),
	}
	for _, b := range bufs {
		hs.free <- b
	}
	go hs.run()
	return hs
}

func (hs *hasher) run() {
	defer close(hs.done)
	for b := range hs.full {
		hs.h.Write(b)
		hs.free <- b[:cap(b)]
	}
}

// take returns a free buffer, waiting while all are being hashed.
func (hs *hasher) take() []byte { return <-hs.free }

// submit queues b to be hashed; nil-safe like giveBack.
func (hs *hasher) submit(b []byte) {
	if hs != nil {
		hs.full <- b
	}
}

// giveBack returns a buffer that will not be hashed.
func (hs *hasher) giveBack(b []byte) {
	if hs != nil {
		hs.free <- b[:cap(b)]
	}
}

// stop waits until everything submitted is hashed.
func (hs *hasher) stop() {
	close(hs.full)
	<-hs.done
}
