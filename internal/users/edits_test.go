package users

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// TestEditAppliedWhileRunning edits the workbook with excelize while the
// registry runs, as an administrator would in a spreadsheet, and waits for
// the watcher: accepted rows apply, refused rows are logged with their row
// and reason while the registry keeps its values, and the workbook on disk
// then holds the registry's state with the accepted edits.
func TestEditAppliedWhileRunning(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "users.xlsx")
	r, logs := openLogged(t, path, testHooks{watchEvery: 10 * time.Millisecond})
	hash, newHash := cheapHash(t, "password"), cheapHash(t, "new password")
	addUsers(t, r, hash, "alice", "bob", "carol", "dave", "frank", "henry")
	before := make(map[string]User)
	for _, u := range r.List() {
		before[u.Name] = u
	}
	var mu sync.Mutex
	told := make(map[string]Edit)
	r.OnExternalEdit(func(edits []Edit) {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range edits {
			told[e.Name()] = e
		}
	})

	var rows struct{ dave, erin, frank, frank2, grace int }
	editWorkbook(t, path, func(b *book) {
		b.set("alice", colQuota, 5<<30)                      // raised
		b.set("bob", colDisabled, true)                      // disabled
		b.set("henry", colHash, newHash)                     // a password reset
		b.set("dave", colQuota, "lots")                      // refused: dave keeps 1 MiB
		b.set("frank", colQuota, 7<<20)                      // refused: frank appears twice
		b.remove("carol")                                    // removed
		rows.erin = b.add(handRow("erin", "hunter22", 0)...) // refused: not a hash
		rows.frank2 = b.add(handRow("frank", hash, 9<<20)...)
		rows.grace = b.add(handRow("Grace", hash, 3<<20)...) // added
		rows.dave, rows.frank = b.row("dave"), b.row("frank")
	})
	eventually(t, "the watcher applies the edit", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(told) == 5
	})

	got := func(name string) User { u, _ := r.Get(name); return u }
	if u := got("alice"); u.QuotaBytes != 5<<30 {
		t.Errorf("alice's quota = %d; want 5 GiB", u.QuotaBytes)
	}
	if !got("bob").Disabled {
		t.Error("bob not disabled")
	}
	if u := got("henry"); u.PasswordHash != newHash || !u.PasswordChanged.After(before["henry"].PasswordChanged.Add(-time.Second)) {
		t.Errorf("henry's password: %+v", u)
	}
	if _, ok := r.Get("carol"); ok {
		t.Error("carol still there after her row was removed")
	}
	if u := got("dave"); u != before["dave"] {
		t.Errorf("dave = %+v; want the registry's value kept, %+v", u, before["dave"])
	}
	if u := got("frank"); u != before["frank"] {
		t.Errorf("frank = %+v; want the registry's value kept, %+v", u, before["frank"])
	}
	if _, ok := r.Get("erin"); ok {
		t.Error("erin added with an invalid hash")
	}
	grace := got("grace")
	if grace.QuotaBytes != 3<<20 || len(grace.AccountID) != accountIDLen {
		t.Errorf("grace = %+v; want added with 3 MiB and an account id", grace)
	}
	mu.Lock()
	for name, want := range map[string]string{"alice": "changed", "bob": "changed", "henry": "changed", "carol": "removed", "grace": "added"} {
		e, ok := told[name]
		kind := "changed"
		switch {
		case e.Added():
			kind = "added"
		case e.Removed():
			kind = "removed"
		}
		if !ok || kind != want {
			t.Errorf("OnExternalEdit for %s: %+v; want %s", name, e, want)
		}
	}
	mu.Unlock()

	for _, want := range [][]string{
		{"WARN", "refused", fmt.Sprintf("row=%d", rows.dave), "user=dave", "Quota"},
		{"WARN", "refused", fmt.Sprintf("row=%d", rows.erin), "user=erin", "hash"},
		{"WARN", "refused", fmt.Sprintf("row=%d", rows.frank), "user=frank", "appears in rows"},
		{"WARN", "refused", fmt.Sprintf("row=%d", rows.frank2), "user=frank", "appears in rows"},
		{"INFO", "user quota changed by an edit of users.xlsx", "user=alice", "old=1048576", "new=5368709120"},
		{"INFO", "user disabled by an edit", "user=bob"},
		{"INFO", "user password hash changed by an edit", "user=henry"},
		{"INFO", "user removed by an edit", "user=carol"},
		{"INFO", "user added by an edit", "user=grace", fmt.Sprintf("row=%d", rows.grace)},
	} {
		if logs.find(want...) == "" {
			t.Errorf("no log line with %q in:\n%s", want, logs.all())
		}
	}
	if all := logs.all(); strings.Contains(all, hash) || strings.Contains(all, newHash) {
		t.Errorf("a hash was logged:\n%s", all)
	}

	// The workbook was rewritten in the same round: refused rows are
	// corrected on disk, grace's id is there. Refresh returns after it.
	if err := r.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	checkBook := func() {
		t.Helper()
		book := bookUsers(t, path)
		for _, name := range []string{"carol", "erin"} {
			if _, ok := book[name]; ok {
				t.Errorf("%s is in the workbook", name)
			}
		}
		for name, quota := range map[string]string{"alice": "5368709120", "dave": "1048576", "frank": "1048576", "grace": "3145728"} {
			if got := book[name][colQuota-1].Text; got != quota {
				t.Errorf("%s's quota in the workbook = %q; want %s", name, got, quota)
			}
		}
		if got := book["bob"][colDisabled-1].Text; got != "1" {
			t.Errorf("bob's disabled cell = %q; want TRUE", got)
		}
		if got := book["henry"][colHash-1].Text; got != newHash {
			t.Errorf("henry's hash in the workbook = %q", got)
		}
		if got := book["grace"][colAccountID-1].Text; got != grace.AccountID {
			t.Errorf("grace's id in the workbook = %q; want %q", got, grace.AccountID)
		}
	}
	checkBook()
	// And the next registration's rewrite keeps them all.
	addUsers(t, r, hash, "ivan")
	checkBook()
	if _, ok := bookUsers(t, path)["ivan"]; !ok {
		t.Error("ivan missing from the workbook")
	}
}

// TestSecondSaveOfOneCopy saves twice from one open spreadsheet, with a
// change made by the server in between: the second save is read against
// the first, so it neither reverts the server's change to a value the
// first save had set nor takes the users registered since for removed.
func TestSecondSaveOfOneCopy(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "users.xlsx")
	r, logs := openLogged(t, path, testHooks{watchEvery: time.Hour})
	hash := cheapHash(t, "password")
	addUsers(t, r, hash, "alice", "bob")

	f, err := excelize.OpenFile(path) // the administrator opens the workbook
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	open := &book{t: t, f: f}
	save := func() {
		t.Helper()
		tmp := filepath.Join(filepath.Dir(path), "~save.xlsx")
		if err := f.SaveAs(tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
		if err := r.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	open.set("alice", colQuota, 5)
	save()
	// Meanwhile, on the server: alice's quota set again, carol registers.
	if err := r.Update(ctx, "alice", func(u *User) error { u.QuotaBytes = 8; return nil }); err != nil {
		t.Fatal(err)
	}
	addUsers(t, r, hash, "carol")
	open.set("bob", colDisabled, true)
	save()

	if u, _ := r.Get("alice"); u.QuotaBytes != 8 {
		t.Errorf("alice's quota = %d; want the server's 8 kept (the copy's 5 was already applied)", u.QuotaBytes)
	}
	if u, _ := r.Get("bob"); !u.Disabled {
		t.Error("bob not disabled by the second save")
	}
	if _, ok := r.Get("carol"); !ok {
		t.Errorf("carol, registered after the copy was opened, was removed\n%s", logs.all())
	}
}
