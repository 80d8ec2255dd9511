package service

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestEditOfUsersEndsSessions edits users.xlsx while the service runs:
// disabling a user, giving a new password hash or removing the row ends
// the user's sessions at once; a quota change applies to the live session.
func TestEditOfUsersEndsSessions(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, reg, _ := accountsService(t, dir)
	bob, carol, dave, erin := loggedIn(t, s, "bob"), loggedIn(t, s, "carol"), loggedIn(t, s, "dave"), loggedIn(t, s, "erin")
	newHash, err := s.hasher.Hash(ctx, "carol's new password")
	if err != nil {
		t.Fatal(err)
	}
	editUsers(t, dir, func(f *excelize.File, row func(string) int) {
		setCell(t, f, colDisabled, row("bob"), true)
		setCell(t, f, colHash, row("carol"), newHash)
		setCell(t, f, colQuota, row("dave"), 12345)
		if err := f.RemoveRow("users", row("erin")); err != nil {
			t.Fatal(err)
		}
	})
	if err := reg.Refresh(ctx); err != nil {
		t.Fatal(err)
	}

	for name, sess := range map[string]*Session{"bob": bob, "carol": carol, "erin": erin} {
		if _, err := s.Resume(ctx, sess.Token); !errors.Is(err, ErrSessionExpired) {
			t.Errorf("%s's token after the edit: Resume = %v; want ErrSessionExpired", name, err)
		}
		if n := s.sessionsOf(name); n != 0 {
			t.Errorf("%s still has %d sessions in the table", name, n)
		}
	}
	if _, err := s.Resume(ctx, dave.Token); err != nil {
		t.Errorf("dave's session ended by a quota change: %v", err)
	}
	if u, err := s.account(ctx, dave); err != nil || u.QuotaBytes != 12345 {
		t.Errorf("dave's quota = %d, %v; want the edited 12345", u.QuotaBytes, err)
	}
	if _, err := s.Login(ctx, "bob", "bob's password", "10.0.0.1"); !errors.Is(err, ErrDisabled) {
		t.Errorf("login of the disabled bob = %v; want ErrDisabled", err)
	}
	if _, err := s.Login(ctx, "carol", "carol's new password", "10.0.0.1"); err != nil {
		t.Errorf("login with the password of the new hash: %v", err)
	}
	if _, err := s.Login(ctx, "erin", "erin's password", "10.0.0.1"); !errors.Is(err, ErrAuthFailed) {
		t.Errorf("login of the removed erin = %v; want ErrAuthFailed", err)
	}
}

// TestRemovedUserStaysRemoved removes alice's row while the service runs
// and waits for the registry's own watcher: her token stops working, and
// registering alice again gives a new, empty folder, with her old files
// moved aside to files/.removed/alice-<time> and her old token still
// refused.
func TestRemovedUserStaysRemoved(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, _, _ := accountsService(t, dir)
	old := loggedIn(t, s, "alice")
	data := randomData(1000, 3)
	upload(t, s, old, "notes.txt", data)

	editUsers(t, dir, func(f *excelize.File, row func(string) int) {
		if err := f.RemoveRow("users", row("alice")); err != nil {
			t.Fatal(err)
		}
	})
	within(t, "the removal applies", func() bool {
		_, err := s.Resume(ctx, old.Token)
		return errors.Is(err, ErrSessionExpired)
	})

	fresh := loggedIn(t, s, "alice") // registers her again
	if _, err := s.Resume(ctx, old.Token); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("the old token after registering the name again: Resume = %v", err)
	}
	if _, err := s.Stat(ctx, old, "notes.txt"); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("the old session reads the new folder: %v", err)
	}
	var names []string
	err := s.List(ctx, fresh, ".", func(page []Info) error {
		for _, i := range page {
			names = append(names, i.Name)
		}
		return nil
	})
	if err != nil || len(names) != 0 {
		t.Fatalf("the new alice's folder holds %q (%v); want it empty", names, err)
	}
	moved, _ := filepath.Glob(filepath.Join(dir, "files", ".removed", "alice-*", "notes.txt"))
	if len(moved) != 1 {
		t.Fatalf("old files under files/.removed: %q; want alice-<time>/notes.txt", moved)
	}
	if got, err := os.ReadFile(moved[0]); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the old file moved aside differs (%v)", err)
	}
}

// TestOldSessionRefusedAfterRestart removes alice's row while the server
// is stopped, so that no one ends her session: at the next start her token
// is refused, and it stays refused once the name is registered again,
// because the session is bound to her old account id.
func TestOldSessionRefusedAfterRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, _, closeAll := accountsService(t, dir)
	old := loggedIn(t, s, "alice")
	closeAll()
	editUsers(t, dir, func(f *excelize.File, row func(string) int) {
		if err := f.RemoveRow("users", row("alice")); err != nil {
			t.Fatal(err)
		}
	})

	s, _, _ = accountsService(t, dir)
	if n := s.sessionsOf("alice"); n != 1 {
		t.Fatalf("alice has %d sessions after the restart; the test needs her old one kept", n)
	}
	if _, err := s.Resume(ctx, old.Token); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("Resume of a removed user's token = %v", err)
	}
	loggedIn(t, s, "alice")
	if _, err := s.Resume(ctx, old.Token); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("Resume of the old token once the name is registered again = %v", err)
	}
}

// TestRegisterSameNameConcurrently: of many registrations of one name at
// once, one succeeds, and the folder it got is not moved aside by another.
func TestRegisterSameNameConcurrently(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, _, _ := accountsService(t, dir)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := range 8 {
		wg.Go(func() {
			err := s.Register(ctx, "zoe", "zoe's password", "10.0.1."+string(rune('1'+i)))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, ErrUserExists):
				t.Errorf("Register = %v; want nil or ErrUserExists", err)
			}
		})
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d registrations succeeded; want 1", ok)
	}
	if info, err := os.Stat(filepath.Join(dir, "files", "zoe")); err != nil || !info.IsDir() {
		t.Fatalf("zoe's folder: %v", err)
	}
	if moved, _ := filepath.Glob(filepath.Join(dir, "files", ".removed", "*")); len(moved) != 0 {
		t.Fatalf("folders moved aside: %q", moved)
	}
}
