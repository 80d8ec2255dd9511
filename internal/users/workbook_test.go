package users

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// writeTestWorkbook builds a workbook by hand, as an administrator editing
// the file in a spreadsheet might leave it.
func writeTestWorkbook(t *testing.T, path, sheet string, rows [][]any) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

func headerRow() []any {
	row := make([]any, numCols)
	for i, title := range header {
		row[i] = title
	}
	return row
}

func TestOpenMalformed(t *testing.T) {
	hash := cheapHash(t, "password")
	good := []any{"alice", hash, "2026-01-02T03:04:05Z", "2026-01-02T03:04:05Z", 0, false}
	with := func(col int, v any) []any {
		row := append([]any(nil), good...)
		row[col-1] = v
		return row
	}
	tests := []struct {
		name  string
		sheet string
		rows  [][]any
		want  string // the location the message must name
	}{
		{"wrong header", "users", [][]any{{"Name", "Hash", "Registered (UTC)", "Password changed (UTC)", "Quota (bytes)", "Disabled"}, good}, "row 1, column A"},
		{"columns swapped", "users", [][]any{{"Username", "Registered (UTC)", "Password hash (argon2id)", "Password changed (UTC)", "Quota (bytes)", "Disabled"}}, "row 1, column B"},
		{"header missing a column", "users", [][]any{headerRow()[:5]}, "row 1, column F"},
		{"empty sheet", "users", nil, "row 1"},
		{"no users sheet", "Sheet1", [][]any{headerRow()}, `sheet "users"`},
		{"bad name", "users", [][]any{headerRow(), good, with(colName, "a/b")}, "row 3, column A"},
		{"duplicate name", "users", [][]any{headerRow(), good, with(colName, "ALICE")}, "row 3, column A"},
		{"clear-text password", "users", [][]any{headerRow(), with(colHash, "hunter22")}, "row 2, column B"},
		{"hash asking for too much memory", "users", [][]any{headerRow(), with(colHash, strings.Replace(hash, "m=64,", "m=1048576,", 1))}, "row 2, column B"},
		{"bad time", "users", [][]any{headerRow(), with(colRegistered, "yesterday")}, "row 2, column C"},
		{"missing time", "users", [][]any{headerRow(), with(colPasswordChanged, "")}, "row 2, column D"},
		{"negative quota", "users", [][]any{headerRow(), with(colQuota, -1)}, "row 2, column E"},
		{"fractional quota", "users", [][]any{headerRow(), with(colQuota, 1.5)}, "row 2, column E"},
		{"bad boolean", "users", [][]any{headerRow(), with(colDisabled, "maybe")}, "row 2, column F"},
		{"extra column", "users", [][]any{headerRow(), append(append([]any(nil), good...), "note")}, "row 2, column G"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "users.xlsx")
			writeTestWorkbook(t, path, tt.sheet, tt.rows)
			r, err := Open(path, nil)
			if err == nil {
				r.Close()
				t.Fatal("Open succeeded on a malformed workbook")
			}
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open error = %v; want ErrMalformed naming %s and %q", err, path, tt.want)
			}
		})
	}

	t.Run("not a workbook", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "users.xlsx")
		if err := os.WriteFile(path, []byte("name,hash\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(path, nil); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), path) {
			t.Fatalf("Open error = %v; want ErrMalformed naming the file", err)
		}
	})
	t.Run("folder missing", func(t *testing.T) {
		if _, err := Open(filepath.Join(t.TempDir(), "gone", "users.xlsx"), nil); err == nil {
			t.Fatal("Open succeeded with the folder missing")
		}
	})
}

// TestOpenToleratesSpreadsheetEdits reads what a spreadsheet tends to leave
// behind: typed cells where the registry writes text and the reverse, rows
// out of order, blank rows and names in upper case.
func TestOpenToleratesSpreadsheetEdits(t *testing.T) {
	hash := cheapHash(t, "password")
	registered := time.Date(2026, 11, 22, 15, 4, 5, 0, time.UTC)
	serial := 46348.627835648 // 2026-11-22T15:04:05Z as an Excel date serial
	path := filepath.Join(t.TempDir(), "users.xlsx")
	writeTestWorkbook(t, path, "users", [][]any{
		headerRow(),
		{"zed", hash, "2026-11-22T15:04:05Z", "2026-11-22T16:04:05+01:00", "1073741824", "TRUE"},
		{},
		{"Alice", hash, serial, "2026-11-22T15:04:05Z", 1.5e9, true},
		{"bob", hash, "2026-11-22T15:04:05Z", "2026-11-22T15:04:05Z", nil, nil},
	})
	r := openTest(t, path, testHooks{})
	want := []User{
		{Name: "alice", PasswordHash: hash, Registered: registered, PasswordChanged: registered, QuotaBytes: 1.5e9, Disabled: true},
		{Name: "bob", PasswordHash: hash, Registered: registered, PasswordChanged: registered},
		{Name: "zed", PasswordHash: hash, Registered: registered, PasswordChanged: registered, QuotaBytes: 1 << 30, Disabled: true},
	}
	got := r.List()
	if len(got) != len(want) {
		t.Fatalf("List = %+v; want %+v", got, want)
	}
	for i := range want {
		// The rows have no account id: Open gives each a fresh one.
		if id, err := parseAccountID(got[i].AccountID); err != nil || id == "" {
			t.Errorf("user %d has account id %q (%v)", i, got[i].AccountID, err)
		}
		want[i].AccountID = got[i].AccountID
		if got[i] != want[i] {
			t.Errorf("user %d = %+v; want %+v", i, got[i], want[i])
		}
	}
}

func TestOpenRemovesTempFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users.xlsx")
	leftovers := []string{path + ".tmp-123456", path + ".tmp-"}
	for _, name := range leftovers {
		if err := os.WriteFile(name, []byte("torn"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	unrelated := filepath.Join(dir, "other.xlsx.tmp-1")
	if err := os.WriteFile(unrelated, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	openTest(t, path, testHooks{})
	for _, name := range leftovers {
		if _, err := os.Stat(name); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still there after Open (%v)", name, err)
		}
	}
	if _, err := os.Stat(unrelated); err != nil {
		t.Errorf("Open removed an unrelated file: %v", err)
	}
}

func TestOpenEmptyCreatesNoFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.xlsx")
	r := openTest(t, path, testHooks{})
	if r.Len() != 0 {
		t.Fatalf("Len = %d", r.Len())
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("workbook created without any change (%v)", err)
	}
}
