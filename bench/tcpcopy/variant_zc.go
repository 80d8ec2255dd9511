package main

import (
	"errors"
	"io"
	"net"
	"os"

	"netdisk/internal/digest"
)

// spliceChunk is how many bytes the zero-copy receiver splices before it
// tells the hashing goroutine they are in the file: small enough that the
// hash reads them back while they are still in the CPU caches.
const spliceChunk = 1 << 20

// sendZeroCopy sends the file with sendfile(2) while a second goroutine
// hashes the same bytes, read from the page cache with pread.
func sendZeroCopy(c net.Conn, f *os.File, size int64) ([digest.Size]byte, error) {
	h := digest.New()
	hashed := make(chan error, 1)
	go func() { hashed <- hashFileRange(h, f, make([]byte, bufSize), 0, size) }()
	_, err := io.Copy(c, io.LimitReader(f, size)) // sendfile(2); pread leaves the offset alone
	herr := <-hashed
	if err = errors.Join(err, herr); err != nil {
		return [digest.Size]byte{}, err
	}
	return sumOf(h), nil
}

// receiveZeroCopy splices size bytes from the connection into the file
// while a second goroutine hashes what is already there, read back from
// the page cache with pread.
func receiveZeroCopy(c net.Conn, f *os.File, size int64) ([digest.Size]byte, error) {
	h := digest.New()
	// written carries how far the file is written; its room for a whole
	// 16 GiB of chunks means the copy rarely waits for the hash.
	written := make(chan int64, min(size/spliceChunk+1, 1<<14))
	hashed := make(chan error, 1)
	go func() {
		buf := make([]byte, bufSize)
		var from int64
		var err error
		for to := range written {
			if err == nil {
				err = hashFileRange(h, f, buf, from, to)
			}
			from = to
		}
		hashed <- err
	}()
	wb := writeback{f: f}
	var done int64
	var err error
	for done < size {
		var n int64
		n, err = f.ReadFrom(&io.LimitedReader{R: c, N: min(spliceChunk, size-done)}) // splice(2)
		if n > 0 {
			done += n
			written <- done
			wb.advance(done)
		}
		if err == nil && n == 0 {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			break
		}
	}
	close(written)
	herr := <-hashed
	if err = errors.Join(err, herr); err != nil {
		return [digest.Size]byte{}, err
	}
	return sumOf(h), nil
}

// hashFileRange hashes f's bytes from..to into h, reading them into buf.
func hashFileRange(h *digest.Hasher, f *os.File, buf []byte, from, to int64) error {
	for from < to {
		n, err := f.ReadAt(buf[:min(int64(len(buf)), to-from)], from)
		h.Write(buf[:n])
		from += int64(n)
		if err == io.EOF && from < to {
			return io.ErrUnexpectedEOF // the file is shorter than it was
		}
		if err != nil && err != io.EOF {
			return err
		}
	}
	return nil
}
