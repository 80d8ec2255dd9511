package storage_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"netdisk/internal/storage"
)

func TestLocalErrorsHideServerPaths(t *testing.T) {
	_, sp, home := localSpace(t)
	if err := sp.Mkdir("dir", false); err != nil {
		t.Fatal(err)
	}
	put(t, sp, "file", "x", nil)
	if err := os.Symlink(t.TempDir(), filepath.Join(home, "out")); err != nil {
		t.Fatal(err)
	}
	up, err := sp.OpenUpload("dir")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	errs := map[string]error{
		"stat":         func() error { _, err := sp.Stat("missing/x"); return err }(),
		"list":         func() error { _, err := sp.List("file"); return err }(),
		"open":         func() error { _, err := sp.Open("dir"); return err }(),
		"escape":       func() error { _, err := sp.Open("out/x"); return err }(),
		"mkdir":        sp.Mkdir("file/x", true),
		"remove":       sp.Remove("nothing", false),
		"rename":       sp.Rename("file", "dir"),
		"commit":       up.Commit(nil, time.Time{}),
		"truncate":     up.Truncate(99),
		"long":         sp.Mkdir(strings.Repeat("x", 300), false),
		"discard busy": sp.DiscardUpload("dir"),
	}
	for name, err := range errs {
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, home) || strings.Contains(msg, ".part") || strings.Contains(msg, ".netdisk/") {
			t.Errorf("%s: error %q reveals a server path", name, msg)
		}
	}
	if !errors.Is(errs["escape"], storage.ErrInvalidPath) {
		t.Errorf("escape: %v, want ErrInvalidPath", errs["escape"])
	}
	up.Close()
	f, err := sp.Open("file")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := f.Read(make([]byte, 1)); err == nil || strings.Contains(err.Error(), home) {
		t.Errorf("Read after Close: %v", err)
	}
}
