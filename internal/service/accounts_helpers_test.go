package service

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"netdisk/internal/storage"
	"netdisk/internal/users"
)

// testParams keep hashing cheap in tests.
var testParams = users.Params{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 16}

// accountsService opens a registry, a local store and a service on the
// data folder dir, as the daemon does, and closes them when the test ends
// (or earlier, through the returned function); mod adjusts the Config.
func accountsService(t *testing.T, dir string, mod ...func(*Config)) (s *Service, reg *users.Registry, closeAll func()) {
	t.Helper()
	reg, err := users.Open(filepath.Join(dir, "users.xlsx"), nil)
	if err != nil {
		t.Fatal(err)
	}
	store, err := storage.NewLocal(filepath.Join(dir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		DataDir: dir,
		Users:   reg,
		Hasher:  users.NewHasher(testParams, 2),
		Store:   store,
		Logger:  slog.New(slog.DiscardHandler),
	}
	for _, m := range mod {
		m(&cfg)
	}
	s, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	closeAll = func() {
		if closed {
			return
		}
		closed = true
		s.Close(context.Background())
		reg.Close()
		store.Close()
	}
	t.Cleanup(closeAll)
	return s, reg, closeAll
}

// Columns of users.xlsx the tests edit, as an administrator sees them.
const (
	colHash     = "B"
	colQuota    = "E"
	colDisabled = "F"
)

// editUsers edits users.xlsx in dir as an administrator would in a
// spreadsheet, saving into a new file renamed over the old one.
func editUsers(t *testing.T, dir string, edit func(f *excelize.File, row func(name string) int)) {
	t.Helper()
	path := filepath.Join(dir, "users.xlsx")
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := func(name string) int {
		rows, err := f.GetRows("users")
		if err != nil {
			t.Fatal(err)
		}
		for i, cells := range rows {
			if len(cells) > 0 && cells[0] == name {
				return i + 1
			}
		}
		t.Fatalf("no row for %s in users.xlsx", name)
		return 0
	}
	edit(f, row)
	tmp := filepath.Join(dir, "~edit.xlsx")
	if err := f.SaveAs(tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// setCell sets column col of row n.
func setCell(t *testing.T, f *excelize.File, col string, n int, value any) {
	t.Helper()
	if err := f.SetCellValue("users", col+strconv.Itoa(n), value); err != nil {
		t.Fatal(err)
	}
}

// within polls cond until it holds or ten seconds pass; the registry
// looks at users.xlsx every users.WatchInterval.
func within(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sessionsOf counts the live sessions of user in the store.
func (s *Service) sessionsOf(user string) int {
	list, err := s.sessions.list(context.Background(), user)
	if err != nil {
		panic(err)
	}
	return len(list)
}
