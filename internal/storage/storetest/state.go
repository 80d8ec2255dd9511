package storetest

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"netdisk/internal/storage"
)

// testUploadState: the state kept with a closed resumable partial comes
// back when it is opened again; Truncate and Discard forget it, and a
// commit leaves none for the next upload of the target.
func testUploadState(t *testing.T, store storage.Store) {
	ctx := t.Context()
	sp := openSpace(t, store, "alice")
	up := openUpload(t, sp, "f")
	if up.State() != nil {
		t.Errorf("new upload has State %q", up.State())
	}
	write(t, up, "12345")
	up.SetState([]byte("state after 5"))
	if err := up.Close(); err != nil {
		t.Fatal(err)
	}
	up = openUpload(t, sp, "f")
	if string(up.State()) != "state after 5" || up.Size() != 5 {
		t.Fatalf("reopened: State %q, Size %d", up.State(), up.Size())
	}
	// Closed without SetState after writing: the state no longer
	// describes the partial.
	write(t, up, "678")
	up.Close()
	up = openUpload(t, sp, "f")
	if up.State() != nil || up.Size() != 8 {
		t.Errorf("reopened after an append without SetState: State %q, Size %d", up.State(), up.Size())
	}
	big := bytes.Repeat([]byte{1}, storage.MaxState)
	up.SetState(big)
	up.Close()
	up = openUpload(t, sp, "f")
	if !bytes.Equal(up.State(), big) {
		t.Errorf("a MaxState state came back as %d bytes", len(up.State()))
	}
	if err := up.Truncate(3); err != nil {
		t.Fatal(err)
	}
	up.Close()
	up = openUpload(t, sp, "f")
	if up.State() != nil || up.Size() != 3 {
		t.Errorf("after Truncate: State %d bytes, Size %d; want none, 3", len(up.State()), up.Size())
	}
	up.SetState([]byte("x"))
	if err := commit(ctx, store, up, nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	up = openUpload(t, sp, "f")
	if up.State() != nil || up.Size() != 0 {
		t.Errorf("after Commit: State %q, Size %d", up.State(), up.Size())
	}
	up.SetState([]byte("y"))
	if err := up.Discard(); err != nil {
		t.Fatal(err)
	}
	up = openUpload(t, sp, "f")
	if up.State() != nil {
		t.Errorf("after Discard: State %q", up.State())
	}
	// A temporary upload keeps nothing.
	tmp, err := sp.TempUpload(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	tmp.SetState([]byte("z"))
	tmp.Close()
	if ups := uploadTargets(t, sp); len(ups) != 1 {
		t.Errorf("Uploads() = %v; want only f", ups)
	}
}

// testUploadReadFrom: a store whose uploads take a stream directly
// (io.ReaderFrom) appends exactly what the stream holds, from a socket
// too.
func testUploadReadFrom(t *testing.T, store storage.Store) {
	ctx := t.Context()
	sp := openSpace(t, store, "alice")
	up := openUpload(t, sp, "f")
	rf, ok := up.(io.ReaderFrom)
	if !ok {
		return // optional
	}
	write(t, up, "head:")
	if n, err := rf.ReadFrom(strings.NewReader("from a reader;")); n != 14 || err != nil {
		t.Fatalf("ReadFrom(strings.Reader) = %d, %v", n, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	payload := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
	go func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return
		}
		defer c.Close()
		c.Write(payload)
		c.Write([]byte("not for the upload"))
	}()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	n, err := rf.ReadFrom(&io.LimitedReader{R: c, N: int64(len(payload))})
	if n != int64(len(payload)) || err != nil {
		t.Fatalf("ReadFrom(socket) = %d, %v", n, err)
	}
	if up.Size() != int64(5+14+len(payload)) {
		t.Errorf("Size() = %d", up.Size())
	}
	if err := commit(ctx, store, up, nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, sp, "f"); got != "head:from a reader;"+string(payload) {
		t.Errorf("f holds %d bytes, not what was sent", len(got))
	}
	if _, err := rf.ReadFrom(strings.NewReader("late")); err == nil || errors.Is(err, io.EOF) {
		t.Errorf("ReadFrom after Commit: %v", err)
	}
}
