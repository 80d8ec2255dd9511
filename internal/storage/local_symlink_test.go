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
		"Stat":         func() error { _, err := sp.Stat("link/secret"); return err },
		"StatRelative": func() error { _, err := sp.Stat("relative/secret"); return err },
		"List":         func() error { _, err := sp.List("link"); return err },
		"Names":        func() error { _, err := sp.Names("link/sub"); return err },
		"Open":         func() error { f, err := sp.Open("link/secret"); closeFile(f); return err },
		"OpenFileLink": func() error { f, err := sp.Open("leak"); closeFile(f); return err },
		"Mkdir":        func() error { return sp.Mkdir("link/new", false) },
		"MkdirParents": func() error { return sp.Mkdir("link/new/deeper", true) },
		"Remove":       func() error { return sp.Remove("link/secret", false) },
		"RemoveAll":    func() error { return sp.Remove("link/sub", true) },
		"RenameOut":    func() error { return sp.Rename("link/secret", "stolen") },
		"RenameIn":     func() error { return sp.Rename("mine", "link/mine") },
		"Commit":       func() error { return commitVia(sp.OpenUpload("link/new")) },
		"TempCommit":   func() error { return commitVia(sp.TempUpload("link/secret")) },
		"CommitOnLink": func() error { return commitVia(sp.OpenUpload("leak/x")) },
	}
	put(t, sp, "mine", "mine", nil)
	for name, op := range ops {
		t.Run(name, func(t *testing.T) {
			if err := op(); err == nil {
				t.Errorf("%s through a symlink leading outside succeeded", name)
			}
		})
	}
	if usage, err := sp.Usage(); err != nil || usage != 4 {
		t.Errorf("Usage() = %d, %v; want 4 (only mine)", usage, err)
	}
	// Removing the link removes the link, not what it points to.
	if err := sp.Remove("link", true); err != nil {
		t.Errorf("removing the link: %v", err)
	}

	// The store's own folder swapped for a link must not take uploads out.
	if err := os.RemoveAll(filepath.Join(home, ".netdisk")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(home, ".netdisk")); err != nil {
		t.Fatal(err)
	}
	if err := commitVia(sp.OpenUpload("x")); err == nil {
		t.Errorf("upload through a planted .netdisk link succeeded")
	}
	if err := commitVia(sp.TempUpload("x")); err == nil {
		t.Errorf("temp upload through a planted .netdisk link succeeded")
	}
	if _, err := store.ExpireUploads(time.Now().Add(time.Hour)); err == nil {
		t.Logf("ExpireUploads ignored the planted link")
	}

	// A user folder that is a link is refused too.
	if err := os.Symlink(outside, filepath.Join(filepath.Dir(home), "mallory")); err != nil {
		t.Fatal(err)
	}
	if sp, err := store.Space("mallory", false); err == nil {
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

// commitVia writes to and commits an upload if it could be opened.
func commitVia(up storage.Upload, err error) error {
	if err != nil {
		return err
	}
	defer up.Discard()
	io.WriteString(up, "pwned")
	return up.Commit(nil, time.Time{})
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
	_, sp, home := localSpace(t)
	if err := sp.Mkdir("docs", false); err != nil {
		t.Fatal(err)
	}
	put(t, sp, "docs/f.txt", "content", nil)
	if err := os.Symlink("docs/f.txt", filepath.Join(home, "flink")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("docs", filepath.Join(home, "dlink")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"flink", "dlink"} {
		info, err := sp.Stat(name)
		if err != nil || info.Regular || info.IsDir || info.Size != 0 {
			t.Errorf("Stat(%q) = %+v, %v; want a link, neither file nor folder", name, info, err)
		}
	}
	infos, err := sp.List(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range infos {
		if info.Name != "docs" && (info.Regular || info.IsDir) {
			t.Errorf("List shows link %+v as a file or folder", info)
		}
	}
	_, err = sp.Open("flink")
	if !errors.Is(err, storage.ErrNotRegular) {
		t.Errorf("Open(link) = %v, want ErrNotRegular", err)
	}
}

func TestLocalFIFO(t *testing.T) {
	_, sp, home := localSpace(t)
	if err := unix.Mkfifo(filepath.Join(home, "fifo"), 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if _, err := sp.Open("fifo"); !errors.Is(err, storage.ErrNotRegular) {
		t.Errorf("Open(fifo) = %v, want ErrNotRegular", err)
	}
	if info, err := sp.Stat("fifo"); err != nil || info.Regular || info.IsDir {
		t.Errorf("Stat(fifo) = %+v, %v", info, err)
	}
}
