package main

import (
	"io"
	"net"
	"os"

	"netdisk/internal/digest"
)

// bufCount buffers of bufSize circulate between the goroutine moving bytes
// and the one hashing them: 1 MiB in all.
const bufCount = 8

// sendReadWrite reads the file into buffers, writes each to the
// connection, and hashes it on a second goroutine meanwhile.
func sendReadWrite(c net.Conn, f *os.File, size int64) ([digest.Size]byte, error) {
	p := startHashPipe()
	defer p.finish()
	for done := int64(0); done < size; {
		b := p.take()
		n, err := io.ReadFull(f, b[:min(int64(len(b)), size-done)])
		if err != nil {
			p.giveBack(b)
			return [digest.Size]byte{}, err
		}
		// Both only read the buffer, so it is hashed while written.
		p.submit(b[:n])
		if _, err := c.Write(b[:n]); err != nil {
			return [digest.Size]byte{}, err
		}
		done += int64(n)
	}
	return p.finish(), nil
}

// receiveReadWrite reads the connection into buffers, writes each to the
// file, and hashes it on a second goroutine meanwhile.
func receiveReadWrite(c net.Conn, f *os.File, size int64) ([digest.Size]byte, error) {
	p := startHashPipe()
	defer p.finish()
	wb := writeback{f: f}
	for done := int64(0); done < size; {
		b := p.take()
		n, err := io.ReadFull(c, b[:min(int64(len(b)), size-done)])
		if err != nil {
			p.giveBack(b)
			return [digest.Size]byte{}, err
		}
		p.submit(b[:n])
		if _, err := f.Write(b[:n]); err != nil {
			return [digest.Size]byte{}, err
		}
		done += int64(n)
		wb.advance(done)
	}
	return p.finish(), nil
}

// hashPipe hashes buffers in order on its own goroutine and hands them
// back for reuse. It is the bench's own copy of the idea behind
// internal/hashcopy, on purpose: the baseline must not move when the code
// it measures does.
type hashPipe struct {
	h        *digest.Hasher
	free     chan []byte
	full     chan []byte
	done     chan struct{}
	finished bool
}

func startHashPipe() *hashPipe {
	p := &hashPipe{
		h:    digest.New(),
		free: make(chan []byte, bufCount),
		full: make(chan []byte, bufCount),
		done: make(chan struct{}),
	}
	for range bufCount {
		p.free <- make([]byte, bufSize)
	}
	go func() {
		defer close(p.done)
		for b := range p.full {
			p.h.Write(b)
			p.free <- b[:cap(b)]
		}
	}()
	return p
}

// take returns a free buffer, waiting while all are being hashed.
func (p *hashPipe) take() []byte { return <-p.free }

// submit queues b to be hashed.
func (p *hashPipe) submit(b []byte) { p.full <- b }

// giveBack returns a buffer that will not be hashed.
func (p *hashPipe) giveBack(b []byte) { p.free <- b[:cap(b)] }

// finish waits until everything submitted is hashed and returns the
// digest. It may be called more than once.
func (p *hashPipe) finish() [digest.Size]byte {
	if !p.finished {
		p.finished = true
		close(p.full)
		<-p.done
	}
	return sumOf(p.h)
}
