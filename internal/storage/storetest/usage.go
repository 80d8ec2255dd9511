package storetest

import (
	"strings"
	"testing"
	"time"

	"netdisk/internal/storage"
)

func testUsage(t *testing.T, store storage.Store) {
	ctx := t.Context()
	sp := openSpace(t, store, "alice")
	usage := func(want int64) {
		t.Helper()
		if got, err := sp.Usage(ctx); err != nil || got != want {
			t.Errorf("Usage() = %d, %v; want %d", got, err, want)
		}
	}
	usage(0)
	mkdir(t, sp, "a/b")
	put(t, store, sp, "top", strings.Repeat("x", 100))
	put(t, store, sp, "a/b/deep", strings.Repeat("x", 50))
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
