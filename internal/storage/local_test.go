package storage_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"netdisk/internal/storage"
	"netdisk/internal/storage/storetest"
)

func TestLocal(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storage.Store {
		store, _ := newLocal(t)
		return store
	})
}

// newLocal returns a store in a fresh folder, and that folder.
func newLocal(t *testing.T) (*storage.Local, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "store")
	store, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store, dir
}

// localSpace returns the folder of user "alice" and its path on disk.
func localSpace(t *testing.T) (*storage.Local, storage.Space, string) {
	t.Helper()
	store, dir := newLocal(t)
	sp, err := store.Space("alice", true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Close() })
	return store, sp, filepath.Join(dir, "alice")
}

func put(t *testing.T, sp storage.Space, name, content string, digest []byte) {
	t.Helper()
	up, err := sp.TempUpload(name)
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	io.WriteString(up, content)
	if err := up.Commit(digest, time.Time{}); err != nil {
		t.Fatal(err)
	}
}

func TestNewLocalCreatesPrivateFolder(t *testing.T) {
	_, dir := newLocal(t)
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Errorf("store folder mode %v, want a folder with 0700", fi.Mode())
	}
}
