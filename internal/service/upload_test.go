package service

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"netdisk/internal/storage"
	"netdisk/internal/users"
)

func newTestService(t testing.TB) *Service {
	t.Helper()
	s, _ := newCountingService(t)
	return s
}

// newCountingService is newTestService whose store counts what it is
// asked.
func newCountingService(t testing.TB) (*Service, *countingStore) {
	t.Helper()
	dir := t.TempDir()
	reg, err := users.Open(filepath.Join(dir, "users.xlsx"), nil)
	if err != nil {
		t.Fatal(err)
	}
	store, err := storage.NewLocal(filepath.Join(dir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	counting := &countingStore{Store: store}
	s, err := New(Config{
		DataDir: dir,
		Users:   reg,
		Hasher:  users.NewHasher(users.Params{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 16}, 2),
		Store:   counting,
		Logger:  slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close(context.Background())
		reg.Close()
		store.Close()
	})
	return s, counting
}

// TestUploadCloseReleasesEverything: an upload that ends, committed or
// not, leaves no holder, no open-upload count and no reservation behind
// (each would pin memory or block later uploads).
func TestUploadCloseReleasesEverything(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	if err := s.Register(ctx, "ulla", "ulla's password", "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	sess, err := s.Login(ctx, "ulla", "ulla's password", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []UploadMode{UploadResume, UploadRestart, UploadOnce} {
		u, err := s.OpenUpload(ctx, sess, "f.bin", 10, mode)
		if err != nil {
			t.Fatal(err)
		}
		if s.uploadsOpen("ulla") != 1 {
			t.Fatalf("mode %d: %d uploads open", mode, s.uploadsOpen("ulla"))
		}
		if n, err := u.Stream(0, strings.NewReader("12345")); n != 5 || err != nil {
			t.Fatalf("mode %d: 5 of 10 bytes: %d, %v", mode, n, err)
		}
		if err := u.Commit(ctx, make([]byte, 32), time.Time{}); !errors.Is(err, ErrBadRequest) {
			t.Fatalf("mode %d: Commit of 5 of 10 bytes: %v", mode, err)
		}
		u.Close()
		if s.holders.get(holderKey("ulla", "f.bin")) != nil {
			t.Errorf("mode %d: the holder outlived the upload", mode)
		}
		if n := s.uploadsOpen("ulla"); n != 0 {
			t.Errorf("mode %d: %d uploads still counted open", mode, n)
		}
	}
	if r := s.usage.user("ulla").reserved; r != (storage.Usage{}) {
		t.Errorf("reservations left: %+v", r)
	}
}

// uploadsOpen reports how many uploads user has open.
func (s *Service) uploadsOpen(user string) int {
	s.active.mu.Lock()
	defer s.active.mu.Unlock()
	return s.active.n[user]
}
