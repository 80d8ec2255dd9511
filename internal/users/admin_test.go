package users

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// Remove takes a user out durably: the workbook lacks the row, a
// reopening lacks the user, and a name removed can be added again as a
// new account. Removing a user that is not there is ErrNotFound.
func TestRemove(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "users.xlsx")
	hash := cheapHash(t, "password")
	r := openTest(t, path, testHooks{})
	addUsers(t, r, hash, "alice", "bob")
	old, _ := r.Get("bob")
	if err := r.Remove(ctx, "Bob"); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Get("bob"); ok || r.Len() != 1 {
		t.Fatalf("bob still there: %d users", r.Len())
	}
	if book := bookUsers(t, path); book["bob"] != nil || book["alice"] == nil {
		t.Fatalf("workbook after Remove: %v", book)
	}
	if err := r.Remove(ctx, "bob"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Remove of a removed user: %v; want ErrNotFound", err)
	}
	addUsers(t, r, hash, "bob")
	again, _ := r.Get("bob")
	if again.AccountID == old.AccountID {
		t.Error("bob added again has the removed account's id")
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r2 := openTest(t, path, testHooks{})
	if got, ok := r2.Get("bob"); !ok || got.AccountID != again.AccountID || r2.Len() != 2 {
		t.Errorf("reopened: bob %+v (%v), %d users", got, ok, r2.Len())
	}
}

// The Max entries column: written and read back, editable in the
// spreadsheet while the registry runs, refused when negative; a workbook
// of the format before it (seven columns) is read, its users on the
// server's default.
func TestMaxEntriesColumn(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "users.xlsx")
	hash := cheapHash(t, "password")
	writeTestWorkbook(t, path, "users", [][]any{
		headerRow()[:idCols],
		{"alice", hash, "2026-01-02T03:04:05Z", "2026-01-02T03:04:05Z", 1 << 30, false, "0123456789abcdef0123456789abcdef"},
	})
	r, logs := openLogged(t, path, testHooks{watchEvery: 10e6})
	if a, ok := r.Get("alice"); !ok || a.MaxEntries != 0 || a.QuotaBytes != 1<<30 {
		t.Fatalf("alice from a seven-column workbook: %+v", a)
	}
	if err := r.Update(ctx, "alice", func(u *User) error { u.MaxEntries = 5; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := bookUsers(t, path)["alice"][colMaxEntries-1]; got.Text != "5" {
		t.Fatalf("alice's Max entries cell = %+v; want 5", got)
	}
	editWorkbook(t, path, func(b *book) { b.set("alice", colMaxEntries, 12) })
	eventually(t, "the edit of Max entries applied", func() bool { a, _ := r.Get("alice"); return a.MaxEntries == 12 }, logs)
	if logs.find("INFO", "user max entries changed", "old=5", "new=12") == "" {
		t.Errorf("the edit is not logged:\n%s", logs.all())
	}
	editWorkbook(t, path, func(b *book) { b.set("alice", colMaxEntries, -3) })
	eventually(t, "the negative Max entries refused", func() bool { return logs.find("negative") != "" }, logs)
	if a, _ := r.Get("alice"); a.MaxEntries != 12 {
		t.Errorf("after a refused edit alice has max entries %d; want 12 kept", a.MaxEntries)
	}
	if err := r.Update(ctx, "alice", func(u *User) error { u.MaxEntries = -1; return nil }); !errors.Is(err, ErrInvalidUser) {
		t.Errorf("Update to a negative limit: %v", err)
	}
}
