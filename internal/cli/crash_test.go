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

	"netdisk/internal/testwait"
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
	// Sizes from 200 KiB (sent whole, without resume) to 3.4 MiB, so the
	// kill finds some uploads done and others half-way.
	load := runCrashLoad(t, srv, owner, "crash", "crash password", n, func(i int) int { return 1<<20 + i*1000 }, func(i int) int { return 200<<10 + i*170<<10 })
	olds, news, newPaths, acked := load.olds, load.news, load.newPaths, load.acked
	t.Logf("killed the server with %d of %d registrations acknowledged", len(acked), n)

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

// crashLoad is what runCrashLoad did: the old and new version of each
// file f00, f01…, the local files of the new ones, and the registrations
// the server acknowledged before it was killed.
type crashLoad struct {
	olds, news [][]byte
	newPaths   []string
	acked      map[string]bool
}

// runCrashLoad puts n files (oldSize(i) bytes) through owner, logged in
// on srv as name with password; then sends their new versions
// (newSize(i) bytes) as name through a proxy that holds each upload to
// 4 MiB/s, and makes n registrations (reg00, reg01…) straight on srv,
// all at once; kills srv with SIGKILL once a random half to nine tenths of
// the new versions' bytes has gone through (some uploads done, others
// half-way, whatever the machine's load), and returns once every
// command has ended.
func runCrashLoad(t *testing.T, srv *procServer, owner *user, name, password string, n int, oldSize, newSize func(int) int) crashLoad {
	t.Helper()
	dir := t.TempDir()
	load := crashLoad{olds: make([][]byte, n), news: make([][]byte, n), newPaths: make([]string, n), acked: map[string]bool{}}
	for i := range n {
		var oldPath string
		oldPath, load.olds[i] = randomFile(t, dir, fmt.Sprintf("old%02d", i), oldSize(i), uint64(100+i))
		load.newPaths[i], load.news[i] = randomFile(t, dir, fmt.Sprintf("new%02d", i), newSize(i), uint64(200+i))
		owner.ok("", "put", oldPath, fmt.Sprintf("f%02d", i))
	}
	proxy := newCutProxy(t, srv.addr)
	proxy.rate.Store(4 << 20)
	uploader := srv.user(t, true)
	uploader.server = proxy.addr
	uploader.ok(password+"\n", "login", "--password-stdin", name)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range n {
		wg.Go(func() { uploader.run("", "put", load.newPaths[i], fmt.Sprintf("f%02d", i)) })
		wg.Go(func() {
			reg := fmt.Sprintf("reg%02d", i)
			if r := srv.user(t, true).run(reg+" password\n", "register", "--password-stdin", reg); r.code == 0 {
				mu.Lock()
				load.acked[reg] = true
				mu.Unlock()
			}
		})
	}
	var total int64
	for i := range n {
		total += int64(newSize(i))
	}
	killAt := total/2 + rand.Int64N(total*2/5)
	testwait.Until(t, time.Minute, func() bool { return proxy.sent.Load() >= killAt }, func() string {
		return fmt.Sprintf("%d of the %d bytes to kill at went through the proxy", proxy.sent.Load(), killAt)
	})
	srv.kill()
	wg.Wait()
	return load
}
