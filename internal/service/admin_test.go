package service

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// The administrator's operations at the service's boundary: a per-user
// entries limit overrides the server's, RemoveUser ends sessions and
// moves the folder aside (a new account of the name starts empty), every
// operation on a missing user says so, and sessions keep where they came
// from.
func TestAdminOperations(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, _, _ := accountsService(t, dir)
	s.maxEntries = 10
	if err := s.AddUser(ctx, "alice", "alice's password"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddUser(ctx, "alice", "alice's password"); !errors.Is(err, ErrUserExists) {
		t.Fatalf("AddUser of a taken name: %v", err)
	}
	from := Origin{Door: DoorWeb, Addr: "192.0.2.7"}
	sess, err := s.Login(WithOrigin(ctx, from), "alice", "alice's password", "192.0.2.7")
	if err != nil {
		t.Fatal(err)
	}
	list, _ := s.Sessions(context.Background(), "alice")
	if len(list) != 1 || list[0].Origin != from {
		t.Fatalf("Sessions = %+v; want one from %v", list, from)
	}

	if err := s.SetMaxEntries(ctx, "alice", 2); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"a", "b"} {
		if err := s.Mkdir(ctx, sess, dir, false); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Mkdir(ctx, sess, "c", false); !errors.Is(err, ErrQuotaExceeded) {
		t.Fatalf("a third folder under a limit of 2: %v", err)
	}
	if u, err := s.Usage(ctx, sess); err != nil || u.MaxEntries != 2 || u.Entries != 2 {
		t.Errorf("Usage = %+v, %v; want 2 of 2", u, err)
	}
	if err := s.SetMaxEntries(ctx, "alice", 0); err != nil { // back to the server's 10
		t.Fatal(err)
	}
	if err := s.Mkdir(ctx, sess, "c", false); err != nil {
		t.Fatalf("a third folder under the server's limit: %v", err)
	}
	accts, err := s.Accounts(ctx)
	if err != nil || len(accts) != 1 || accts[0].Entries != 3 || accts[0].EntryLimit != 10 || accts[0].Sessions != 1 {
		t.Fatalf("Accounts = %+v, %v", accts, err)
	}

	r, err := s.RemoveUser(ctx, "alice")
	if err != nil || r.Sessions != 1 {
		t.Fatalf("RemoveUser = %+v, %v", r, err)
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, r.MovedTo, "c")); len(matches) != 1 {
		t.Errorf("alice's folder is not at %s", r.MovedTo)
	}
	if _, err := s.Usage(ctx, sess); !errors.Is(err, ErrSessionExpired) {
		t.Errorf("the removed user's session: %v", err)
	}
	if _, err := s.RemoveUser(ctx, "alice"); !errors.Is(err, ErrNoSuchUser) {
		t.Errorf("RemoveUser of a removed user: %v", err)
	}
	if err := s.AddUser(ctx, "alice", "alice's password"); err != nil {
		t.Fatal(err)
	}
	sess, _ = s.Login(ctx, "alice", "alice's password", "192.0.2.7")
	if u, err := s.Usage(ctx, sess); err != nil || u.Entries != 0 {
		t.Errorf("the new alice's usage = %+v, %v; want an empty folder", u, err)
	}
	for _, err := range []error{
		s.SetQuota(ctx, "nobody", 1),
		s.SetMaxEntries(ctx, "nobody", 1),
		func() error { _, err := s.Kick(context.Background(), "nobody"); return err }(),
		func() error { _, err := s.SetDisabled(ctx, "nobody", true); return err }(),
		func() error { _, err := s.ResetPassword(ctx, "nobody", "a fine password"); return err }(),
	} {
		if !errors.Is(err, ErrNoSuchUser) {
			t.Errorf("an operation on a user that does not exist: %v", err)
		}
	}
}
