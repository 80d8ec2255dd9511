package users

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"netdisk/internal/xlsxtest"
)

func TestConcurrentAddsPersist(t *testing.T) {
	const n = 200
	started := time.Now()
	path := filepath.Join(t.TempDir(), "users.xlsx")
	r := openTest(t, path, testHooks{})
	hasher := NewHasher(cheapParams(), 0)
	passwords := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		passwords[i] = fmt.Sprintf("clear-text-password-%03d", i)
		wg.Go(func() {
			hash, err := hasher.Hash(context.Background(), passwords[i])
			if err != nil {
				t.Errorf("Hash: %v", err)
				return
			}
			u := User{Name: fmt.Sprintf("User%03d", i), PasswordHash: hash, QuotaBytes: int64(i) << 20}
			if err := r.Add(context.Background(), u); err != nil {
				t.Errorf("Add %s: %v", u.Name, err)
			}
		})
	}
	wg.Wait()
	if got := r.Len(); got != n {
		t.Fatalf("Len = %d; want %d", got, n)
	}
	want := r.List()
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	t.Logf("%d adds took %d rewrites", n, r.rewrites.Load())

	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("workbook mode = %v; want 0600", mode)
	}

	t.Run("reopened", func(t *testing.T) {
		r2 := openTest(t, path, testHooks{})
		got := r2.List()
		if !slices.Equal(got, want) {
			t.Fatalf("after reopening, List differs from before closing")
		}
		u, ok := r2.Get("USER007")
		if !ok || u.Name != "user007" || u.QuotaBytes != 7<<20 {
			t.Fatalf("Get(USER007) = %+v, %v", u, ok)
		}
		if ok, err := hasher.Verify(context.Background(), u.PasswordHash, passwords[7]); !ok || err != nil {
			t.Fatalf("stored hash does not verify: %v, %v", ok, err)
		}
	})

	t.Run("independent reader", func(t *testing.T) {
		rows := xlsxtest.ReadUsers(t, path)
		if len(rows) != n+1 {
			t.Fatalf("sheet has %d rows; want header + %d", len(rows), n)
		}
		var titles []string
		for _, c := range rows[0] {
			titles = append(titles, c.Text)
		}
		if !slices.Equal(titles, header[:]) {
			t.Fatalf("header = %q; want %q", titles, header)
		}
		for i, row := range rows[1:] {
			if len(row) != numCols {
				t.Fatalf("row %d has %d cells; want %d", i+2, len(row), numCols)
			}
			if want := fmt.Sprintf("user%03d", i); row[0].Text != want {
				t.Errorf("row %d name = %q; want %q (sorted)", i+2, row[0].Text, want)
			}
			if !strings.HasPrefix(row[1].Text, "$argon2id$v=19$") {
				t.Errorf("row %d hash = %q", i+2, row[1].Text)
			}
			for _, col := range []int{2, 3} {
				// A date: a serial number shown with a date format, within
				// this test's run.
				serial, err := strconv.ParseFloat(row[col].Text, 64)
				when := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).Add(time.Duration(serial * 24 * float64(time.Hour)))
				if err != nil || row[col].Type != "" || !strings.Contains(row[col].NumFmt, "yyyy") || when.Before(started.Add(-2*time.Second)) || when.After(time.Now().Add(2*time.Second)) {
					t.Errorf("row %d column %d = %+v (%v); want a date serial with a date format, during the test", i+2, col+1, row[col], when)
				}
			}
			if row[4].Type != "" || row[4].Text != fmt.Sprint(int64(i)<<20) || row[4].NumFmt != "#,##0" {
				t.Errorf("row %d quota = %+v; want the number %d shown as #,##0", i+2, row[4], int64(i)<<20)
			}
			if row[5].Type != "b" || row[5].Text != "0" {
				t.Errorf("row %d disabled = %+v; want boolean false", i+2, row[5])
			}
			for _, c := range row {
				for _, pw := range passwords {
					if strings.Contains(c.Text, pw) {
						t.Fatalf("row %d contains the clear-text password %q", i+2, pw)
					}
				}
			}
		}
	})
}

func TestAddSameNameConcurrently(t *testing.T) {
	eachPlace(t, func(t *testing.T, open opener) {
		r := open(t, testHooks{})
		hash := cheapHash(t, "password")
		const n = 20
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				// Vary the case: names are case-insensitive.
				name := "alice"
				if i%2 == 1 {
					name = "ALICE"
				}
				errs[i] = r.Add(context.Background(), User{Name: name, PasswordHash: hash})
			})
		}
		wg.Wait()
		succeeded := 0
		for _, err := range errs {
			switch {
			case err == nil:
				succeeded++
			case !errors.Is(err, ErrExists):
				t.Errorf("Add: %v; want nil or ErrExists", err)
			}
		}
		if succeeded != 1 || r.Len() != 1 {
			t.Fatalf("%d Adds succeeded, Len = %d; want exactly 1", succeeded, r.Len())
		}
	})
}

func TestGroupCommit(t *testing.T) {
	eachPlace(t, func(t *testing.T, open opener) {
		// Each rewrite takes at least 20 ms, as a large workbook would, so the
		// Adds arriving meanwhile must share the following rewrites.
		slow := testHooks{beforeRename: func() error { time.Sleep(20 * time.Millisecond); return nil }}
		r := open(t, slow)
		hash := cheapHash(t, "password")
		const n = 100
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				if err := r.Add(context.Background(), User{Name: fmt.Sprintf("u%03d", i), PasswordHash: hash}); err != nil {
					t.Errorf("Add: %v", err)
				}
			})
		}
		wg.Wait()
		rewrites := r.rewrites.Load()
		t.Logf("%d changes, %d rewrites", n, rewrites)
		if r.Len() != n {
			t.Fatalf("Len = %d; want %d", r.Len(), n)
		}
		if rewrites < 1 || rewrites > n/4 {
			t.Fatalf("%d rewrites for %d changes; want group commit to need at most %d", rewrites, n, n/4)
		}
	})
}

func TestUpdate(t *testing.T) {
	eachPlace(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		r := open(t, testHooks{})
		registered := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		if err := r.Add(ctx, User{Name: "bob", PasswordHash: cheapHash(t, "old password"), Registered: registered}); err != nil {
			t.Fatal(err)
		}
		newHash := cheapHash(t, "new password")
		changed := time.Date(2026, 11, 22, 15, 4, 5, 999, time.FixedZone("CET", 3600))
		err := r.Update(ctx, "Bob", func(u *User) error {
			u.PasswordHash, u.PasswordChanged = newHash, changed
			u.QuotaBytes, u.Disabled = 5<<30, true
			return nil
		})
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		before, _ := r.Get("bob")
		want := User{
			Name:            "bob",
			PasswordHash:    newHash,
			Registered:      registered,
			PasswordChanged: time.Date(2026, 11, 22, 14, 4, 5, 0, time.UTC),
			QuotaBytes:      5 << 30,
			Disabled:        true,
			AccountID:       before.AccountID, // Update keeps it
		}
		if got, _ := r.Get("bob"); got != want {
			t.Fatalf("after Update, Get = %+v; want %+v", got, want)
		}

		failures := []struct {
			name    string
			user    string
			fn      func(*User) error
			wantErr error
		}{
			{"missing user", "carol", func(*User) error { return nil }, ErrNotFound},
			{"invalid name", "../etc", func(*User) error { return nil }, ErrNotFound},
			{"fn fails", "bob", func(u *User) error { u.QuotaBytes = 1; return os.ErrPermission }, os.ErrPermission},
			{"fn renames", "bob", func(u *User) error { u.Name = "robert"; return nil }, ErrInvalidUser},
			{"fn changes the account id", "bob", func(u *User) error { u.AccountID = newAccountID(); return nil }, ErrInvalidUser},
			{"negative quota", "bob", func(u *User) error { u.QuotaBytes = -1; return nil }, ErrInvalidUser},
			{"clear-text password as hash", "bob", func(u *User) error { u.PasswordHash = "hunter22"; return nil }, ErrInvalidUser},
			{"year 10000", "bob", func(u *User) error { u.PasswordChanged = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC); return nil }, ErrInvalidUser},
		}
		for _, tt := range failures {
			t.Run(tt.name, func(t *testing.T) {
				if err := r.Update(ctx, tt.user, tt.fn); !errors.Is(err, tt.wantErr) {
					t.Fatalf("Update = %v; want %v", err, tt.wantErr)
				}
				if got, _ := r.Get("bob"); got != want {
					t.Fatalf("a failed Update changed the user: %+v", got)
				}
			})
		}

		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		r2 := open(t, testHooks{})
		if got, _ := r2.Get("bob"); got != want {
			t.Fatalf("after reopening, Get = %+v; want %+v", got, want)
		}
	})
}

func TestAddRefusesInvalidUsers(t *testing.T) {
	eachPlace(t, func(t *testing.T, open opener) {
		r := open(t, testHooks{})
		hash := cheapHash(t, "password")
		tests := []struct {
			name    string
			user    User
			wantErr error
		}{
			{"bad name", User{Name: "a b", PasswordHash: hash}, ErrBadName},
			{"clear-text password", User{Name: "alice", PasswordHash: "password123"}, ErrInvalidUser},
			{"empty hash", User{Name: "alice"}, ErrInvalidUser},
			{"negative quota", User{Name: "alice", PasswordHash: hash, QuotaBytes: -5}, ErrInvalidUser},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := r.Add(context.Background(), tt.user); !errors.Is(err, tt.wantErr) {
					t.Fatalf("Add = %v; want %v", err, tt.wantErr)
				}
			})
		}
		t.Run("cancelled context", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if err := r.Add(ctx, User{Name: "alice", PasswordHash: hash}); !errors.Is(err, context.Canceled) {
				t.Fatalf("Add = %v; want context.Canceled", err)
			}
		})
		if r.Len() != 0 || r.rewrites.Load() != 0 {
			t.Fatalf("refused Adds left Len = %d, rewrites = %d", r.Len(), r.rewrites.Load())
		}
	})
}

func TestAddFillsTimes(t *testing.T) {
	eachPlace(t, func(t *testing.T, open opener) {
		r := open(t, testHooks{})
		before := time.Now().UTC().Truncate(time.Second)
		if err := r.Add(context.Background(), User{Name: "dave", PasswordHash: cheapHash(t, "password")}); err != nil {
			t.Fatal(err)
		}
		u, _ := r.Get("dave")
		if u.Registered.Before(before) || u.Registered.Location() != time.UTC || !u.PasswordChanged.Equal(u.Registered) {
			t.Fatalf("times not filled in as now, UTC: %+v", u)
		}
	})
}

func TestWriteFailureFailsWholeBatch(t *testing.T) {
	ctx := context.Background()
	injected := errors.New("injected disk failure")
	var failing atomic.Bool
	hooks := testHooks{beforeRename: func() error {
		if failing.Load() {
			time.Sleep(10 * time.Millisecond) // let several changes gather
			return injected
		}
		return nil
	}}
	path := filepath.Join(t.TempDir(), "users.xlsx")
	r := openTest(t, path, hooks)
	hash := cheapHash(t, "password")
	if err := r.Add(ctx, User{Name: "first", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	failing.Store(true)
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			err := r.Add(ctx, User{Name: fmt.Sprintf("late%d", i), PasswordHash: hash})
			if !errors.Is(err, injected) {
				t.Errorf("Add during a failing rewrite = %v; want the injected error", err)
			}
		})
	}
	wg.Go(func() {
		err := r.Update(ctx, "first", func(u *User) error { u.Disabled = true; return nil })
		if !errors.Is(err, injected) {
			t.Errorf("Update during a failing rewrite = %v; want the injected error", err)
		}
	})
	wg.Wait()

	if got, _ := r.Get("first"); r.Len() != 1 || got.Disabled {
		t.Fatalf("committed state changed by a failed batch: Len = %d, first = %+v", r.Len(), got)
	}
	after, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(before, after) {
		t.Fatalf("workbook changed by a failed batch (err %v)", err)
	}
	if leftovers, _ := filepath.Glob(path + ".tmp-*"); len(leftovers) != 0 {
		t.Fatalf("temporary files left behind: %q", leftovers)
	}

	failing.Store(false)
	if err := r.Add(ctx, User{Name: "late0", PasswordHash: hash}); err != nil {
		t.Fatalf("Add after the disk recovered: %v", err)
	}
}

func TestWriteFailureFolderRemoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	r := openTest(t, filepath.Join(dir, "users.xlsx"), testHooks{})
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	err := r.Add(context.Background(), User{Name: "alice", PasswordHash: cheapHash(t, "password")})
	if err == nil || r.Len() != 0 {
		t.Fatalf("Add with the folder gone = %v, Len = %d; want an error and no user", err, r.Len())
	}
}

func TestClose(t *testing.T) {
	eachPlace(t, func(t *testing.T, open opener) {
		r := open(t, testHooks{})
		hash := cheapHash(t, "password")
		if err := r.Add(context.Background(), User{Name: "alice", PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := r.Close(); !errors.Is(err, ErrClosed) {
			t.Errorf("second Close = %v; want ErrClosed", err)
		}
		if err := r.Add(context.Background(), User{Name: "bob", PasswordHash: hash}); !errors.Is(err, ErrClosed) {
			t.Errorf("Add after Close = %v; want ErrClosed", err)
		}
		if err := r.Update(context.Background(), "alice", func(*User) error { return nil }); !errors.Is(err, ErrClosed) {
			t.Errorf("Update after Close = %v; want ErrClosed", err)
		}
		if _, ok := r.Get("alice"); !ok {
			t.Error("Get after Close lost the committed user")
		}
	})
}

func TestCloseCommitsPending(t *testing.T) {
	eachPlace(t, func(t *testing.T, open opener) {
		slow := testHooks{beforeRename: func() error { time.Sleep(5 * time.Millisecond); return nil }}
		r := open(t, slow)
		hash := cheapHash(t, "password")
		const n = 20
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				err := r.Add(context.Background(), User{Name: fmt.Sprintf("u%02d", i), PasswordHash: hash})
				if err != nil && !errors.Is(err, ErrClosed) {
					t.Errorf("Add: %v", err)
				}
			})
		}
		time.Sleep(2 * time.Millisecond)
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		// Every Add that was answered nil must be in the file.
		committed := r.Len()
		r2 := open(t, testHooks{})
		if r2.Len() != committed {
			t.Fatalf("file holds %d users; the registry acknowledged %d", r2.Len(), committed)
		}
	})
}

// The workbook behaves like a spreadsheet: its declared extent covers
// every row (readers that trust it, such as openpyxl's read-only mode, see
// all users), the header has a filter and stays frozen, and an About
// sheet says what each column means and which may be edited.
func TestWorkbookIsASpreadsheet(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.xlsx")
	r := openTest(t, path, testHooks{})
	hasher := NewHasher(cheapParams(), 0)
	hash, _ := hasher.Hash(context.Background(), "a fine password")
	for i := range 5 {
		if err := r.Add(context.Background(), User{Name: fmt.Sprintf("user%d", i), PasswordHash: hash, Registered: time.Now(), PasswordChanged: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	sh := xlsxtest.ReadSheet(t, path)
	if sh.Dimension != "A1:H6" || strings.ReplaceAll(sh.AutoFilter, "$", "") != "A1:H6" || !sh.Frozen {
		t.Errorf("sheet = %+v; want dimension and filter A1:H6, header frozen", sh)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	about, err := f.GetRows("About")
	if err != nil || len(about) < 8 {
		t.Fatalf("About sheet: %v, %d rows", err, len(about))
	}
	var editable []string
	for _, row := range about[1:] {
		if len(row) == 2 && strings.HasPrefix(row[1], "Editable") {
			editable = append(editable, row[0])
		}
	}
	if !slices.Equal(editable, []string{"Quota (bytes)", "Disabled", "Max entries"}) {
		t.Errorf("About marks %q as editable", editable)
	}
	if f.GetSheetName(f.GetActiveSheetIndex()) != "users" {
		t.Errorf("the workbook opens on %q", f.GetSheetName(f.GetActiveSheetIndex()))
	}
}
