package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"netdisk/internal/storage"
)

// testConcurrentCommits has many writers upload the same target at once:
// whoever commits last wins, but the file is always one writer's whole
// payload, never a mix.
func testConcurrentCommits(t *testing.T, store storage.Store) {
	ctx := t.Context()
	sp := openSpace(t, store, "alice")
	const writers = 8
	const size = 64 << 10
	payloads := make([][]byte, writers)
	for i := range payloads {
		payloads[i] = bytes.Repeat([]byte{byte('a' + i)}, size)
	}

	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Go(func() {
			errs <- uploadWhole(ctx, store, sp, "same.bin", payloads[i])
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}

	got := get(t, sp, "same.bin")
	whole := false
	for _, p := range payloads {
		whole = whole || got == string(p)
	}
	if !whole {
		t.Errorf("same.bin holds %d bytes, not one writer's whole payload", len(got))
	}
	if ups := uploadTargets(t, sp); len(ups) != 0 {
		t.Errorf("Uploads() = %v after all commits", ups)
	}
}

// uploadWhole uploads payload to target in chunks, through the resumable
// upload if it is free and a temporary one if not.
func uploadWhole(ctx context.Context, store storage.Store, sp storage.Space, target string, payload []byte) error {
	up, err := sp.OpenUpload(ctx, target)
	if errors.Is(err, storage.ErrBusy) {
		up, err = sp.TempUpload(ctx, target)
	}
	if err != nil {
		return err
	}
	defer up.Close()
	// The resumable partial may hold an earlier writer's bytes, had it
	// stopped halfway; start over.
	if err := up.Truncate(0); err != nil {
		return err
	}
	for chunk := range slices.Chunk(payload, 4096) {
		if _, err := up.Write(chunk); err != nil {
			return fmt.Errorf("writing: %w", err)
		}
	}
	return commit(ctx, store, up, nil, time.Time{})
}
