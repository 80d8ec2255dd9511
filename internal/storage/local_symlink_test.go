package storage_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"netdisk/internal/storage"
	"netdisk/internal/storage/storetest"
)

// snapshot records every path and file content under dir.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := make(map[string]string)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		content := "dir"
		if !d.IsDir() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			content = string(b)
		}
		out[p] = content
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLocalSymlinkOutside(t *testing.T) {
	ctx := t.Context()
	store, sp, home := localSpace(t)
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(outside, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, outside)
	for link, target := range map[string]string{
		"link":     outside,
		"leak":     filepath.Join(outside, "secret"),
		"relative": "../../../../../../../../../../" + outside,
	} {
		if err := os.Symlink(target, filepath.Join(home, link)); err != nil {
			t.Fatal(err)
		}
	}

	ops := map[string]func() error{
		"Stat":         func() error { _, err := sp.Stat(ctx, "link/secret"); return err },
		"StatRelative": func() error { _, err := sp.Stat(ctx, "relative/secret"); return err },
		"List":         func() error { _, err := storetest.ListAll(ctx, sp, "link"); return err },
		"Names":        func() error { _, err := storetest.NamesOf(ctx, sp, "link/sub"); return err },
		"Open":         func() error { f, err := sp.Open(ctx, "link/secret"); closeFile(f); return err },
		"OpenFileLink": func() error { f, err := sp.Open(ctx, "leak"); closeFile(f); return err },
		"Mkdir":        func() error { return sp.Mkdir(ctx, "link/new") },
		"MkdirParents": func() error { return sp.MkdirAll(ctx, "link/new/deeper") },
		"Remove":       func() error { return sp.Remove(ctx, "link/secret") },
		"RemoveAll":    func() error { return sp.RemoveAll(ctx, "link/sub") },
		"RenameOut":    func() error { return sp.Rename(ctx, "link/secret", "stolen") },
		"RenameIn":     func() error { return sp.Rename(ctx, "mine", "link/mine") },
		"Commit":       func() error { return commitVia(store)(sp.OpenUpload(ctx, "link/new")) },
		"TempCommit":   func() error { return commitVia(store)(sp.TempUpload(ctx, "link/secret")) },
		"CommitOnLink": func() error { return commitVia(store)(sp.OpenUpload(ctx, "leak/x")) },
	}
	put(t, store, sp, "mine", "mine", nil)
	for name, op := range ops {
		t.Run(name, func(t *testing.T) {
			if err := op(); err == nil {
				t.Errorf("%s through a symlink leading outside succeeded", name)
			}
		})
	}
	if usage, err := sp.Usage(ctx); err != nil || usage.Bytes != 4 {
		t.Errorf("Usage() = %+v, %v; want 4 bytes (only mine)", usage, err)
	}
	// Removing the link removes the link, not what it points to.
	if err := sp.RemoveAll(ctx, "link"); err != nil {
		t.Errorf("removing the link: %v", err)
	}

	// The store's own folder swapped for a link must not take uploads out.
	if err := os.RemoveAll(filepath.Join(home, ".netdisk")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(home, ".netdisk")); err != nil {
		t.Fatal(err)
	}
	if err := commitVia(store)(sp.OpenUpload(ctx, "x")); err == nil {
		t.Errorf("upload through a planted .netdisk link succeeded")
	}
	if err := commitVia(store)(sp.TempUpload(ctx, "x")); err == nil {
		t.Errorf("temp upload through a planted .netdisk link succeeded")
	}
	if _, err := store.ExpireUploads(ctx, time.Now().Add(time.Hour)); err == nil {
		t.Logf("ExpireUploads ignored the planted link")
	}

	// A user folder that is a link is refused too.
	if err := os.Symlink(outside, filepath.Join(filepath.Dir(home), "mallory")); err != nil {
		t.Fatal(err)
	}
	if sp, err := store.Space(ctx, "mallory"); err == nil {
		sp.Close()
		t.Errorf("Space of a user folder linked outside succeeded")
	}
	if after := snapshot(t, outside); !mapsEqual(before, after) {
		t.Errorf("outside folder changed:\nbefore %v\nafter  %v", before, after)
	}
}

func closeFile(f storage.File) {
	if f != nil {
		f.Close()
	}
}

// commitVia returns a func that writes to and commits an upload of store
// if it could be opened.
func commitVia(store storage.Store) func(up storage.Upload, err error) error {
	return func(up storage.Upload, err error) error {
		if err != nil {
			return err
		}
		defer up.Discard()
		io.WriteString(up, "pwned")
		return commit(store, up, nil)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || v != w {
			return false
		}
	}
	return true
}

func TestLocalSymlinkInside(t *testing.T) {
	ctx := t.Context()
	store, sp, home := localSpace(t)
	if err := sp.Mkdir(ctx, "docs"); err != nil {
		t.Fatal(err)
	}
	put(t, store, sp, "docs/f.txt", "content", nil)
	if err := os.Symlink("docs/f.txt", filepath.Join(home, "flink")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("docs", filepath.Join(home, "dlink")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"flink", "dlink"} {
		info, err := sp.Stat(ctx, name)
		if err != nil || info.Regular || info.IsDir || info.Size != 0 {
			t.Errorf("Stat(%q) = %+v, %v; want a link, neither file nor folder", name, info, err)
		}
	}
	infos, err := storetest.ListAll(ctx, sp, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range infos {
		if info.Name != "docs" && (info.Regular || info.IsDir) {
			t.Errorf("List shows link %+v as a file or folder", info)
		}
	}
	_, err = sp.Open(ctx, "flink")
	if !errors.Is(err, storage.ErrNotRegular) {
		t.Errorf("Open(link) = %v, want ErrNotRegular", err)
	}
}

func TestLocalFIFO(t *testing.T) {
	ctx := t.Context()
	_, sp, home := localSpace(t)
	if err := unix.Mkfifo(filepath.Join(home, "fifo"), 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	if _, err := sp.Open(ctx, "fifo"); !errors.Is(err, storage.ErrNotRegular) {
		t.Errorf("Open(fifo) = %v, want ErrNotRegular", err)
	}
	if info, err := sp.Stat(ctx, "fifo"); err != nil || info.Regular || info.IsDir {
		t.Errorf("Stat(fifo) = %+v, %v", info, err)
	}
}
