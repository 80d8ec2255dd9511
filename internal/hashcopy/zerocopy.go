package hashcopy

import (
	"context"
	"errors"
	"hash"
	"io"
	"os"
)

// Zero copy. Bytes that go between a file and a socket are moved by the
// kernel (sendfile(2) out of a file, splice(2) into one) instead of through
// a buffer, and a second goroutine hashes them by reading them back from
// the page cache. Measured on the 2-core development VM, 1 GiB over
// plaintext loopback, each process pinned to its own core: put 0.73 s
// against 0.85 s through a buffer, get 0.62 s against 0.97 s; with both
// processes free to use both cores the gain is of the same order (see the
// README's performance section). So it is taken whenever the endpoints
// allow it.

// SpliceSource is a source that can move its next bytes into a file
// without copying them through user space: a socket, read with splice(2).
type SpliceSource interface {
	// SpliceTo moves up to n bytes into dst (through dst.ReadFrom where
	// it can) and returns how many it moved: io.EOF if the source ended
	// first.
	SpliceTo(dst FileSink, n int64) (int64, error)
}

// FileSink is a destination backed by a file: it takes bytes from a reader
// (ReadFrom, which splices from a socket) or from a buffer (Write), and
// reads back what it holds (ReadAt), for the hash. Size is how many bytes
// it holds: the offset of the next byte.
type FileSink interface {
	io.Writer
	io.ReaderFrom
	io.ReaderAt
	Size() int64
}

// FileSender is a destination that can send part of a file without
// copying it through user space (sendfile(2) to a socket).
type FileSender interface {
	// SendFile sends n bytes of f from its current offset.
	SendFile(f *os.File, n int64) (int64, error)
}

// zeroCopyChunk is how many bytes move between progress reports, checks
// of ctx and hand-overs to the hashing goroutine: small enough that the
// hash reads the bytes back while they are still in the CPU caches.
const zeroCopyChunk = 1 << 20

// zeroCopyPath returns the zero-copy routine for dst and src, if they
// have one.
func zeroCopyPath(dst io.Writer, src io.Reader) func(ctx context.Context, n int64, h hash.Hash, progress func(int64)) (int64, error) {
	if s, ok := src.(SpliceSource); ok {
		if d, ok := dst.(FileSink); ok {
			return func(ctx context.Context, n int64, h hash.Hash, progress func(int64)) (int64, error) {
				return splice(ctx, d, s, n, h, progress)
			}
		}
	}
	if sr, ok := src.(*io.SectionReader); ok {
		if f, ok := sectionFile(sr); ok {
			if d, ok := dst.(FileSender); ok {
				return func(ctx context.Context, n int64, h hash.Hash, progress func(int64)) (int64, error) {
					return send(ctx, d, sr, f, n, h, progress)
				}
			}
		}
	}
	return nil
}

// sectionFile returns the file under a section, if it is one.
func sectionFile(sr *io.SectionReader) (*os.File, bool) {
	r, _, _ := sr.Outer()
	f, ok := r.(*os.File)
	return f, ok
}

// splice moves up to n bytes from src into dst with SpliceTo, in chunks,
// while a second goroutine hashes each chunk read back from dst.
func splice(ctx context.Context, dst FileSink, src SpliceSource, n int64, h hash.Hash, progress func(int64)) (int64, error) {
	base := dst.Size()
	rb := startReadBack(h, dst, base)
	var done int64
	var err error
	for done < n {
		if err = ctx.Err(); err != nil {
			break
		}
		var m int64
		m, err = src.SpliceTo(dst, min(zeroCopyChunk, n-done))
		if m > 0 {
			done += m
			rb.upTo(base + done)
			if progress != nil {
				progress(done)
			}
		}
		if err == nil && m == 0 {
			err = io.EOF
		}
		if err != nil {
			break
		}
	}
	if herr := rb.stop(); err == nil || errors.Is(err, io.EOF) {
		if herr != nil {
			err = herr
		}
	}
	return done, eof(err)
}

// send sends up to n bytes of the section sr (of file f) with SendFile,
// in chunks, while a second goroutine hashes each chunk read from f.
func send(ctx context.Context, dst FileSender, sr *io.SectionReader, f *os.File, n int64, h hash.Hash, progress func(int64)) (int64, error) {
	pos, err := sr.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	_, base, _ := sr.Outer()
	base += pos
	if _, err := f.Seek(base, io.SeekStart); err != nil {
		return 0, err
	}
	rb := startReadBack(h, f, base)
	var done int64
	for done < n {
		if err = ctx.Err(); err != nil {
			break
		}
		var m int64
		m, err = dst.SendFile(f, min(zeroCopyChunk, n-done))
		if m > 0 {
			done += m
			rb.upTo(base + done)
			if progress != nil {
				progress(done)
			}
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = io.EOF // the file is shorter than asked
		}
		if err != nil {
			break
		}
	}
	if herr := rb.stop(); err == nil || errors.Is(err, io.EOF) {
		if herr != nil {
			err = herr
		}
	}
	sr.Seek(pos+done, io.SeekStart)
	return done, eof(err)
}

// readBack hashes a file's bytes from base up to where it is told, reading
// them back with ReadAt on its own goroutine.
type readBack struct {
	marks chan int64
	done  chan error
}

func startReadBack(h hash.Hash, r io.ReaderAt, base int64) *readBack {
	if h == nil {
		return nil // nothing to hash
	}
	rb := &readBack{marks: make(chan int64, 64), done: make(chan error, 1)}
	go func() {
		bp := smallBufs.Get().(*[smallCopy]byte)
		defer smallBufs.Put(bp)
		from := base
		var err error
		for to := range rb.marks {
			for err == nil && from < to {
				var m int
				m, err = r.ReadAt(bp[:min(int64(len(bp)), to-from)], from)
				h.Write(bp[:m])
				from += int64(m)
				if err == io.EOF && from == to {
					err = nil
				}
			}
		}
		rb.done <- err
	}()
	return rb
}

// upTo hands the bytes up to end over to the hash.
func (rb *readBack) upTo(end int64) {
	if rb != nil {
		rb.marks <- end
	}
}

// stop waits until everything handed over is hashed.
func (rb *readBack) stop() error {
	if rb == nil {
		return nil
	}
	close(rb.marks)
	return <-rb.done
}
