package main

import (
	"io"
	"net"
	"os"
)

// sendPlain sends the file with sendfile(2) and waits for the receiver to
// close, which it does after its fsync.
func sendPlain(c net.Conn, in string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(c, f); err != nil { // sendfile(2)
		return err
	}
	c.(*net.TCPConn).CloseWrite()
	_, err = io.Copy(io.Discard, c)
	return err
}

// receivePlain splices everything the connection carries into the file,
// starting writeback as it goes, and fsyncs it.
func receivePlain(c net.Conn, out string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	wb := writeback{f: f}
	var done int64
	for {
		// One writeback span at a time; a LimitedReader around the
		// connection still splices.
		n, err := f.ReadFrom(&io.LimitedReader{R: c, N: writebackEvery}) // splice(2)
		done += n
		wb.advance(done)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}
