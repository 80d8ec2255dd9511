package cloud_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"netdisk/internal/storage"
	"netdisk/internal/storage/cloud"
	"netdisk/internal/testwait"
)

var errNoRoom = errors.New("no room")

// TestReserveAcrossStores: promises of room made through two stores at
// once (two servers) never add up past a limit; a promise given back
// makes room; a promise of a store that stops renewing it (its server
// died) lapses.
func TestReserveAcrossStores(t *testing.T) {
	w := newWhere(t)
	a, b := w.open(t, nil), w.open(t, nil)
	ctx := t.Context()
	spA, err := a.CreateSpace(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	defer spA.Close()
	spB, err := b.Space(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	defer spB.Close()
	const limit = 100
	fits := func(total, _ storage.Usage) error {
		if total.Bytes+10 > limit {
			return errNoRoom
		}
		return nil
	}
	var granted atomic.Int64
	var mu sync.Mutex
	var releases []func()
	var wg sync.WaitGroup
	for i := range 24 {
		sp := spA
		if i%2 == 1 {
			sp = spB
		}
		wg.Go(func() {
			release, err := sp.(storage.Reserving).Reserve(ctx, storage.Usage{Bytes: 10}, nil, fits)
			switch {
			case err == nil:
				granted.Add(1)
				mu.Lock()
				releases = append(releases, release)
				mu.Unlock()
			case !errors.Is(err, errNoRoom):
				t.Errorf("Reserve: %v", err)
			}
		})
	}
	wg.Wait()
	if got := granted.Load(); got != limit/10 {
		t.Fatalf("%d promises of 10 bytes granted against a limit of %d; want %d", got, limit, limit/10)
	}
	if _, err := spB.(storage.Reserving).Reserve(ctx, storage.Usage{Bytes: 10}, nil, fits); !errors.Is(err, errNoRoom) {
		t.Fatalf("Reserve past the limit = %v", err)
	}
	releases[0]()
	releases[0]() // twice: still one promise given back
	if _, err := spB.(storage.Reserving).Reserve(ctx, storage.Usage{Bytes: 10}, nil, fits); err != nil {
		t.Fatalf("Reserve after one promise was given back = %v", err)
	}
	if _, err := spB.(storage.Reserving).Reserve(ctx, storage.Usage{Bytes: 10}, nil, fits); !errors.Is(err, errNoRoom) {
		t.Fatalf("Reserve past the limit again = %v", err)
	}
	// A third store, with a short lease, makes the last promise and
	// stops renewing it (its server died): the promise lapses.
	releases[1]()
	c := w.open(t, func(c *cloud.Config) { c.Lease = 600 * time.Millisecond })
	spC, err := c.Space(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := spC.(storage.Reserving).Reserve(ctx, storage.Usage{Bytes: 10}, nil, fits); err != nil {
		t.Fatalf("Reserve through C after a promise was given back = %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	var last error
	testwait.Until(t, 10*time.Second, func() bool {
		_, last = spB.(storage.Reserving).Reserve(ctx, storage.Usage{Bytes: 10}, nil, fits)
		if last != nil && !errors.Is(last, errNoRoom) {
			t.Fatalf("Reserve while waiting for the lapse: %v", last)
		}
		return last == nil
	}, func() string { return fmt.Sprintf("the promise of a store that stopped did not lapse: %v", last) })
}

// TestReserveCountsStoredBytesOnce: what an upload stores after its
// promise counts once, in the folder's usage, not again in the promise:
// near the limit, room left by the upload's final size is still given.
func TestReserveCountsStoredBytesOnce(t *testing.T) {
	w := newWhere(t)
	st := w.open(t, func(c *cloud.Config) { c.ChunkSize = 32 })
	ctx := t.Context()
	sp, err := st.CreateSpace(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	const limit = 100
	fits := func(need int64) func(total, _ storage.Usage) error {
		return func(total, _ storage.Usage) error {
			if total.Bytes+need > limit {
				return errNoRoom
			}
			return nil
		}
	}
	up, err := sp.OpenUpload(ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	release, err := sp.(storage.Reserving).Reserve(ctx, storage.Usage{Bytes: 80}, up, fits(80))
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if _, err := up.Write(make([]byte, 60)); err != nil { // 32 stored, 28 in memory
		t.Fatal(err)
	}
	if _, err := sp.(storage.Reserving).Reserve(ctx, storage.Usage{Bytes: 10}, nil, fits(10)); err != nil {
		t.Fatalf("10 bytes more beside an upload promised 80 of a limit of 100 = %v; want them given", err)
	}
	if _, err := sp.(storage.Reserving).Reserve(ctx, storage.Usage{Bytes: 11}, nil, fits(11)); !errors.Is(err, errNoRoom) {
		t.Fatalf("11 bytes more, past the limit = %v; want refused", err)
	}
}
