package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"netdisk/internal/storage"
)

// testWriteTo: a store whose files send themselves (io.WriterTo) sends the
// rest of the file from the current offset, exactly, to a socket too.
func testWriteTo(t *testing.T, store storage.Store) {
	ctx := t.Context()
	sp := openSpace(t, store, "alice")
	payload := bytes.Repeat([]byte("netdisk!"), 128<<10) // 1 MiB
	put(t, store, sp, "f", string(payload))
	f, err := sp.Open(ctx, "f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	wt, ok := f.(io.WriterTo)
	if !ok {
		return // optional
	}
	if _, err := f.Seek(3, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if n, err := wt.WriteTo(&buf); n != int64(len(payload)-3) || err != nil || !bytes.Equal(buf.Bytes(), payload[3:]) {
		t.Fatalf("WriteTo(buffer) = %d, %v", n, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		got <- b
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(1000, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	n, err := wt.WriteTo(c)
	c.Close()
	if n != int64(len(payload)-1000) || err != nil {
		t.Fatalf("WriteTo(socket) = %d, %v", n, err)
	}
	if b := <-got; !bytes.Equal(b, payload[1000:]) {
		t.Errorf("the socket got %d bytes, not the file's last %d", len(b), len(payload)-1000)
	}
}

// testCancelled: nothing is done for an ended context.
func testCancelled(t *testing.T, store storage.Store) {
	sp := openSpace(t, store, "alice")
	mkdir(t, sp, "dir")
	put(t, store, sp, "f", "f")
	up := openUpload(t, sp, "pending")
	write(t, up, "x")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ops := map[string]func() error{
		"CreateSpace": func() error { _, err := store.CreateSpace(ctx, "bob"); return err },
		"Space":       func() error { _, err := store.Space(ctx, "alice"); return err },
		"Mkdir":       func() error { return sp.Mkdir(ctx, "new") },
		"MkdirAll":    func() error { return sp.MkdirAll(ctx, "new/deeper") },
		"Remove":      func() error { return sp.Remove(ctx, "f") },
		"RemoveAll":   func() error { return sp.RemoveAll(ctx, "dir") },
		"Rename":      func() error { return sp.Rename(ctx, "f", "g") },
		"Stat":        func() error { _, err := sp.Stat(ctx, "f"); return err },
		"List":        func() error { _, err := ListAll(ctx, sp, "."); return err },
		"Open":        func() error { _, err := sp.Open(ctx, "f"); return err },
		"Usage":       func() error { _, err := sp.Usage(ctx); return err },
		"OpenUpload":  func() error { _, err := sp.OpenUpload(ctx, "u"); return err },
		"TempUpload":  func() error { _, err := sp.TempUpload(ctx, "u"); return err },
		"Commit":      func() error { return commit(ctx, store, up, nil, time.Time{}) },
		"Expire":      func() error { _, err := store.ExpireUploads(ctx, time.Now().Add(time.Hour)); return err },
	}
	for name, op := range ops {
		if err := op(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v, want context.Canceled", name, err)
		}
	}
	if got, err := NamesOf(t.Context(), sp, "."); err != nil || !slices.Equal(got, []string{"dir", "f"}) {
		t.Errorf("Names(.) = %q, %v; want [dir f] untouched", got, err)
	}
	if ups := uploadTargets(t, sp); ups["pending"] != 1 {
		t.Errorf("Uploads() = %v; want pending kept", ups)
	}
}

// testReopen: files, records, folders and kept partials with their state
// survive closing and reopening the store.
func testReopen(t *testing.T, cfg Config) {
	store := cfg.New(t)
	ctx := t.Context()
	sp, err := store.CreateSpace(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	mkdir(t, sp, "docs/old")
	up, err := sp.TempUpload(ctx, "docs/f")
	if err != nil {
		t.Fatal(err)
	}
	write(t, up, "committed")
	if err := commit(ctx, store, up, []byte("its record"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	up, err = sp.OpenUpload(ctx, "docs/partial")
	if err != nil {
		t.Fatal(err)
	}
	write(t, up, "half")
	up.SetState([]byte("state of half"))
	if err := up.Close(); err != nil {
		t.Fatal(err)
	}
	sp.Close()

	store = cfg.Reopen(t, store)
	sp, err = store.Space(ctx, "alice")
	if err != nil {
		t.Fatalf("Space after reopening: %v", err)
	}
	defer sp.Close()
	if got := get(t, sp, "docs/f"); got != "committed" {
		t.Errorf("docs/f = %q", got)
	}
	if got, ok := readRecord(t, sp, "docs/f"); !ok || string(got) != "its record" {
		t.Errorf("record = %q, %v", got, ok)
	}
	if info, err := sp.Stat(ctx, "docs/old"); err != nil || !info.IsDir {
		t.Errorf("docs/old = %+v, %v", info, err)
	}
	if ups := uploadTargets(t, sp); len(ups) != 1 || ups["docs/partial"] != 4 {
		t.Errorf("Uploads() = %v", ups)
	}
	up = openUpload(t, sp, "docs/partial")
	if up.Size() != 4 || string(up.State()) != "state of half" {
		t.Errorf("partial: Size %d, State %q", up.Size(), up.State())
	}
	if _, err := store.Space(ctx, "bob"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Space(bob) = %v, want fs.ErrNotExist", err)
	}
}

// testAtomicFolderRename: a reader never sees a folder half moved while
// another goroutine renames it back and forth.
func testAtomicFolderRename(t *testing.T, store storage.Store) {
	ctx := t.Context()
	sp := openSpace(t, store, "alice")
	const files = 200
	mkdir(t, sp, "a")
	for i := range files {
		put(t, store, sp, fmt.Sprintf("a/f%03d", i), "x")
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; i < 200 && !stop.Load(); i++ {
			from, to := "a", "b"
			if i%2 == 1 {
				from, to = to, from
			}
			if err := sp.Rename(ctx, from, to); err != nil {
				t.Errorf("Rename(%s, %s): %v", from, to, err)
				return
			}
		}
	})
	seen := 0
	for seen < 200 {
		for _, dir := range []string{"a", "b"} {
			got, err := NamesOf(ctx, sp, dir)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != files {
				stop.Store(true)
				wg.Wait()
				t.Fatalf("Names(%s) saw %d of %d files: a folder half moved", dir, len(got), files)
			}
			seen++
		}
	}
	stop.Store(true)
	wg.Wait()
}
