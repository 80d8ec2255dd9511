package storetest

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"netdisk/internal/storage"
)

// hostilePaths are paths a Space must refuse whatever it is asked to do.
var hostilePaths = []string{
	"",
	"..",
	"../x",
	"a/../../x",
	"a/..",
	"/etc/passwd",
	"/",
	`a\b`,
	`..\x`,
	"a\x00b",
	".netdisk",
	".netdisk/uploads/x",
	".netdisk/tmp",
	"a/",
	"a/.",
	"a/./b",
	"./a",
	"a//b",
}

// pathOps are the operations taking a path, each applied to p.
var pathOps = []struct {
	name string
	do   func(ctx context.Context, store storage.Store, sp storage.Space, p string) error
}{
	{"Stat", func(ctx context.Context, _ storage.Store, sp storage.Space, p string) error {
		_, err := sp.Stat(ctx, p)
		return err
	}},
	{"List", func(ctx context.Context, _ storage.Store, sp storage.Space, p string) error {
		_, err := ListAll(ctx, sp, p)
		return err
	}},
	{"Names", func(ctx context.Context, _ storage.Store, sp storage.Space, p string) error {
		_, err := NamesOf(ctx, sp, p)
		return err
	}},
	{"Mkdir", func(ctx context.Context, _ storage.Store, sp storage.Space, p string) error { return sp.Mkdir(ctx, p) }},
	{"MkdirAll", func(ctx context.Context, _ storage.Store, sp storage.Space, p string) error {
		return sp.MkdirAll(ctx, p)
	}},
	{"Remove", func(ctx context.Context, _ storage.Store, sp storage.Space, p string) error { return sp.Remove(ctx, p) }},
	{"RemoveAll", func(ctx context.Context, _ storage.Store, sp storage.Space, p string) error {
		return sp.RemoveAll(ctx, p)
	}},
	{"RenameFrom", func(ctx context.Context, _ storage.Store, sp storage.Space, p string) error {
		return sp.Rename(ctx, p, "moved")
	}},
	{"RenameTo", func(ctx context.Context, _ storage.Store, sp storage.Space, p string) error {
		return sp.Rename(ctx, "a/keep.txt", p)
	}},
	{"Open", func(ctx context.Context, _ storage.Store, sp storage.Space, p string) error {
		return closeIfOpen(sp.Open(ctx, p))
	}},
	{"OpenUpload", func(ctx context.Context, store storage.Store, sp storage.Space, p string) error {
		up, err := sp.OpenUpload(ctx, p)
		return commitIfOpen(ctx, store, up, err)
	}},
	{"TempUpload", func(ctx context.Context, store storage.Store, sp storage.Space, p string) error {
		up, err := sp.TempUpload(ctx, p)
		return commitIfOpen(ctx, store, up, err)
	}},
	{"DiscardUpload", func(ctx context.Context, _ storage.Store, sp storage.Space, p string) error {
		return sp.DiscardUpload(ctx, p)
	}},
}

func closeIfOpen(f storage.File, err error) error {
	if err == nil {
		f.Close()
	}
	return err
}

// commitIfOpen commits an upload that should not have been opened, so the
// damage shows.
func commitIfOpen(ctx context.Context, store storage.Store, up storage.Upload, err error) error {
	if err == nil {
		io.WriteString(up, "pwned")
		commit(ctx, store, up, nil, time.Time{})
		up.Close()
	}
	return err
}

func testHostilePaths(t *testing.T, store storage.Store) {
	ctx := t.Context()
	sp := openSpace(t, store, "alice")
	mkdir(t, sp, "a/b")
	put(t, store, sp, "a/keep.txt", "keep")
	for _, p := range hostilePaths {
		for _, op := range pathOps {
			t.Run(op.name+"/"+strings.ReplaceAll(p, "\x00", "NUL"), func(t *testing.T) {
				if err := op.do(ctx, store, sp, p); !errors.Is(err, storage.ErrInvalidPath) {
					t.Errorf("%s(%q) = %v, want ErrInvalidPath", op.name, p, err)
				}
			})
		}
	}
	if got, err := NamesOf(ctx, sp, "."); err != nil || !slices.Equal(got, []string{"a"}) {
		t.Errorf("Names(.) = %q, %v after hostile calls; want [a]", got, err)
	}
	if got, err := NamesOf(ctx, sp, "a"); err != nil || !slices.Equal(got, []string{"b", "keep.txt"}) {
		t.Errorf("Names(a) = %q, %v after hostile calls; want [b keep.txt]", got, err)
	}
	if got := get(t, sp, "a/keep.txt"); got != "keep" {
		t.Errorf("a/keep.txt = %q after hostile calls", got)
	}
	// The store's own folder is hidden, not merely unnamed.
	if ups, err := sp.Uploads(ctx); err != nil || len(ups) != 0 {
		t.Errorf("Uploads() = %v, %v; want none", ups, err)
	}
}

// testLongName checks that a name too long for the file system is an error
// and nothing worse.
func testLongName(t *testing.T, store storage.Store) {
	ctx := t.Context()
	sp := openSpace(t, store, "alice")
	long := strings.Repeat("n", 300)
	if err := sp.Mkdir(ctx, long); err == nil {
		t.Errorf("Mkdir(300-byte name) succeeded")
	}
	if _, err := sp.Stat(ctx, long); err == nil {
		t.Errorf("Stat(300-byte name) succeeded")
	}
	if _, err := sp.Open(ctx, long); err == nil {
		t.Errorf("Open(300-byte name) succeeded")
	}
	up, err := sp.OpenUpload(ctx, long)
	if err != nil {
		return // refusing at once is fine too
	}
	defer up.Close()
	io.WriteString(up, "x")
	if err := commit(ctx, store, up, nil, time.Time{}); err == nil {
		t.Errorf("Commit(300-byte name) succeeded")
	}
	if err := up.Discard(); err != nil {
		t.Errorf("Discard: %v", err)
	}
}
