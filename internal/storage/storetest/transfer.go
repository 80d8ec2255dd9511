package storetest

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"netdisk/internal/storage"
)

// tcpSource returns the receiving end of a loopback TCP connection whose
// other end sends payload and closes.
func tcpSource(t *testing.T, payload []byte) *net.TCPConn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sent := make(chan error, 1)
	go func() {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			sent <- err
			return
		}
		defer conn.Close()
		_, err = conn.Write(payload)
		sent <- err
	}()
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		if err := <-sent; err != nil {
			t.Errorf("sending: %v", err)
		}
	})
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	return conn.(*net.TCPConn)
}

// testReadFromTCP feeds uploads from real sockets, the source the local
// store splices from.
func testReadFromTCP(t *testing.T, store storage.Store) {
	sp := openSpace(t, store, "alice")
	payload := bytes.Repeat([]byte("0123456789abcdef"), 64<<10/16+3) // not a multiple of a page

	up := openUpload(t, sp, "f")
	write(t, up, "head:")
	n, err := up.ReadFrom(tcpSource(t, payload))
	if err != nil || n != int64(len(payload)) {
		t.Fatalf("ReadFrom(conn) = %d, %v; want %d", n, err, len(payload))
	}
	// A LimitedReader is how a server reads one upload of a known size.
	const limit = 1000
	n, err = up.ReadFrom(io.LimitReader(tcpSource(t, payload), limit))
	if err != nil || n != limit {
		t.Fatalf("ReadFrom(LimitReader(conn)) = %d, %v; want %d", n, err, limit)
	}
	write(t, up, ":tail")
	want := "head:" + string(payload) + string(payload[:limit]) + ":tail"
	if up.Size() != int64(len(want)) {
		t.Errorf("Size() = %d, want %d", up.Size(), len(want))
	}
	if err := up.Commit(nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, sp, "f"); got != want {
		t.Errorf("committed %d bytes, want %d; equal prefix up to %d", len(got), len(want), commonPrefix(got, want))
	}
}

func commonPrefix(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}
