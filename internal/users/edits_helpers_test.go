package users

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"netdisk/internal/xlsxtest"
)

// editWorkbook edits the workbook at path as an administrator would in a
// spreadsheet: open, change, save. It saves the way spreadsheets do, into
// a new file renamed over the old one. It reports problems with t.Error,
// so it may run on the registry's goroutine (in a hook).
func editWorkbook(t testing.TB, path string, edit func(b *book)) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Errorf("opening %s to edit it: %v", path, err)
		return
	}
	defer f.Close()
	b := &book{t: t, f: f}
	edit(b)
	tmp := filepath.Join(filepath.Dir(path), ".~edit-"+filepath.Base(path))
	if err := f.SaveAs(tmp); err != nil {
		t.Errorf("saving the edit: %v", err)
		return
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Errorf("saving the edit: %v", err)
	}
}

// book is a workbook being edited, addressed by user name and column.
type book struct {
	t testing.TB
	f *excelize.File
}

// row returns the row number of user name, or 0.
func (b *book) row(name string) int {
	rows, err := b.f.GetRows(sheetName)
	if err != nil {
		b.t.Errorf("reading rows: %v", err)
		return 0
	}
	for i, cells := range rows {
		if len(cells) > 0 && cells[0] == name {
			return i + 1
		}
	}
	b.t.Errorf("no row for %q", name)
	return 0
}

// set changes one cell of user name's row.
func (b *book) set(name string, col int, value any) {
	cell, _ := excelize.CoordinatesToCellName(col, b.row(name))
	if err := b.f.SetCellValue(sheetName, cell, value); err != nil {
		b.t.Errorf("setting %s: %v", cell, err)
	}
}

// remove deletes user name's row, moving the rows below up.
func (b *book) remove(name string) {
	if err := b.f.RemoveRow(sheetName, b.row(name)); err != nil {
		b.t.Errorf("removing the row of %s: %v", name, err)
	}
}

// add appends a row and returns its number.
func (b *book) add(cells ...any) int {
	rows, err := b.f.GetRows(sheetName)
	if err != nil {
		b.t.Errorf("reading rows: %v", err)
	}
	n := len(rows) + 1
	if err := b.f.SetSheetRow(sheetName, fmt.Sprintf("A%d", n), &cells); err != nil {
		b.t.Errorf("adding row %d: %v", n, err)
	}
	return n
}

// handRow is a row as an administrator types it for a new user: no
// account id.
func handRow(name, hash string, quota any) []any {
	return []any{name, hash, "2026-03-04T05:06:07Z", "2026-03-04T05:06:07Z", quota, false}
}

// bookUsers reads the workbook with the independent reader, by user name.
func bookUsers(t *testing.T, path string) map[string][]xlsxtest.Cell {
	t.Helper()
	rows := xlsxtest.ReadUsers(t, path)
	byName := make(map[string][]xlsxtest.Cell)
	for i, row := range rows[1:] {
		if len(row) != numCols {
			t.Fatalf("row %d has %d cells; want %d", i+2, len(row), numCols)
		}
		if _, dup := byName[row[0].Text]; dup {
			t.Fatalf("user %q appears twice in %s", row[0].Text, path)
		}
		byName[row[0].Text] = row
	}
	return byName
}

// eventually polls cond until it holds or ten seconds pass.
func eventually(t *testing.T, what string, cond func() bool, logs ...*logRecords) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			for _, l := range logs {
				t.Logf("log:\n%s", l.all())
			}
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// logRecords is a slog handler keeping every record, for tests to search.
type logRecords struct {
	mu   sync.Mutex
	recs []string // "LEVEL message key=value …"
}

func (h *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecords) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *logRecords) WithGroup(string) slog.Handler            { return h }

func (h *logRecords) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Level, r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	h.mu.Lock()
	h.recs = append(h.recs, b.String())
	h.mu.Unlock()
	return nil
}

// find returns the first record holding every part, or "".
func (h *logRecords) find(parts ...string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
next:
	for _, rec := range h.recs {
		for _, p := range parts {
			if !strings.Contains(rec, p) {
				continue next
			}
		}
		return rec
	}
	return ""
}

// all returns every record.
func (h *logRecords) all() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.recs, "\n")
}

// openLogged opens a registry at path logging into the returned records,
// and closes it when the test ends.
func openLogged(t *testing.T, path string, hooks testHooks) (*Registry, *logRecords) {
	t.Helper()
	logs := &logRecords{}
	r, err := open(path, slog.New(logs), hooks)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return r, logs
}

// addUsers adds users with hash and a quota of 1 MiB.
func addUsers(t *testing.T, r *Registry, hash string, names ...string) {
	t.Helper()
	for _, name := range names {
		if err := r.Add(context.Background(), User{Name: name, PasswordHash: hash, QuotaBytes: 1 << 20}); err != nil {
			t.Fatalf("Add %s: %v", name, err)
		}
	}
}
