package storetest

import (
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
	do   func(sp storage.Space, p string) error
}{
	{"Stat", func(sp storage.Space, p string) error { _, err := sp.Stat(p); return err }},
	{"List", func(sp storage.Space, p string) error { _, err := sp.List(p); return err }},
	{"Names", func(sp storage.Space, p string) error { _, err := sp.Names(p); return err }},
	{"Mkdir", func(sp storage.Space, p string) error { return sp.Mkdir(p, false) }},
	{"MkdirParents", func(sp storage.Space, p string) error { return sp.Mkdir(p, true) }},
	{"Remove", func(sp storage.Space, p string) error { return sp.Remove(p, false) }},
	{"RemoveRecursive", func(sp storage.Space, p string) error { return sp.Remove(p, true) }},
	{"RenameFrom", func(sp storage.Space, p string) error { return sp.Rename(p, "moved") }},
	{"RenameTo", func(sp storage.Space, p string) error { return sp.Rename("a/keep.txt", p) }},
	{"Open", func(sp storage.Space, p string) error { return closeIfOpen(sp.Open(p)) }},
	{"OpenUpload", func(sp storage.Space, p string) error { return commitIfOpen(sp.OpenUpload(p)) }},
	{"TempUpload", func(sp storage.Space, p string) error { return commitIfOpen(sp.TempUpload(p)) }},
	{"DiscardUpload", func(sp storage.Space, p string) error { return sp.DiscardUpload(p) }},
}

func closeIfOpen(f storage.File, err error) error {
	if err == nil {
		f.Close()
	}
	return err
}

// commitIfOpen commits an upload that should not have been opened, so the
// damage shows.
func commitIfOpen(up storage.Upload, err error) error {
	if err == nil {
		io.WriteString(up, "pwned")
		up.Commit(nil, time.Time{})
		up.Close()
	}
	return err
}

func testHostilePaths(t *testing.T, store storage.Store) {
	sp := openSpace(t, store, "alice")
	mkdir(t, sp, "a/b")
	put(t, sp, "a/keep.txt", "keep")
	for _, p := range hostilePaths {
		for _, op := range pathOps {
			t.Run(op.name+"/"+strings.ReplaceAll(p, "\x00", "NUL"), func(t *testing.T) {
				if err := op.do(sp, p); !errors.Is(err, storage.ErrInvalidPath) {
					t.Errorf("%s(%q) = %v, want ErrInvalidPath", op.name, p, err)
				}
			})
		}
	}
	if got, err := sp.Names("."); err != nil || !slices.Equal(got, []string{"a"}) {
		t.Errorf("Names(.) = %q, %v after hostile calls; want [a]", got, err)
	}
	if got, err := sp.Names("a"); err != nil || !slices.Equal(got, []string{"b", "keep.txt"}) {
		t.Errorf("Names(a) = %q, %v after hostile calls; want [b keep.txt]", got, err)
	}
	if got := get(t, sp, "a/keep.txt"); got != "keep" {
		t.Errorf("a/keep.txt = %q after hostile calls", got)
	}
	// The store's own folder is hidden, not merely unnamed.
	if ups, err := sp.Uploads(); err != nil || len(ups) != 0 {
		t.Errorf("Uploads() = %v, %v; want none", ups, err)
	}
}

// testLongName checks that a name too long for the file system is an error
// and nothing worse.
func testLongName(t *testing.T, store storage.Store) {
	sp := openSpace(t, store, "alice")
	long := strings.Repeat("n", 300)
	if err := sp.Mkdir(long, false); err == nil {
		t.Errorf("Mkdir(300-byte name) succeeded")
	}
	if _, err := sp.Stat(long); err == nil {
		t.Errorf("Stat(300-byte name) succeeded")
	}
	if _, err := sp.Open(long); err == nil {
		t.Errorf("Open(300-byte name) succeeded")
	}
	up, err := sp.OpenUpload(long)
	if err != nil {
		return // refusing at once is fine too
	}
	defer up.Close()
	io.WriteString(up, "x")
	if err := up.Commit(nil, time.Time{}); err == nil {
		t.Errorf("Commit(300-byte name) succeeded")
	}
	if err := up.Discard(); err != nil {
		t.Errorf("Discard: %v", err)
	}
}
