package users

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// cheapParams keep hashing fast in tests that need many hashes; the
// format and the code paths are the same as with DefaultParams.
func cheapParams() Params {
	return Params{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 16}
}

// cheapHash returns an argon2id hash of pw made with cheapParams.
func cheapHash(t testing.TB, pw string) string {
	t.Helper()
	h, err := NewHasher(cheapParams(), 0).Hash(context.Background(), pw)
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	return h
}

// openTest opens a registry in path (a fresh temporary folder if empty)
// and closes it when the test ends.
func openTest(t *testing.T, path string, hooks testHooks) *Registry {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "users.xlsx")
	}
	r, err := open(path, nil, hooks)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return r
}

// opener opens a registry on one place; opened again, after Close or
// beside the first, it reads what the first wrote.
type opener func(t *testing.T, hooks testHooks) *Registry

// eachPlace runs fn, a test of the registry's API, on each kind of place
// a workbook is kept at: a file, and an object in a bucket (with its
// lock in PostgreSQL), each new and empty.
func eachPlace(t *testing.T, fn func(t *testing.T, open opener)) {
	t.Run("file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "users.xlsx")
		fn(t, func(t *testing.T, hooks testHooks) *Registry { return openTest(t, path, hooks) })
	})
	t.Run("object", func(t *testing.T) {
		sp := newSharedPlace(t)
		fn(t, func(t *testing.T, hooks testHooks) *Registry {
			r, _ := sp.open(t, hooks)
			return r
		})
	})
}
