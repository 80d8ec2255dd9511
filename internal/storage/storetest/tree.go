package storetest

import (
	"io"
	"io/fs"
	"slices"
	"testing"
	"time"

	"netdisk/internal/storage"
)

func testSpaces(t *testing.T, store storage.Store) {
	_, err := store.Space("alice", false)
	wantErr(t, `Space("alice", false) before creation`, err, fs.ErrNotExist)

	alice := openSpace(t, store, "alice")
	again, err := store.Space("alice", false)
	wantErr(t, `Space("alice", false) after creation`, err, nil)
	if err == nil {
		again.Close()
	}

	bob := openSpace(t, store, "bob")
	put(t, alice, "secret.txt", "alice's")
	_, err = bob.Stat("secret.txt")
	wantErr(t, "another user's file", err, fs.ErrNotExist)

	for _, user := range []string{"", ".", "..", "a/b", "/", `a\b`, "a\x00b", "../alice"} {
		for _, create := range []bool{false, true} {
			sp, err := store.Space(user, create)
			if err == nil {
				sp.Close()
			}
			wantErr(t, "Space("+user+")", err, storage.ErrInvalidPath)
		}
	}
}

func testMkdir(t *testing.T, store storage.Store) {
	sp := openSpace(t, store, "alice")
	put(t, sp, "f", "x")
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
			wantErr(t, "Mkdir("+tt.path+")", sp.Mkdir(tt.path, tt.parents), tt.want)
		})
	}
	for _, dir := range []string{"a", "x/y/z"} {
		if info, err := sp.Stat(dir); err != nil || !info.IsDir {
			t.Errorf("Stat(%q) = %+v, %v; want a folder", dir, info, err)
		}
	}
}

func testStatAndList(t *testing.T, store storage.Store) {
	sp := openSpace(t, store, "alice")
	mkdir(t, sp, "docs/old")
	before := time.Now().Add(-time.Minute)
	put(t, sp, "docs/b.txt", "bee")
	put(t, sp, "docs/a.txt", "a")
	put(t, sp, "top.txt", "top")
	// An upload in progress must not show up in listings.
	up, err := sp.OpenUpload("docs/c.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()

	t.Run("top", func(t *testing.T) {
		info, err := sp.Stat(".")
		if err != nil || !info.IsDir || info.Regular || info.Name != "." {
			t.Errorf(`Stat(".") = %+v, %v; want the top folder`, info, err)
		}
	})
	t.Run("file", func(t *testing.T) {
		info, err := sp.Stat("docs/b.txt")
		if err != nil {
			t.Fatal(err)
		}
		if info.Name != "docs/b.txt" || info.IsDir || !info.Regular || info.Size != 3 || info.ModTime.Before(before) {
			t.Errorf("Stat = %+v", info)
		}
	})
	t.Run("folder", func(t *testing.T) {
		info, err := sp.Stat("docs/old")
		if err != nil || !info.IsDir || info.Regular || info.Name != "docs/old" {
			t.Errorf("Stat = %+v, %v; want a folder", info, err)
		}
	})
	t.Run("errors", func(t *testing.T) {
		_, err := sp.Stat("missing")
		wantErr(t, "Stat(missing)", err, fs.ErrNotExist)
		_, err = sp.Stat("top.txt/x")
		wantErr(t, "Stat under a file", err, storage.ErrNotDir)
		_, err = sp.List("missing")
		wantErr(t, "List(missing)", err, fs.ErrNotExist)
		_, err = sp.List("top.txt")
		wantErr(t, "List(file)", err, storage.ErrNotDir)
		_, err = sp.Names("missing")
		wantErr(t, "Names(missing)", err, fs.ErrNotExist)
		_, err = sp.Names("top.txt")
		wantErr(t, "Names(file)", err, storage.ErrNotDir)
	})
	t.Run("list", func(t *testing.T) {
		infos, err := sp.List("docs")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := names(infos), []string{"a.txt", "b.txt", "old"}; !slices.Equal(got, want) {
			t.Fatalf("List(docs) = %q, want %q", got, want)
		}
		if infos[1].Size != 3 || !infos[1].Regular || infos[1].IsDir || !infos[2].IsDir {
			t.Errorf("List(docs) = %+v", infos)
		}
		top, err := sp.List(".")
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
			got, err := sp.Names(dir)
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("Names(%q) = %q, %v; want %q", dir, got, err, want)
			}
		}
	})
}

func testRemove(t *testing.T, store storage.Store) {
	sp := openSpace(t, store, "alice")
	mkdir(t, sp, "empty", "full/sub", "tree/a/b")
	put(t, sp, "file", "x")
	put(t, sp, "full/f", "x")
	put(t, sp, "tree/a/b/f", "x")
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
			wantErr(t, "Remove("+tt.path+")", sp.Remove(tt.path, tt.recursive), tt.want)
		})
	}
	if got := get(t, sp, "full/f"); got != "x" {
		t.Errorf("full/f = %q after a refused Remove", got)
	}
	got, err := sp.Names(".")
	if want := []string{"full"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("Names(.) = %q, %v; want %q", got, err, want)
	}
}

func testRename(t *testing.T, store storage.Store) {
	sp := openSpace(t, store, "alice")
	mkdir(t, sp, "dir/sub", "other")
	put(t, sp, "a", "A")
	put(t, sp, "b", "B")
	put(t, sp, "dir/sub/f", "F")
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
			wantErr(t, "Rename("+tt.from+", "+tt.to+")", sp.Rename(tt.from, tt.to), tt.want)
		})
	}
	for name, want := range map[string]string{"a2": "A", "b": "B", "other/dir/sub/f": "F"} {
		if got := get(t, sp, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

func testOpen(t *testing.T, store storage.Store) {
	sp := openSpace(t, store, "alice")
	mkdir(t, sp, "dir")
	put(t, sp, "dir/f.txt", "0123456789")

	f, err := sp.Open("dir/f.txt")
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

	_, err = sp.Open("dir")
	wantErr(t, "Open(folder)", err, storage.ErrIsDir)
	_, err = sp.Open(".")
	wantErr(t, "Open(.)", err, storage.ErrIsDir)
	_, err = sp.Open("dir/missing")
	wantErr(t, "Open(missing)", err, fs.ErrNotExist)
	_, err = sp.Open("dir/f.txt/x")
	wantErr(t, "Open under a file", err, storage.ErrNotDir)
}
