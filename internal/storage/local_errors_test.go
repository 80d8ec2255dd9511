package storage_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"netdisk/internal/storage"
	"netdisk/internal/storage/storetest"
)

func TestLocalErrorsHideServerPaths(t *testing.T) {
	ctx := t.Context()
	store, sp, home := localSpace(t)
	if err := sp.Mkdir(ctx, "dir"); err != nil {
		t.Fatal(err)
	}
	put(t, store, sp, "file", "x", nil)
	if err := os.Symlink(t.TempDir(), filepath.Join(home, "out")); err != nil {
		t.Fatal(err)
	}
	up, err := sp.OpenUpload(ctx, "dir")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	errs := map[string]error{
		"stat":         func() error { _, err := sp.Stat(ctx, "missing/x"); return err }(),
		"list":         func() error { _, err := storetest.ListAll(ctx, sp, "file"); return err }(),
		"open":         func() error { _, err := sp.Open(ctx, "dir"); return err }(),
		"escape":       func() error { _, err := sp.Open(ctx, "out/x"); return err }(),
		"mkdir":        sp.MkdirAll(ctx, "file/x"),
		"remove":       sp.Remove(ctx, "nothing"),
		"rename":       sp.Rename(ctx, "file", "dir"),
		"commit":       commit(store, up, nil),
		"truncate":     up.Truncate(99),
		"long":         sp.Mkdir(ctx, strings.Repeat("x", 300)),
		"discard busy": sp.DiscardUpload(ctx, "dir"),
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
	f, err := sp.Open(ctx, "file")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := f.Read(make([]byte, 1)); err == nil || strings.Contains(err.Error(), home) {
		t.Errorf("Read after Close: %v", err)
	}
}
