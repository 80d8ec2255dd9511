package cloud_test

import (
	"strings"
	"testing"

	"netdisk/internal/storage"
	"netdisk/internal/storage/cloud"
)

// TestAvailable: without a capacity the store takes files of up to
// cloud.MaxFile; with one, what it holds (unfinished uploads included)
// comes off it.
func TestAvailable(t *testing.T) {
	w := newWhere(t)
	a := w.open(t, nil)
	ctx := t.Context()
	if c, err := a.Available(ctx); err != nil || c.Bytes != cloud.MaxFile || c.Inodes != -1 {
		t.Fatalf("Available without a capacity = %+v, %v", c, err)
	}
	sp, err := a.CreateSpace(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	up, err := sp.TempUpload(ctx, "f")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := up.Write([]byte(strings.Repeat("x", 300_000))); err != nil {
		t.Fatal(err)
	}
	if errs := a.Commit(ctx, []storage.Commit{{Upload: up}}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	b := w.open(t, func(c *cloud.Config) { c.Capacity = 1_000_000 })
	if c, err := b.Available(ctx); err != nil || c.Bytes != 700_000 {
		t.Fatalf("Available with a capacity of 1,000,000 and 300,000 held = %+v, %v", c, err)
	}
}
