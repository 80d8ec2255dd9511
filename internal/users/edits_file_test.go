package users

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// TestUnreadableEditKeepsState: a workbook that cannot be read as a whole
// (not an .xlsx file, or a header that is not the registry's) is reported
// and changes nothing; the next change writes the registry's state over
// it, keeping the edited file aside.
func TestUnreadableEditKeepsState(t *testing.T) {
	tests := []struct {
		name string
		edit func(t *testing.T, path string)
		want string // in the error
	}{
		{"not a workbook", func(t *testing.T, path string) {
			replaceFile(t, path, []byte("name,hash\nmallory,x\n"))
		}, "zip"},
		{"wrong header", func(t *testing.T, path string) {
			editWorkbook(t, path, func(b *book) {
				if err := b.f.SetCellValue(sheetName, "E1", "Quota"); err != nil {
					t.Error(err)
				}
			})
		}, "row 1, column E"},
		{"no users sheet", func(t *testing.T, path string) {
			editWorkbook(t, path, func(b *book) {
				if err := b.f.SetSheetName(sheetName, "Sheet1"); err != nil {
					t.Error(err)
				}
			})
		}, `sheet "users"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "users.xlsx")
			r, logs := openLogged(t, path, testHooks{watchEvery: time.Hour})
			hash := cheapHash(t, "password")
			addUsers(t, r, hash, "alice", "bob")
			want := r.List()
			tt.edit(t, path)
			edited, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			err = r.Refresh(ctx)
			if !errors.Is(err, ErrMalformed) || !bytes.Contains([]byte(err.Error()), []byte(tt.want)) {
				t.Fatalf("Refresh = %v; want ErrMalformed naming %q", err, tt.want)
			}
			if logs.find("ERROR", "cannot be read", tt.want) == "" {
				t.Errorf("no error logged:\n%s", logs.all())
			}
			if got := r.List(); len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
				t.Fatalf("state changed by an unreadable workbook: %+v", got)
			}
			// Looked at once: a second look reports nothing new.
			if err := r.Refresh(ctx); err != nil {
				t.Fatalf("second Refresh = %v", err)
			}

			addUsers(t, r, hash, "carol")
			book := bookUsers(t, path)
			for _, name := range []string{"alice", "bob", "carol"} {
				if _, ok := book[name]; !ok {
					t.Errorf("%s missing from the rewritten workbook", name)
				}
			}
			aside, _ := filepath.Glob(path + ".unreadable-*")
			if len(aside) != 1 {
				t.Fatalf("files kept aside: %q; want one", aside)
			}
			if kept, err := os.ReadFile(aside[0]); err != nil || !bytes.Equal(kept, edited) {
				t.Errorf("the file kept aside is not the edited workbook (%v)", err)
			}
		})
	}
}

// TestRemovedWorkbookIsWrittenAgain: deleting users.xlsx while the server
// runs removes no one; the workbook is written again at once.
func TestRemovedWorkbookIsWrittenAgain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.xlsx")
	r, _ := openLogged(t, path, testHooks{watchEvery: 10 * time.Millisecond})
	addUsers(t, r, cheapHash(t, "password"), "alice")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the workbook is written again", func() bool {
		_, err := os.Stat(path)
		return err == nil
	})
	if _, ok := bookUsers(t, path)["alice"]; !ok || r.Len() != 1 {
		t.Fatalf("alice lost: Len = %d", r.Len())
	}
}

// TestSameSizeEditInPlaceIsSeen writes the workbook in place with the same
// length and puts its modification time back, so that size, mtime and
// inode all say "unchanged": the registry wrote the file moments ago, so
// it does not trust those and compares the hash.
func TestSameSizeEditInPlaceIsSeen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "users.xlsx")
	r, _ := openLogged(t, path, testHooks{watchEvery: time.Hour})
	addUsers(t, r, cheapHash(t, "password"), "alice")
	if err := r.Refresh(ctx); err != nil {
		t.Fatalf("Refresh of an unchanged workbook = %v", err)
	}
	rewrites := r.rewrites.Load()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Damage the end of the file (the zip directory) without changing
	// its length.
	copy(data[len(data)-22:], bytes.Repeat([]byte{'x'}, 22))
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Chtimes(path, info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.Stat(path); after.Size() != info.Size() || !after.ModTime().Equal(info.ModTime()) {
		t.Fatal("the test did not keep size and mtime")
	}
	if err := r.Refresh(ctx); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Refresh = %v; want the damaged workbook seen (ErrMalformed)", err)
	}
	if r.rewrites.Load() != rewrites {
		t.Error("the registry wrote over a workbook it could not read before any change")
	}
}

// replaceFile replaces path with data as an editor saving would.
func replaceFile(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".~edit"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// TestOldFormatWorkbookMigrates opens a workbook of the format before
// account ids (six columns): its users get ids, the workbook is rewritten
// with the column at once, and a reopening keeps the same ids.
func TestOldFormatWorkbookMigrates(t *testing.T) {
	hash := cheapHash(t, "password")
	oldHeader := headerRow()[:legacyCols]
	path := filepath.Join(t.TempDir(), "users.xlsx")
	writeTestWorkbook(t, path, "users", [][]any{
		oldHeader,
		{"alice", hash, "2026-01-02T03:04:05Z", "2026-01-02T03:04:05Z", 1 << 30, false},
		{"bob", hash, "2026-01-02T03:04:05Z", "2026-01-02T03:04:05Z", 0, true},
	})
	r, logs := openLogged(t, path, testHooks{})
	alice, _ := r.Get("alice")
	bob, _ := r.Get("bob")
	if len(alice.AccountID) != accountIDLen || len(bob.AccountID) != accountIDLen || alice.AccountID == bob.AccountID {
		t.Fatalf("ids after migration: %q, %q", alice.AccountID, bob.AccountID)
	}
	if alice.QuotaBytes != 1<<30 || !bob.Disabled {
		t.Fatalf("values lost in migration: %+v, %+v", alice, bob)
	}
	if logs.find("INFO", "gave account ids", "users=2", "old_format=true") == "" {
		t.Errorf("migration not logged:\n%s", logs.all())
	}
	// Rewritten by Open itself, before any change.
	book := bookUsers(t, path)
	if got := book["alice"][colAccountID-1].Text; got != alice.AccountID {
		t.Errorf("alice's id in the workbook = %q; want %q", got, alice.AccountID)
	}
	if got := book["bob"][colAccountID-1].Text; got != bob.AccountID {
		t.Errorf("bob's id in the workbook = %q; want %q", got, bob.AccountID)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r2 := openTest(t, path, testHooks{})
	if again, _ := r2.Get("alice"); again != alice {
		t.Errorf("after reopening, alice = %+v; want %+v", again, alice)
	}

	t.Run("value in the missing column", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "users.xlsx")
		writeTestWorkbook(t, path, "users", [][]any{
			oldHeader,
			{"alice", hash, "2026-01-02T03:04:05Z", "2026-01-02T03:04:05Z", 0, false, "note"},
		})
		if _, err := Open(path, nil); !errors.Is(err, ErrMalformed) || !bytes.Contains([]byte(err.Error()), []byte("row 2, column G")) {
			t.Fatalf("Open = %v; want ErrMalformed at row 2, column G", err)
		}
	})
}

// TestOpenRefusesDuplicateIDs: an account id in two rows (a row copied
// while the server was stopped) is refused at start like a duplicate name.
func TestOpenRefusesDuplicateIDs(t *testing.T) {
	hash := cheapHash(t, "password")
	id := newAccountID()
	path := filepath.Join(t.TempDir(), "users.xlsx")
	writeTestWorkbook(t, path, "users", [][]any{
		headerRow(),
		{"alice", hash, "2026-01-02T03:04:05Z", "2026-01-02T03:04:05Z", 0, false, id},
		{"bob", hash, "2026-01-02T03:04:05Z", "2026-01-02T03:04:05Z", 0, false, id},
	})
	if _, err := Open(path, nil); !errors.Is(err, ErrMalformed) || !bytes.Contains([]byte(err.Error()), []byte("row 3, column G")) {
		t.Fatalf("Open = %v; want ErrMalformed at row 3, column G", err)
	}
}

// TestWorkbookCarriesVersion: every rewrite marks the workbook with a new
// version, which excelize (like a spreadsheet) keeps when it saves.
func TestWorkbookCarriesVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.xlsx")
	r := openTest(t, path, testHooks{})
	addUsers(t, r, cheapHash(t, "password"), "alice")
	first := versionOf(t, path)
	addUsers(t, r, cheapHash(t, "password"), "bob")
	second := versionOf(t, path)
	if first == "" || second == "" || first == second {
		t.Fatalf("versions %q then %q; want two different marks", first, second)
	}
	editWorkbook(t, path, func(b *book) { b.set("alice", colQuota, 5) })
	if got := versionOf(t, path); got != second {
		t.Fatalf("after an edit the version is %q; want it kept, %q", got, second)
	}
}

func versionOf(t *testing.T, path string) string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return readVersion(f)
}
