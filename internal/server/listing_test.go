package server_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"netdisk/internal/proto"
)

// TestListingMemoryBounded: twenty listings of a folder of 50,000 entries,
// started and left unread, hold one page each on the server, not the whole
// folder. The first frame of each is read, so each listing is under way;
// the test then measures the live heap (the server runs in this process).
func TestListingMemoryBounded(t *testing.T) {
	d := start(t)
	first := loggedIn(t, d, "lia")
	dir := filepath.Join(d.DataDir, "files", "lia", "big")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	const entries = 50_000
	for i := range entries {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("a-file-with-a-longish-name-%06d.txt", i)))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	first.Close()

	var conns []*rawConn
	for i := range 20 {
		c, _ := dialRaw(t, d)
		c.send(1, proto.Login{User: "lia", Password: "lia password"})
		if h := c.read(); h.Type != "session" {
			t.Fatalf("login %d: %s", i, h.Raw)
		}
		conns = append(conns, c)
	}
	base := liveHeap()
	for i, c := range conns {
		c.send(2, proto.ListRequest{Path: "big"})
		if h := c.read(); h.Type != "list" {
			t.Fatalf("ls %d: %s", i, h.Raw)
		}
		// and read no further
	}
	held := liveHeap()
	t.Logf("live heap: %d KiB with 20 connections logged in, %d KiB with 20 listings of %d entries unread", base>>10, held>>10, entries)
	// One listing holds a page of entries (128, with their lstat results),
	// its frame being written and a directory buffer: some 100-300 KiB.
	// A whole listing of this folder is over 5 MiB in entries alone.
	if held > base+12<<20 {
		t.Errorf("the live heap grew by %d MiB with 20 unread listings", (held-base)>>20)
	}
	stillServes(t, d)
}

func (c *rawConn) Close() { c.nc.Close() }

// liveHeap returns the bytes of live objects after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
