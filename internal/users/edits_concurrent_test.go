package users

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestEditDuringRegistrations edits the workbook over and over while users
// register: an edited copy lacks the users who registered after it was
// opened, and they must not be taken for removals. Every registration and
// every edit must be in the end state and in the workbook.
func TestEditDuringRegistrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "users.xlsx")
	r, logs := openLogged(t, path, testHooks{watchEvery: 2 * time.Millisecond})
	hash := cheapHash(t, "password")
	addUsers(t, r, hash, "admin")

	const writers, each = 4, 15
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				name := fmt.Sprintf("user%d-%02d", w, i)
				if err := r.Add(ctx, User{Name: name, PasswordHash: hash}); err != nil {
					t.Errorf("Add %s: %v", name, err)
				}
				select {
				case <-stop:
				case <-time.After(time.Millisecond):
				}
			}
		})
	}
	const edits = 20
	for i := 1; i <= edits; i++ {
		editWorkbook(t, path, func(b *book) { b.set("admin", colQuota, i) })
		eventually(t, fmt.Sprintf("edit %d applies", i), func() bool {
			u, _ := r.Get("admin")
			return u.QuotaBytes == int64(i)
		}, logs)
	}
	close(stop)
	wg.Wait()
	if err := r.Refresh(ctx); err != nil {
		t.Fatal(err)
	}

	if got, want := r.Len(), 1+writers*each; got != want {
		t.Errorf("Len = %d; want %d\n%s", got, want, logs.all())
	}
	book := bookUsers(t, path)
	for w := range writers {
		for i := range each {
			name := fmt.Sprintf("user%d-%02d", w, i)
			if _, ok := r.Get(name); !ok {
				t.Errorf("%s lost from the registry", name)
			}
			if _, ok := book[name]; !ok {
				t.Errorf("%s missing from the workbook", name)
			}
		}
	}
	if got := book["admin"][colQuota-1].Text; got != fmt.Sprint(edits) {
		t.Errorf("admin's quota in the workbook = %s; want %d", got, edits)
	}
	if rec := logs.find("user removed"); rec != "" {
		t.Errorf("a user was taken for removed: %s", rec)
	}
}

// TestEditBetweenQueuedRegistrations saves an edit while a rewrite is
// written and another registration waits in the queue: the swap that
// installs the rewrite hands the edit back, it is merged and written
// again, and neither registration nor the edit is lost.
func TestEditBetweenQueuedRegistrations(t *testing.T) {
	t.Run("exchange", func(t *testing.T) { testEditBetweenQueuedRegistrations(t, false) })
	// Without RENAME_EXCHANGE the look just before the rename catches it.
	t.Run("rename", func(t *testing.T) { testEditBetweenQueuedRegistrations(t, true) })
}

func testEditBetweenQueuedRegistrations(t *testing.T, noExchange bool) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "users.xlsx")
	hash := cheapHash(t, "password")
	entered, release := make(chan struct{}), make(chan struct{})
	var blocking sync.Once
	var armed atomic.Bool
	hooks := testHooks{
		noExchange: noExchange,
		watchEvery: time.Hour, // only the looks around rewrites
		beforeRename: func() error {
			if armed.Load() {
				blocking.Do(func() { close(entered); <-release })
			}
			return nil
		},
	}
	r, logs := openLogged(t, path, hooks)
	addUsers(t, r, hash, "first")
	armed.Store(true)

	errs := make(chan error, 2)
	go func() { errs <- r.Add(ctx, User{Name: "second", PasswordHash: hash}) }()
	<-entered // second's workbook is written, not yet renamed
	go func() { errs <- r.Add(ctx, User{Name: "third", PasswordHash: hash}) }()
	editWorkbook(t, path, func(b *book) {
		b.set("first", colQuota, 7)
		b.add(handRow("hand", hash, 0)...)
	})
	close(release)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("Add: %v", err)
		}
	}

	if u, _ := r.Get("first"); u.QuotaBytes != 7 {
		t.Errorf("first's quota = %d; want the edit's 7", u.QuotaBytes)
	}
	book := bookUsers(t, path)
	for _, name := range []string{"first", "second", "third", "hand"} {
		if _, ok := r.Get(name); !ok {
			t.Errorf("%s missing from the registry\n%s", name, logs.all())
		}
		if _, ok := book[name]; !ok {
			t.Errorf("%s missing from the workbook", name)
		}
	}
	if got := book["first"][colQuota-1].Text; got != "7" {
		t.Errorf("first's quota in the workbook = %s; want 7", got)
	}
}

// TestEditBeforeQueuedRegistrations: an edit saved while the watcher is
// idle is applied by the look that precedes the next rewrite, so that
// rewrite holds it.
func TestEditBeforeQueuedRegistrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "users.xlsx")
	r, _ := openLogged(t, path, testHooks{watchEvery: time.Hour})
	hash := cheapHash(t, "password")
	addUsers(t, r, hash, "first")
	editWorkbook(t, path, func(b *book) { b.set("first", colDisabled, true) })
	var wg sync.WaitGroup
	for _, name := range []string{"second", "third"} {
		wg.Go(func() {
			if err := r.Add(ctx, User{Name: name, PasswordHash: hash}); err != nil {
				t.Errorf("Add %s: %v", name, err)
			}
		})
	}
	wg.Wait()
	if u, _ := r.Get("first"); !u.Disabled {
		t.Error("the edit was not applied before the rewrite")
	}
	book := bookUsers(t, path)
	if got := book["first"][colDisabled-1].Text; got != "1" {
		t.Errorf("first's disabled cell = %q; want TRUE", got)
	}
	for _, name := range []string{"second", "third"} {
		if _, ok := book[name]; !ok {
			t.Errorf("%s missing from the workbook", name)
		}
	}
}
