package service

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestHashBudget(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	h := hashBudgets{now: clock.now, burst: 100, refill: 10}
	for i := range 4 {
		if err := h.charge("ann", 25); err != nil {
			t.Fatalf("charge %d: %v", i, err)
		}
	}
	err := h.charge("ann", 20)
	var rl *RateLimitError
	if !errors.As(err, &rl) || !errors.Is(err, ErrRateLimited) || rl.RetryAfter != 2*time.Second {
		t.Fatalf("overdrawn: %v, want a wait of 2s", err)
	}
	if err := h.charge("bob", 100); err != nil {
		t.Errorf("another user: %v", err)
	}
	clock.advance(2 * time.Second)
	if err := h.charge("ann", 20); err != nil {
		t.Errorf("after the refill: %v", err)
	}
	// More than a whole budget passes from a full one only.
	if err := h.charge("cy", 500); err != nil {
		t.Errorf("large check from a full budget: %v", err)
	}
	if err := h.charge("cy", 500); !errors.As(err, &rl) || rl.RetryAfter != 10*time.Second {
		t.Errorf("second large check: %v, want a wait of 10s", err)
	}
	clock.advance(time.Hour)
	if err := h.charge("cy", 500); err != nil {
		t.Errorf("large check after a refill: %v", err)
	}
}

// TestResumeChecksAreBudgeted: asking again and again to resume the
// download of a file without a record makes the server hash its prefix
// each time; past the user's budget the requests are refused with a time
// to wait, and a fresh download (nothing to hash) still works.
func TestResumeChecksAreBudgeted(t *testing.T) {
	s, _ := newCountingService(t)
	s.hashing.burst, s.hashing.refill = 3<<20, 1
	sess := loggedIn(t, s, "una")
	ctx := context.Background()
	data := randomData(2<<20, 9)
	sp, err := s.store.CreateSpace(ctx, "una")
	if err != nil {
		t.Fatal(err)
	}
	up, err := sp.TempUpload(ctx, "old.bin")
	if err != nil {
		t.Fatal(err)
	}
	up.Write(data)
	if errs := s.store.Commit(ctx, []storageCommit{{Upload: up}}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	sp.Close()
	wrong := make([]byte, 32)
	for i := range 3 {
		d, err := s.OpenDownload(ctx, sess, "old.bin", 1<<20, wrong)
		if err != nil {
			t.Fatalf("check %d: %v", i, err)
		}
		if d.Restarted == "" {
			t.Errorf("check %d: a wrong prefix was accepted", i)
		}
		d.Close()
	}
	_, err = s.OpenDownload(ctx, sess, "old.bin", 1<<20, wrong)
	var rl *RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter <= 0 {
		t.Fatalf("fourth check: %v, want rate limited", err)
	}
	got, _, _ := download(t, s, sess, "old.bin", 0, nil)
	if len(got) != len(data) {
		t.Errorf("fresh download: %d bytes", len(got))
	}
}
