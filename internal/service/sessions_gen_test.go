package service

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"
)

// TestLoginCheckedBeforeAnEndStartsNoSession: a login whose password was
// checked before the user's sessions were all ended (a password change,
// a kick, a disable) starts no session after that end; one checked after
// it does, and an unrelated user's end changes nothing.
func TestLoginCheckedBeforeAnEndStartsNoSession(t *testing.T) {
	tab, err := openSessionTable(filepath.Join(t.TempDir(), "sessions.json"), time.Hour, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer tab.close(context.Background())
	gen := tab.generation("alice")
	tab.endUser("alice", nil) // passwd while the login's hash was checked
	tab.endUser("bob", nil)
	if s, ok := tab.createIf("alice", "acct", Origin{}, gen); ok || s != nil {
		t.Fatal("a login checked before the password change started a session after it")
	}
	if n := len(tab.list("alice")); n != 0 {
		t.Fatalf("%d sessions of alice", n)
	}
	gen = tab.generation("alice")
	tab.endUser("bob", nil)
	s, ok := tab.createIf("alice", "acct", Origin{}, gen)
	if !ok || s == nil || len(tab.list("alice")) != 1 {
		t.Fatal("a login checked after the change started no session")
	}
	tab.endUser("alice", nil)
	if n := len(tab.list("alice")); n != 0 {
		t.Fatalf("%d sessions of alice after an end", n)
	}
}
