package service

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"netdisk/internal/sessions"
	"netdisk/internal/users"
)

// faultySessions is a session store that fails on demand, as a database
// out of reach does.
type faultySessions struct {
	sessions.Store
	failUse, failEnd atomic.Bool
}

var errStoreDown = errors.New("the session store is out of reach")

func (f *faultySessions) Use(ctx context.Context, key string) (sessions.Session, bool, error) {
	if f.failUse.Load() {
		return sessions.Session{}, false, errStoreDown
	}
	return f.Store.Use(ctx, key)
}

func (f *faultySessions) EndUser(ctx context.Context, user string) (int, error) {
	if f.failEnd.Load() {
		return 0, errStoreDown
	}
	return f.Store.EndUser(ctx, user)
}

// When the session store fails, a session is neither reported expired
// (a client would forget a good login) nor left alive by a password
// change that could not end it.
func TestSessionStoreFaults(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	file, err := sessions.OpenFile(filepath.Join(dir, "sessions.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	faulty := &faultySessions{Store: file}
	s, _, _ := accountsService(t, dir, func(c *Config) { c.Sessions = faulty })
	current := loggedIn(t, s, "alice") // registers alice
	// alice set her password two hours ago, and opened a session an hour
	// ago, before the password change to come.
	err = s.users.Update(ctx, "alice", func(u *users.User) error { u.PasswordChanged = time.Now().Add(-2 * time.Hour); return nil })
	if err != nil {
		t.Fatal(err)
	}
	u, _ := s.users.Get("alice")
	oldToken, key := sessions.NewToken()
	now := time.Now().UTC()
	gen, _ := file.Generation(ctx, "alice")
	if ok, err := file.Create(ctx, sessions.Session{Key: key, User: "alice", Account: u.AccountID, Created: now.Add(-time.Hour), Expires: now.Add(time.Hour)}, gen); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if _, err := s.Resume(ctx, oldToken); err != nil {
		t.Fatalf("Resume of the hour-old session before any change = %v", err)
	}

	faulty.failUse.Store(true)
	if _, err := s.Resume(ctx, oldToken); err == nil || errors.Is(err, ErrSessionExpired) {
		t.Fatalf("Resume while the store fails = %v; want a fault, not an expired session", err)
	}
	if _, err := s.Stat(ctx, current, "."); err == nil || errors.Is(err, ErrSessionExpired) {
		t.Fatalf("a request while the store fails = %v; want a fault, not an expired session", err)
	}
	faulty.failUse.Store(false)

	faulty.failEnd.Store(true)
	if _, err := s.ChangePassword(ctx, current, "alice's password", "alice's new password", "10.0.0.1"); err == nil {
		t.Fatal("ChangePassword reported success although the other sessions could not be ended")
	}
	faulty.failEnd.Store(false)
	if _, err := s.Resume(ctx, oldToken); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("a session older than the password change, not ended for the store failed = %v; want expired", err)
	}
}
