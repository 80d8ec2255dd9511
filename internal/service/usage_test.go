package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"netdisk/internal/digest"
	"netdisk/internal/users"
)

// setQuota gives user a quota of bytes.
func setQuota(t *testing.T, s *Service, user string, bytes int64) {
	t.Helper()
	err := s.users.Update(context.Background(), user, func(u *users.User) error {
		u.QuotaBytes = bytes
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestUsageRaceWithRenames: counting usage while folders are renamed back
// and forth never caches an undercount: with a 10 MiB quota, renaming a
// folder while df counts cannot let a user store more (the test that
// stored 60 MiB), and a fresh count at the end agrees with what the
// service believes.
func TestUsageRaceWithRenames(t *testing.T) {
	s := newTestService(t)
	sess := loggedIn(t, s, "rita")
	ctx := context.Background()
	if err := s.Mkdir(ctx, sess, "a", false); err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		upload(t, s, sess, fmt.Sprintf("a/f%02d", i), bytes.Repeat([]byte("x"), 64<<10))
	}
	setQuota(t, s, "rita", 10<<20)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			from, to := "a", "b"
			if i%2 == 1 {
				from, to = to, from
			}
			s.Rename(ctx, sess, from, to)
		}
	})
	for range 50 {
		u, err := s.Usage(ctx, sess)
		if err != nil {
			t.Fatal(err)
		}
		if u.Bytes != 40*64<<10 {
			t.Errorf("usage counted %d bytes while renaming, want %d", u.Bytes, 40*64<<10)
		}
	}
	close(stop)
	wg.Wait()
	// Fill up to the quota: what fits must be exactly what a fresh count
	// allows.
	stored := 0
	for i := 0; ; i++ {
		data := bytes.Repeat([]byte("y"), 256<<10)
		u, err := s.OpenUpload(ctx, sess, fmt.Sprintf("fill%03d", i), int64(len(data)), UploadOnce)
		if errors.Is(err, ErrQuotaExceeded) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		u.Stream(0, bytes.NewReader(data))
		sum := digest.Sum(data)
		if err := u.Commit(ctx, sum[:], time.Time{}); err != nil {
			t.Fatal(err)
		}
		u.Close()
		stored++
	}
	sp, _ := s.store.CreateSpace(ctx, "rita")
	defer sp.Close()
	fresh, err := sp.Usage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	charged := fresh.Bytes + EntryCharge*fresh.Entries
	if charged > 10<<20 {
		t.Errorf("stored %d bytes and %d entries (charged %d) against a quota of %d", fresh.Bytes, fresh.Entries, charged, 10<<20)
	}
	if charged+256<<10+EntryCharge <= 10<<20 {
		t.Errorf("refused an upload that fits: charged %d of %d", charged, 10<<20)
	}
}

// TestEntriesLimitAndCharge: every file and folder costs EntryCharge
// against the quota, and a user cannot have more entries than allowed
// (empty folders included).
func TestEntriesLimitAndCharge(t *testing.T) {
	s := newTestService(t)
	s.maxEntries = 10
	sess := loggedIn(t, s, "emma")
	ctx := context.Background()
	for i := range 9 {
		if err := s.Mkdir(ctx, sess, fmt.Sprintf("d%d", i), false); err != nil {
			t.Fatal(err)
		}
	}
	upload(t, s, sess, "tenth", []byte("x"))
	if err := s.Mkdir(ctx, sess, "eleventh", false); !errors.Is(err, ErrQuotaExceeded) {
		t.Errorf("an eleventh entry: %v, want ErrQuotaExceeded", err)
	}
	if _, err := s.OpenUpload(ctx, sess, "eleventh", 1, UploadOnce); !errors.Is(err, ErrQuotaExceeded) {
		t.Errorf("an eleventh file: %v, want ErrQuotaExceeded", err)
	}
	// Replacing a file adds no entry.
	upload(t, s, sess, "tenth", []byte("replaced"))
	u, err := s.Usage(ctx, sess)
	if err != nil || u.Entries != 10 || u.MaxEntries != 10 {
		t.Errorf("Usage = %+v, %v", u, err)
	}
	if err := s.Remove(ctx, sess, "d0", false); err != nil {
		t.Fatal(err)
	}
	if err := s.Mkdir(ctx, sess, "room-again", false); err != nil {
		t.Errorf("mkdir after a removal: %v", err)
	}

	// Empty folders cost against a byte quota.
	s.maxEntries = DefaultMaxEntries
	sess2 := loggedIn(t, s, "fred")
	setQuota(t, s, "fred", 5*EntryCharge)
	for i := range 5 {
		if err := s.Mkdir(ctx, sess2, fmt.Sprintf("e%d", i), false); err != nil {
			t.Fatalf("folder %d within the quota: %v", i, err)
		}
	}
	if err := s.Mkdir(ctx, sess2, "one-too-many", false); !errors.Is(err, ErrQuotaExceeded) {
		t.Errorf("a folder past a quota of 5 entries: %v", err)
	}
}

// TestDepthLimit: nothing can be made deeper than MaxDepth, by mkdir, by
// upload, or by moving a folder under another.
func TestDepthLimit(t *testing.T) {
	s := newTestService(t)
	sess := loggedIn(t, s, "dina")
	ctx := context.Background()
	deep := strings.Repeat("d/", MaxDepth-1) + "d"
	if err := s.Mkdir(ctx, sess, deep, true); err != nil {
		t.Fatalf("mkdir -p of %d levels: %v", MaxDepth, err)
	}
	if err := s.Mkdir(ctx, sess, deep+"/x", false); !errors.Is(err, ErrBadPath) {
		t.Errorf("mkdir of level %d: %v", MaxDepth+1, err)
	}
	if _, err := s.OpenUpload(ctx, sess, deep+"/f", 1, UploadOnce); !errors.Is(err, ErrBadPath) {
		t.Errorf("upload at level %d: %v", MaxDepth+1, err)
	}
	if err := s.Mkdir(ctx, sess, "other/sub", true); err != nil {
		t.Fatal(err)
	}
	if err := s.Rename(ctx, sess, "d", "other/sub/d"); !errors.Is(err, ErrBadPath) {
		t.Errorf("moving a %d-deep folder two levels down: %v", MaxDepth, err)
	}
	if err := s.Rename(ctx, sess, "other", "d/other"); err != nil {
		t.Errorf("a move within the limit: %v", err)
	}
	// Moving up is always allowed and measures nothing.
	if err := s.Rename(ctx, sess, "d/other", "other2"); err != nil {
		t.Errorf("moving a folder up: %v", err)
	}
}
