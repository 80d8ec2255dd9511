package storetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"netdisk/internal/storage"
)

func testSpaces(t *testing.T, store storage.Store) {
	ctx := t.Context()
	_, err := store.Space(ctx, "alice")
	wantErr(t, `Space("alice") before creation`, err, fs.ErrNotExist)

	alice := openSpace(t, store, "alice")
	again, err := store.Space(ctx, "alice")
	wantErr(t, `Space("alice") after creation`, err, nil)
	if err == nil {
		again.Close()
	}

	bob := openSpace(t, store, "bob")
	put(t, store, alice, "secret.txt", "alice's")
	_, err = bob.Stat(ctx, "secret.txt")
	wantErr(t, "another user's file", err, fs.ErrNotExist)

	for _, user := range []string{"", ".", "..", "a/b", "/", `a\b`, "a\x00b", "../alice"} {
		for name, open := range map[string]func(context.Context, string) (storage.Space, error){
			"Space": store.Space, "CreateSpace": store.CreateSpace,
		} {
			sp, err := open(ctx, user)
			if err == nil {
				sp.Close()
			}
			wantErr(t, name+"("+user+")", err, storage.ErrInvalidPath)
		}
	}
}

func testMkdir(t *testing.T, store storage.Store) {
	ctx := t.Context()
	sp := openSpace(t, store, "alice")
	put(t, store, sp, "f", "x")
	tests := []struct {
		name    string
		path    string
		parents bool
		want    error
	}{
		{"new", "a", false, nil},
		{"again", "a", false, fs.ErrExist},
		{"again with parents", "a", true, nil},
		{"missing parent", "x/y", false, fs.ErrNotExist},
		{"with parents", "x/y/z", true, nil},
		{"over a file", "f", false, fs.ErrExist},
		{"over a file with parents", "f", true, fs.ErrExist},
		{"under a file", "f/sub", false, storage.ErrNotDir},
		{"under a file with parents", "f/sub", true, storage.ErrNotDir},
		{"top", ".", false, fs.ErrExist},
		{"top with parents", ".", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mkdir := sp.Mkdir
			if tt.parents {
				mkdir = sp.MkdirAll
			}
			wantErr(t, "Mkdir("+tt.path+")", mkdir(ctx, tt.path), tt.want)
		})
	}
	for _, dir := range []string{"a", "x/y/z"} {
		if info, err := sp.Stat(ctx, dir); err != nil || !info.IsDir {
			t.Errorf("Stat(%q) = %+v, %v; want a folder", dir, info, err)
		}
	}
}

func testStatAndList(t *testing.T, store storage.Store) {
	ctx := t.Context()
	sp := openSpace(t, store, "alice")
	mkdir(t, sp, "docs/old")
	before := time.Now().Add(-time.Minute)
	put(t, store, sp, "docs/b.txt", "bee")
	put(t, store, sp, "docs/a.txt", "a")
	put(t, store, sp, "top.txt", "top")
	// An upload in progress must not show up in listings.
	up, err := sp.OpenUpload(ctx, "docs/c.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()

	t.Run("top", func(t *testing.T) {
		info, err := sp.Stat(ctx, ".")
		if err != nil || !info.IsDir || info.Regular || info.Name != "." {
			t.Errorf(`Stat(".") = %+v, %v; want the top folder`, info, err)
		}
	})
	t.Run("file", func(t *testing.T) {
		info, err := sp.Stat(ctx, "docs/b.txt")
		if err != nil {
			t.Fatal(err)
		}
		if info.Name != "docs/b.txt" || info.IsDir || !info.Regular || info.Size != 3 || info.ModTime.Before(before) {
			t.Errorf("Stat = %+v", info)
		}
	})
	t.Run("folder", func(t *testing.T) {
		info, err := sp.Stat(ctx, "docs/old")
		if err != nil || !info.IsDir || info.Regular || info.Name != "docs/old" {
			t.Errorf("Stat = %+v, %v; want a folder", info, err)
		}
	})
	t.Run("errors", func(t *testing.T) {
		_, err := sp.Stat(ctx, "missing")
		wantErr(t, "Stat(missing)", err, fs.ErrNotExist)
		_, err = sp.Stat(ctx, "top.txt/x")
		wantErr(t, "Stat under a file", err, storage.ErrNotDir)
		_, err = ListAll(ctx, sp, "missing")
		wantErr(t, "List(missing)", err, fs.ErrNotExist)
		_, err = ListAll(ctx, sp, "top.txt")
		wantErr(t, "List(file)", err, storage.ErrNotDir)
		_, err = NamesOf(ctx, sp, "missing")
		wantErr(t, "Names(missing)", err, fs.ErrNotExist)
		_, err = NamesOf(ctx, sp, "top.txt")
		wantErr(t, "Names(file)", err, storage.ErrNotDir)
	})
	t.Run("list", func(t *testing.T) {
		infos, err := ListAll(ctx, sp, "docs")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := names(infos), []string{"a.txt", "b.txt", "old"}; !slices.Equal(got, want) {
			t.Fatalf("List(docs) = %q, want %q", got, want)
		}
		if infos[1].Size != 3 || !infos[1].Regular || infos[1].IsDir || !infos[2].IsDir {
			t.Errorf("List(docs) = %+v", infos)
		}
		top, err := ListAll(ctx, sp, ".")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := names(top), []string{"docs", "top.txt"}; !slices.Equal(got, want) {
			t.Errorf("List(.) = %q, want %q (store data hidden)", got, want)
		}
	})
	t.Run("names", func(t *testing.T) {
		for dir, want := range map[string][]string{
			"docs":     {"a.txt", "b.txt", "old"},
			".":        {"docs", "top.txt"},
			"docs/old": nil,
		} {
			got, err := NamesOf(ctx, sp, dir)
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("Names(%q) = %q, %v; want %q", dir, got, err, want)
			}
		}
	})
}

func testRemove(t *testing.T, store storage.Store) {
	ctx := t.Context()
	sp := openSpace(t, store, "alice")
	mkdir(t, sp, "empty", "full/sub", "tree/a/b")
	put(t, store, sp, "file", "x")
	put(t, store, sp, "full/f", "x")
	put(t, store, sp, "tree/a/b/f", "x")
	tests := []struct {
		name      string
		path      string
		recursive bool
		want      error
	}{
		{"file", "file", false, nil},
		{"file again", "file", false, fs.ErrNotExist},
		{"missing recursive", "file", true, fs.ErrNotExist},
		{"empty folder", "empty", false, nil},
		{"full folder", "full", false, storage.ErrNotEmpty},
		{"tree", "tree", true, nil},
		{"top", ".", false, storage.ErrInvalidPath},
		{"top recursive", ".", true, storage.ErrInvalidPath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			remove := sp.Remove
			if tt.recursive {
				remove = sp.RemoveAll
			}
			wantErr(t, "Remove("+tt.path+")", remove(ctx, tt.path), tt.want)
		})
	}
	if got := get(t, sp, "full/f"); got != "x" {
		t.Errorf("full/f = %q after a refused Remove", got)
	}
	got, err := NamesOf(ctx, sp, ".")
	if want := []string{"full"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("Names(.) = %q, %v; want %q", got, err, want)
	}
}

func testRename(t *testing.T, store storage.Store) {
	ctx := t.Context()
	sp := openSpace(t, store, "alice")
	mkdir(t, sp, "dir/sub", "other")
	put(t, store, sp, "a", "A")
	put(t, store, sp, "b", "B")
	put(t, store, sp, "dir/sub/f", "F")
	tests := []struct {
		name     string
		from, to string
		want     error
	}{
		{"file", "a", "a2", nil},
		{"onto a file", "a2", "b", fs.ErrExist},
		{"onto a folder", "b", "other", fs.ErrExist},
		{"folder onto a file", "other", "b", fs.ErrExist},
		{"onto itself", "b", "b", fs.ErrExist},
		{"missing", "a", "c", fs.ErrNotExist},
		{"missing parent", "b", "nowhere/b", fs.ErrNotExist},
		{"folder into itself", "dir", "dir/sub/dir", storage.ErrInvalidPath},
		{"folder", "dir", "other/dir", nil},
		{"from top", ".", "x", storage.ErrInvalidPath},
		{"to top", "b", ".", storage.ErrInvalidPath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, "Rename("+tt.from+", "+tt.to+")", sp.Rename(ctx, tt.from, tt.to), tt.want)
		})
	}
	for name, want := range map[string]string{"a2": "A", "b": "B", "other/dir/sub/f": "F"} {
		if got := get(t, sp, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

func testOpen(t *testing.T, store storage.Store) {
	ctx := t.Context()
	sp := openSpace(t, store, "alice")
	mkdir(t, sp, "dir")
	put(t, store, sp, "dir/f.txt", "0123456789")

	f, err := sp.Open(ctx, "dir/f.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if info := f.Info(); info.Name != "dir/f.txt" || info.Size != 10 || !info.Regular {
		t.Errorf("Info() = %+v", info)
	}
	buf := make([]byte, 3)
	if n, err := f.ReadAt(buf, 4); n != 3 || err != nil || string(buf) != "456" {
		t.Errorf("ReadAt = %d, %v, %q", n, err, buf)
	}
	if off, err := f.Seek(7, io.SeekStart); off != 7 || err != nil {
		t.Errorf("Seek = %d, %v", off, err)
	}
	if rest, err := io.ReadAll(f); err != nil || string(rest) != "789" {
		t.Errorf("reading after Seek = %q, %v", rest, err)
	}

	_, err = sp.Open(ctx, "dir")
	wantErr(t, "Open(folder)", err, storage.ErrIsDir)
	_, err = sp.Open(ctx, ".")
	wantErr(t, "Open(.)", err, storage.ErrIsDir)
	_, err = sp.Open(ctx, "dir/missing")
	wantErr(t, "Open(missing)", err, fs.ErrNotExist)
	_, err = sp.Open(ctx, "dir/f.txt/x")
	wantErr(t, "Open under a file", err, storage.ErrNotDir)
}

// testRetireSpace: a retired folder is out of reach, its files kept, and
// the name starts afresh.
func testRetireSpace(t *testing.T, store storage.Store) {
	ctx := t.Context()
	alice := openSpace(t, store, "alice")
	put(t, store, alice, "old.txt", "old account's file")
	alice.Close()
	where, err := store.RetireSpace(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if where == "" || strings.Contains(where, "..") {
		t.Errorf("RetireSpace = %q", where)
	}
	if _, err := store.Space(ctx, "alice"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Space(alice) after RetireSpace: %v, want fs.ErrNotExist", err)
	}
	fresh := openSpace(t, store, "alice")
	if names, err := NamesOf(ctx, fresh, "."); err != nil || len(names) != 0 {
		t.Errorf("the new alice's folder holds %q, %v; want nothing", names, err)
	}
	if _, err := store.RetireSpace(ctx, "nobody"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("RetireSpace(nobody) = %v, want fs.ErrNotExist", err)
	}
	if _, err := store.RetireSpace(ctx, "../x"); !errors.Is(err, storage.ErrInvalidPath) {
		t.Errorf("RetireSpace(../x) = %v, want ErrInvalidPath", err)
	}
	// A second retirement of the same name does not clash with the first.
	fresh.Close()
	if second, err := store.RetireSpace(ctx, "alice"); err != nil || second == where {
		t.Errorf("second RetireSpace = %q, %v (first %q)", second, err, where)
	}
}

// testListPages: a folder larger than a page is listed in pages of at most
// ListPage entries, each entry once; an error from the callback stops the
// listing and comes back.
func testListPages(t *testing.T, store storage.Store) {
	ctx := t.Context()
	sp := openSpace(t, store, "alice")
	const n = 3*storage.ListPage + 5
	for i := range n {
		if i%2 == 0 {
			mkdir(t, sp, fmt.Sprintf("big/d%04d", i))
		} else {
			put(t, store, sp, fmt.Sprintf("big/f%04d", i), "x")
		}
	}
	seen := make(map[string]bool)
	pages := 0
	err := sp.List(ctx, "big", func(page []storage.Info) error {
		pages++
		if len(page) == 0 || len(page) > storage.ListPage {
			t.Errorf("a page of %d entries", len(page))
		}
		for _, info := range page {
			if seen[info.Name] {
				t.Errorf("%s listed twice", info.Name)
			}
			seen[info.Name] = true
			if info.IsDir != strings.HasPrefix(info.Name, "d") {
				t.Errorf("%+v: wrong kind", info)
			}
		}
		return nil
	})
	if err != nil || len(seen) != n || pages < 4 {
		t.Errorf("List: %v, %d entries in %d pages; want %d in 4 or more", err, len(seen), pages, n)
	}
	stop := errors.New("enough")
	calls := 0
	err = sp.List(ctx, "big", func([]storage.Info) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("List with a callback that stops: %v after %d calls", err, calls)
	}
}
