package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"netdisk/internal/storage"
)

func testUsage(t *testing.T, store storage.Store) {
	ctx := t.Context()
	sp := openSpace(t, store, "alice")
	entries := int64(0)
	usage := func(want int64) {
		t.Helper()
		if got, err := sp.Usage(ctx); err != nil || got.Bytes != want || got.Entries != entries {
			t.Errorf("Usage() = %+v, %v; want %d bytes, %d entries", got, err, want, entries)
		}
	}
	usage(0)
	mkdir(t, sp, "a/b")
	put(t, store, sp, "top", strings.Repeat("x", 100))
	put(t, store, sp, "a/b/deep", strings.Repeat("x", 50))
	entries = 4 // a, a/b, top, a/b/deep; unfinished uploads are not entries
	usage(150)

	held := openUpload(t, sp, "up")
	write(t, held, strings.Repeat("x", 30))
	usage(180)
	if err := held.Close(); err != nil {
		t.Fatal(err)
	}
	usage(180) // a kept partial still takes room
	tmp, err := sp.TempUpload(ctx, "tmp")
	if err != nil {
		t.Fatal(err)
	}
	write(t, tmp, "1234567")
	usage(187)
	if err := tmp.Close(); err != nil {
		t.Fatal(err)
	}
	usage(180)
	if err := sp.DiscardUpload(ctx, "up"); err != nil {
		t.Fatal(err)
	}
	usage(150)

	// Another user's files are not counted.
	bob := openSpace(t, store, "bob")
	put(t, store, bob, "b", "bbbb")
	usage(150)
}

// testExpireUploads checks expiry by a cutoff in the future, which every
// partial predates: only the store's own test can make one old.
func testExpireUploads(t *testing.T, store storage.Store) {
	ctx := t.Context()
	alice := openSpace(t, store, "alice")
	bob := openSpace(t, store, "bob")
	for _, sp := range []storage.Space{alice, bob} {
		up := openUpload(t, sp, "closed")
		write(t, up, "partial")
		up.Close()
	}
	held := openUpload(t, alice, "held")
	write(t, held, "busy")

	if n, err := store.ExpireUploads(ctx, time.Now().Add(-time.Hour)); n != 0 || err != nil {
		t.Errorf("ExpireUploads(an hour ago) = %d, %v; want 0", n, err)
	}
	if ups := uploadTargets(t, alice); len(ups) != 2 {
		t.Errorf("alice's uploads = %v, want closed and held", ups)
	}

	if n, err := store.ExpireUploads(ctx, time.Now().Add(time.Hour)); n != 2 || err != nil {
		t.Errorf("ExpireUploads(in an hour) = %d, %v; want 2 (held one kept)", n, err)
	}
	if ups := uploadTargets(t, alice); len(ups) != 1 || ups["held"] != 4 {
		t.Errorf("alice's uploads = %v, want only held", ups)
	}
	if ups := uploadTargets(t, bob); len(ups) != 0 {
		t.Errorf("bob's uploads = %v, want none", ups)
	}
	write(t, held, "!")
	if err := commit(ctx, store, held, nil, time.Time{}); err != nil {
		t.Fatalf("Commit of the held upload: %v", err)
	}
	if got := get(t, alice, "held"); got != "busy!" {
		t.Errorf("held = %q", got)
	}
}

// testExtent: how deep and long the paths under a folder go.
func testExtent(t *testing.T, store storage.Store) {
	ctx := t.Context()
	sp := openSpace(t, store, "alice")
	mkdir(t, sp, "x/aa/bbb/cccc", "x/e")
	put(t, store, sp, "x/aa/bbb/cccc/file", "f")
	for _, tt := range []struct {
		dir           string
		depth, length int
	}{
		{"x", 4, len("aa/bbb/cccc/file")},
		{"x/aa/bbb", 2, len("cccc/file")},
		{"x/e", 0, 0},
		{".", 5, len("x/aa/bbb/cccc/file")},
	} {
		depth, length, err := sp.Extent(ctx, tt.dir, 1000, 1<<20)
		if err != nil || depth != tt.depth || length != tt.length {
			t.Errorf("Extent(%s) = %d, %d, %v; want %d, %d", tt.dir, depth, length, err, tt.depth, tt.length)
		}
	}
	// Stopping early still reports more than the limits given.
	if depth, length, err := sp.Extent(ctx, "x", 1, 3); err != nil || depth <= 1 || length <= 3 {
		t.Errorf("Extent(x, 1, 3) = %d, %d, %v; want beyond both", depth, length, err)
	}
	if _, _, err := sp.Extent(ctx, "x/aa/bbb/cccc/file", 10, 10); !errors.Is(err, storage.ErrNotDir) {
		t.Errorf("Extent of a file: %v, want ErrNotDir", err)
	}
}
