package cloud_test

import (
	"fmt"
	"strings"
	"sync"
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

// TestSharedIdentity: servers starting together on one bucket end with
// one identity: exactly one of them makes it, the others read it.
func TestSharedIdentity(t *testing.T) {
	w := newWhere(t)
	stores := []*cloud.Store{w.open(t, nil), w.open(t, nil), w.open(t, nil), w.open(t, nil)}
	pems := make([][]byte, len(stores))
	created := make([]bool, len(stores))
	var wg sync.WaitGroup
	for i, st := range stores {
		wg.Go(func() {
			var err error
			pems[i], created[i], err = st.SharedIdentity(t.Context(), func() ([]byte, error) {
				return []byte(fmt.Sprintf("identity of store %d", i)), nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	makers := 0
	for i := range stores {
		if created[i] {
			makers++
		}
		if string(pems[i]) != string(pems[0]) {
			t.Fatalf("store %d got %q, store 0 %q", i, pems[i], pems[0])
		}
	}
	if makers != 1 {
		t.Fatalf("%d stores made the identity; want 1", makers)
	}
}
