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
