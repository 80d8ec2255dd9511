package storage_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"netdisk/internal/storage"
	"netdisk/internal/storage/storetest"
)

func TestLocal(t *testing.T) {
	storetest.Run(t, storetest.Config{
		New: func(t *testing.T) storage.Store {
			store, _ := newLocal(t)
			return store
		},
		Reopen: func(t *testing.T, store storage.Store) storage.Store {
			store.Close()
			again, err := storage.NewLocal(store.(*storage.Local).Dir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { again.Close() })
			return again
		},
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
	sp, err := store.CreateSpace(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Close() })
	return store, sp, filepath.Join(dir, "alice")
}

// put stores content at name, keeping record with it.
func put(t *testing.T, store storage.Store, sp storage.Space, name, content string, record []byte) {
	t.Helper()
	up, err := sp.TempUpload(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	io.WriteString(up, content)
	if err := commit(store, up, record); err != nil {
		t.Fatal(err)
	}
}

// commit commits one upload with its record.
func commit(store storage.Store, up storage.Upload, record []byte) error {
	return store.Commit(context.Background(), []storage.Commit{{Upload: up, Record: record}})[0]
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
