package cli

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"netdisk/internal/xlsxtest"
)

// TestCrashSafety runs the server as its own process, starts 20 uploads
// over existing files and 20 registrations at once, kills the server with
// SIGKILL in the middle, restarts it on the same data folder, and checks:
// the workbook opens and holds every registration that was acknowledged;
// every file is its complete old version or its complete new version; every
// interrupted upload resumes to the right bytes.
//
// SIGKILL ends the process, not the machine: the page cache survives, so
// this proves atomic replacement (rename over, never a torn file) and the
// acknowledgement order, not that fsync reached the disk; the fsyncs are
// checked by reading the code (internal/users/atomicfile.go,
// internal/storage/local_upload.go), not by this test.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a server process")
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	srv := startProcServer(t, dataDir, "--plaintext")
	owner := srv.user(t, true)
	owner.ok("crash password\n", "register", "--password-stdin", "crash")
	owner.ok("crash password\n", "login", "--password-stdin", "crash")

	const n = 20
	dir := t.TempDir()
	olds, news := make([][]byte, n), make([][]byte, n)
	newPaths := make([]string, n)
	for i := range n {
		var oldPath string
		oldPath, olds[i] = randomFile(t, dir, fmt.Sprintf("old%02d", i), 1<<20+i*1000, uint64(100+i))
		// Sizes from 200 KiB (sent whole, without resume) to 3.4 MiB, so the
		// kill finds some uploads done and others half-way.
		newPaths[i], news[i] = randomFile(t, dir, fmt.Sprintf("new%02d", i), 200<<10+i*170<<10, uint64(200+i))
		owner.ok("", "put", oldPath, fmt.Sprintf("f%02d", i))
	}

	// Uploads go through a proxy that holds each to 4 MiB/s, so that the
	// kill finds them half-way; registrations go straight to the server.
	proxy := newCutProxy(t, srv.addr)
	proxy.rate.Store(4 << 20)
	uploader := srv.user(t, true)
	uploader.server = proxy.addr
	uploader.ok("crash password\n", "login", "--password-stdin", "crash")

	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := map[string]bool{}
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			uploader.run("", "put", newPaths[i], fmt.Sprintf("f%02d", i))
		}()
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("reg%02d", i)
			r := srv.user(t, true).run(name+" password\n", "register", "--password-stdin", name)
			if r.code == 0 {
				mu.Lock()
				acked[name] = true
				mu.Unlock()
			}
		}()
	}
	time.Sleep(time.Duration(250+rand.IntN(200)) * time.Millisecond)
	srv.kill()
	wg.Wait()
	mu.Lock()
	t.Logf("killed the server with %d of %d registrations acknowledged", len(acked), n)
	mu.Unlock()

	srv.restart()

	rows := xlsxtest.ReadUsers(t, filepath.Join(dataDir, "users.xlsx"))
	inBook := map[string]bool{}
	for _, row := range rows[1:] {
		inBook[row[0].Text] = true
	}
	for name := range acked {
		if !inBook[name] {
			t.Errorf("registration of %s was acknowledged but is not in users.xlsx", name)
		}
		if r := srv.user(t, true).run(name+" password\n", "login", "--password-stdin", name); r.code != 0 {
			t.Errorf("%s cannot log in after the crash: %s", name, r.stderr)
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(dataDir, "users.xlsx.tmp*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary workbooks left after the restart: %v", leftovers)
	}

	whole := 0
	for i := range n {
		got := mustRead(t, filepath.Join(dataDir, "files", "crash", fmt.Sprintf("f%02d", i)))
		switch {
		case bytes.Equal(got, olds[i]):
		case bytes.Equal(got, news[i]):
			whole++
		default:
			t.Errorf("f%02d is neither its old nor its new version (%d bytes)", i, len(got))
		}
	}
	t.Logf("%d of %d uploads had completed before the kill", whole, n)

	resumed := 0
	for i := range n {
		r := owner.run("", "put", newPaths[i], fmt.Sprintf("f%02d", i))
		if r.code != 0 {
			t.Errorf("put f%02d after the restart: %s", i, r.stderr)
			continue
		}
		if strings.Contains(r.stdout, "resumed after") {
			resumed++
		}
		if got := mustRead(t, filepath.Join(dataDir, "files", "crash", fmt.Sprintf("f%02d", i))); !bytes.Equal(got, news[i]) {
			t.Errorf("f%02d after the resumed upload differs from the new version", i)
		}
	}
	t.Logf("%d uploads resumed from their partials", resumed)
	if resumed == 0 && whole < n {
		t.Error("no interrupted upload resumed")
	}
	if _, err := os.Stat(filepath.Join(dataDir, "files", "crash", ".netdisk", "uploads")); err == nil {
		if parts, _ := filepath.Glob(filepath.Join(dataDir, "files", "crash", ".netdisk", "uploads", "*.part")); len(parts) != 0 {
			t.Errorf("partials left after every upload finished: %v", parts)
		}
	}
}
