package cloud_test

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"netdisk/internal/storage"
	"netdisk/internal/storage/storetest"
)

// Two stores on one database and bucket, as two servers would be: an
// upload held by one is busy on the other; once let go, the other resumes
// it at the exact byte with its state and commits it; a folder renamed
// through one is never seen half moved through the other.
func TestTwoStores(t *testing.T) {
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
		t.Fatalf("the folder made through A, through B: %v", err)
	}
	defer spB.Close()

	first := strings.Repeat("0123456789abcdef", 5000) // 80,000 bytes: more than one 64 KiB chunk
	up, err := spA.OpenUpload(ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(up, first)
	if _, err := spB.OpenUpload(ctx, "big"); !errors.Is(err, storage.ErrBusy) {
		t.Fatalf("OpenUpload through B while A holds it: %v, want ErrBusy", err)
	}
	up.SetState([]byte("state of 80000"))
	if err := up.Close(); err != nil {
		t.Fatal(err)
	}
	upB, err := spB.OpenUpload(ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	if upB.Size() != int64(len(first)) || string(upB.State()) != "state of 80000" {
		t.Fatalf("resumed through B: Size %d, State %q", upB.Size(), upB.State())
	}
	held := make([]byte, len(first))
	if n, err := upB.ReadAt(held, 0); n != len(first) || (err != nil && err != io.EOF) || string(held) != first {
		t.Fatalf("ReadAt through B = %d, %v", n, err)
	}
	io.WriteString(upB, "|end")
	if errs := b.Commit(ctx, []storage.Commit{{Upload: upB}}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	f, err := spA.Open(ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(f)
	f.Close()
	if err != nil || string(got) != first+"|end" {
		t.Fatalf("read through A: %d bytes, %v", len(got), err)
	}

	// Rename through A while B lists.
	const files = 300
	if err := spA.Mkdir(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	for i := range files {
		tmp, err := spA.TempUpload(ctx, fmt.Sprintf("a/f%03d", i))
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(tmp, "x")
		if errs := a.Commit(ctx, []storage.Commit{{Upload: tmp}}); errs[0] != nil {
			t.Fatal(errs[0])
		}
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; !stop.Load() && i < 400; i++ {
			from, to := "a", "b"
			if i%2 == 1 {
				from, to = to, from
			}
			if err := spA.Rename(ctx, from, to); err != nil {
				t.Errorf("Rename(%s, %s): %v", from, to, err)
				return
			}
		}
	})
	seen := 0
	deadline := time.Now().Add(20 * time.Second)
	for seen < 100 && time.Now().Before(deadline) {
		for _, dir := range []string{"a", "b"} {
			names, err := storetest.NamesOf(ctx, spB, dir)
			if errors.Is(err, fs.ErrNotExist) { // moved away this instant

				continue
			}
			if err != nil {
				stop.Store(true)
				wg.Wait()
				t.Fatal(err)
			}
			if len(names) != files {
				stop.Store(true)
				wg.Wait()
				t.Fatalf("B listed %d of %d files in %s: a folder half moved", len(names), files, dir)
			}
			seen++
		}
	}
	stop.Store(true)
	wg.Wait()
	if seen == 0 {
		t.Fatal("B never saw the folder")
	}
}
