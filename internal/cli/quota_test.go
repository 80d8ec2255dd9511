package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"netdisk/internal/daemon"
	"netdisk/internal/users"
)

func setQuota(t *testing.T, srv *testServer, name string, bytes int64) {
	t.Helper()
	err := srv.d.Users.Update(context.Background(), name, func(u *users.User) error {
		u.QuotaBytes = bytes
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestQuota: uploads past the quota are refused before their bytes move,
// and unfinished uploads count against it (else a user could fill the disk
// with interrupted uploads).
func TestQuota(t *testing.T) {
	srv := startServer(t, func(c *daemon.Config) { c.Plaintext = true })
	srv.registered(t, "quinn", "quinn's password")
	setQuota(t, srv, "quinn", 5<<20)
	u, proxy := srv.viaProxy(t, "quinn", "quinn's password")
	dir := t.TempDir()

	small, _ := randomFile(t, dir, "small.bin", 1<<20, 1)
	u.ok("", "put", small)
	if out := u.ok("", "df"); !strings.Contains(out, "of 5.0 MiB") {
		t.Errorf("df = %q", out)
	}
	big, _ := randomFile(t, dir, "big.bin", 3<<20, 2)
	proxy.up.Store(2 << 20) // leaves about 2 MiB unfinished on the server
	u.run("", "put", big)
	proxy.up.Store(-1)
	// 1 MiB stored + ~2 MiB unfinished + 3 MiB more would pass 5 MiB.
	other, _ := randomFile(t, dir, "other.bin", 3<<20, 3)
	// In the same units as everywhere else.
	u.fails("of 5.0 MiB used, this needs 3.0 MiB more", "", "put", other)
	// Resuming the unfinished one needs only its rest: it fits.
	if out := u.ok("", "put", big); !strings.Contains(out, "resumed after") {
		t.Errorf("resume under the quota: %q", out)
	}
	u.fails("quota exceeded", "", "put", other)
	u.ok("", "rm", "big.bin")
	u.ok("", "put", other)
}

// TestPutTreeSurvivesARefusal: one file the server refuses (its target is
// a folder) fails alone, with the server's reason, not the whole tree.
func TestPutTreeSurvivesARefusal(t *testing.T) {
	srv := startServer(t)
	u := srv.registered(t, "rita", "rita's password")
	src := filepath.Join(t.TempDir(), "src")
	for i := range 120 {
		randomFile(t, src, fmt.Sprintf("f%03d.bin", i), 100<<10, uint64(i))
	}
	u.ok("", "mkdir", "-p", "tree/src/f036.bin") // a folder where a file will go (put -r src tree makes tree/src)
	r := u.run("", "put", "-r", "--parallel", "2", src, "tree")
	if r.code == 0 {
		t.Fatal("put -r succeeded despite the refused file")
	}
	if !strings.Contains(r.stdout, "uploaded 119 of 120 files") || !strings.Contains(r.stderr, "f036.bin") || !strings.Contains(r.stderr, "folder") {
		t.Fatalf("put -r with one refusal:\nstdout %s\nstderr %s", r.stdout, r.stderr)
	}
}

// TestLiveUploadNotTakenOver: a slow but moving upload is not interrupted
// by a second upload of the same file; both complete, each whole.
func TestLiveUploadNotTakenOver(t *testing.T) {
	srv := startServer(t, func(c *daemon.Config) { c.Plaintext = true })
	fast := srv.registered(t, "sam", "sam's password")
	fast.plaintext = true
	slow, proxy := srv.viaProxy(t, "sam", "sam's password")
	proxy.rate.Store(512 << 10)
	dir := t.TempDir()
	a, da := randomFile(t, dir, "a.bin", 3<<19, 1) // 1.5 MiB: about 3 s at 512 KiB/s
	b, db := randomFile(t, dir, "b.bin", 3<<19, 2)
	var wg sync.WaitGroup
	var slowResult result
	wg.Add(1)
	go func() {
		defer wg.Done()
		slowResult = slow.run("", "put", a, "same.bin")
	}()
	time.Sleep(time.Second)
	fast.ok("", "put", b, "same.bin")
	wg.Wait()
	if slowResult.code != 0 {
		t.Fatalf("the slow upload was interrupted: %s", slowResult.stderr)
	}
	got := mustRead(t, srv.serverFile("sam", "same.bin"))
	if string(got) != string(da) && string(got) != string(db) {
		t.Fatal("same.bin is neither upload")
	}
}
