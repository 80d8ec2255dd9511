package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"netdisk/internal/daemon"
)

func randomFile(t *testing.T, dir, name string, size int, seed uint64) (string, []byte) {
	t.Helper()
	data := make([]byte, size)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for i := 0; i+8 <= len(data); i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			data[i+j] = byte(v >> (8 * j))
		}
	}
	for i := len(data) &^ 7; i < len(data); i++ {
		data[i] = byte(rng.Uint32())
	}
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, data
}

func sameFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: %d bytes, SHA-256 %x; want %d bytes, %x", path, len(got), sha256.Sum256(got), len(want), sha256.Sum256(want))
	}
}

// serverFile is the path of a user's file in the server's data folder.
func (s *testServer) serverFile(user, name string) string {
	return filepath.Join(s.cfg.DataDir, "files", user, filepath.FromSlash(name))
}

func TestPutGetRoundTrip(t *testing.T) {
	for _, plaintext := range []bool{false, true} {
		t.Run(fmt.Sprintf("plaintext=%v", plaintext), func(t *testing.T) {
			srv := startServer(t, func(c *daemon.Config) { c.Plaintext = plaintext })
			u := srv.registered(t, "alice", "alice's password")
			dir := t.TempDir()
			for i, size := range []int{0, 1, 4096, 256<<10 + 1, 1<<20 - 1, 1 << 20, 3<<20 + 17} {
				name := fmt.Sprintf("f%d.bin", size)
				local, data := randomFile(t, dir, name, size, uint64(i+1))
				out := u.ok("", "put", local)
				if !strings.Contains(out, "stored "+name) {
					t.Errorf("put said %q", out)
				}
				sameFile(t, srv.serverFile("alice", name), data)
				back := filepath.Join(dir, "back-"+name)
				u.ok("", "get", name, back)
				sameFile(t, back, data)
				if _, err := os.Stat(back + partSuffix); err == nil {
					t.Errorf("%s left behind", back+partSuffix)
				}
			}
			// Overwrite: the new version replaces the old.
			local, data := randomFile(t, dir, "f4096.bin", 5000, 99)
			u.ok("", "put", local)
			sameFile(t, srv.serverFile("alice", "f4096.bin"), data)
			// The modification time travels both ways.
			info, _ := os.Stat(local)
			back := filepath.Join(dir, "mtime.bin")
			u.ok("", "get", "f4096.bin", back)
			binfo, _ := os.Stat(back)
			if !binfo.ModTime().Equal(info.ModTime()) {
				t.Errorf("mtime %v, want %v", binfo.ModTime(), info.ModTime())
			}
			if out := u.ok("", "uploads"); !strings.Contains(out, "No unfinished uploads") {
				t.Errorf("uploads after clean transfers: %q", out)
			}
		})
	}
}

func TestPutRefusals(t *testing.T) {
	srv := startServer(t)
	u := srv.registered(t, "bob", "bob's password1")
	dir := t.TempDir()
	local, _ := randomFile(t, dir, "x.bin", 100, 1)
	u.ok("", "mkdir", "folder")
	u.fails("not exist", "", "put", local, "missing/x.bin")
	u.fails("is a folder", "", "put", dir)
	u.fails("refused", "", "put", local, "../x.bin")
	u.ok("", "put", local, "folder") // into the folder
	sameFile(t, srv.serverFile("bob", "folder/x.bin"), mustRead(t, local))
	u.fails("not a folder", "", "put", local, "folder/x.bin/y")
	u.fails("is a folder", "", "get", "folder", filepath.Join(dir, "y"))
	u.fails("not exist", "", "get", "nothing.bin", filepath.Join(dir, "y"))
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGetNeverOverwritesSilently: an existing local file is left alone
// unless --overwrite, --resume or an answer says otherwise.
func TestGetNeverOverwritesSilently(t *testing.T) {
	srv := startServer(t)
	u := srv.registered(t, "carol", "carol's password")
	dir := t.TempDir()
	local, data := randomFile(t, dir, "remote.bin", 70_000, 7)
	u.ok("", "put", local, "remote.bin")
	mine := filepath.Join(dir, "mine.txt")
	os.WriteFile(mine, []byte("my own precious words"), 0o644)

	u.fails("--resume", "", "get", "remote.bin", mine)
	if got := string(mustRead(t, mine)); got != "my own precious words" {
		t.Fatalf("refused get changed the file: %q", got)
	}
	// In the shell the user is asked; "c" cancels.
	r := u.run("get remote.bin "+mine+"\nc\nexit\n", "shell")
	if !strings.Contains(r.stdout, "[r]esume, [o]verwrite") {
		t.Fatalf("the shell did not ask:\n%s\n%s", r.stdout, r.stderr)
	}
	if got := string(mustRead(t, mine)); got != "my own precious words" {
		t.Fatalf("cancel changed the file: %q", got)
	}
	// "o" overwrites.
	u.run("get remote.bin "+mine+"\no\nexit\n", "shell")
	sameFile(t, mine, data)
	// --overwrite does it without asking.
	os.WriteFile(mine, []byte("again"), 0o644)
	u.ok("", "get", "--overwrite", "remote.bin", mine)
	sameFile(t, mine, data)
}

// TestResumeAfterCut cuts the connection at a random offset during an
// upload and during a download, then runs the same command again: the
// transfer resumes (it says so) and the bytes are identical.
func TestResumeAfterCut(t *testing.T) {
	for _, plaintext := range []bool{false, true} {
		t.Run(fmt.Sprintf("plaintext=%v", plaintext), func(t *testing.T) {
			srv := startServer(t, func(c *daemon.Config) { c.Plaintext = plaintext })
			srv.registered(t, "dave", "dave's password")
			u, proxy := srv.viaProxy(t, "dave", "dave's password")
			dir := t.TempDir()
			const size = 6 << 20
			local, data := randomFile(t, dir, "big.bin", size, 42)
			rng := rand.New(rand.NewPCG(uint64(len(t.Name())), 5))

			cut := int64(1<<20 + rng.IntN(4<<20))
			proxy.up.Store(cut)
			r := u.run("", "put", local, "big.bin")
			if r.code == 0 || proxy.cuts.Load() != 1 {
				t.Fatalf("upload cut at %d: exit %d, cuts %d\n%s", cut, r.code, proxy.cuts.Load(), r.stderr)
			}
			if !strings.Contains(r.stderr, "interrupted") {
				t.Errorf("no advice after the cut: %q", r.stderr)
			}
			if out := u.ok("", "uploads"); !strings.Contains(out, "big.bin") {
				t.Errorf("the partial is not listed: %q", out)
			}
			if _, err := os.Stat(srv.serverFile("dave", "big.bin")); err == nil {
				t.Fatal("a partial upload became the file")
			}
			proxy.up.Store(-1)
			out := u.ok("", "put", local, "big.bin")
			if !strings.Contains(out, "resumed after") {
				t.Errorf("the second put did not resume: %q", out)
			}
			sameFile(t, srv.serverFile("dave", "big.bin"), data)

			cut = int64(1<<20 + rng.IntN(4<<20))
			proxy.down.Store(cut)
			back := filepath.Join(dir, "back.bin")
			r = u.run("", "get", "big.bin", back)
			if r.code == 0 {
				t.Fatalf("download cut at %d succeeded", cut)
			}
			if _, err := os.Stat(back); err == nil {
				t.Fatal("an interrupted download became the file")
			}
			if !strings.Contains(r.stderr, "--resume") {
				t.Errorf("no advice after the cut: %q", r.stderr)
			}
			proxy.down.Store(-1)
			u.fails("--resume", "", "get", "big.bin", back) // neither flag: refused
			out = u.ok("", "get", "--resume", "big.bin", back)
			if !strings.Contains(out, "resumed after") {
				t.Errorf("the second get did not resume: %q", out)
			}
			sameFile(t, back, data)
		})
	}
}

// TestTamperedPartialRestarts changes one byte of the bytes already
// transferred, on the server (upload) and locally (download): the resume
// must notice, say so, and start again, and the result must be right.
func TestTamperedPartialRestarts(t *testing.T) {
	srv := startServer(t, func(c *daemon.Config) { c.Plaintext = true })
	srv.registered(t, "erin", "erin's password")
	u, proxy := srv.viaProxy(t, "erin", "erin's password")
	dir := t.TempDir()
	local, data := randomFile(t, dir, "big.bin", 4<<20, 3)

	proxy.up.Store(3 << 20)
	u.run("", "put", local, "big.bin")
	proxy.up.Store(-1)
	srv.waitIdle(t) // the server has let go of the partial: tamper with it now, not while it is written
	parts, _ := filepath.Glob(filepath.Join(srv.cfg.DataDir, "files", "erin", ".netdisk", "uploads", "*.part"))
	if len(parts) != 1 {
		t.Fatalf("partials on the server: %v", parts)
	}
	flipByte(t, parts[0], 12345)
	r := u.run("", "put", local, "big.bin")
	if r.code != 0 || !strings.Contains(r.stderr, "could not resume") || strings.Contains(r.stdout, "resumed after") {
		t.Fatalf("tampered server partial: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	sameFile(t, srv.serverFile("erin", "big.bin"), data)

	back := filepath.Join(dir, "back.bin")
	proxy.down.Store(2 << 20)
	u.run("", "get", "big.bin", back)
	proxy.down.Store(-1)
	flipByte(t, back+partSuffix, 1000)
	r = u.run("", "get", "--resume", "big.bin", back)
	if r.code != 0 || !strings.Contains(r.stderr, "starting again from zero") || strings.Contains(r.stdout, "resumed after") {
		t.Fatalf("tampered local partial: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	sameFile(t, back, data)
}

func flipByte(t *testing.T, path string, at int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, at); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentWritersOfOnePath: two clients upload different contents to
// the same path at once; the result is exactly one of them, whole.
func TestConcurrentWritersOfOnePath(t *testing.T) {
	srv := startServer(t)
	a := srv.registered(t, "frank", "frank's password")
	b := srv.newUser(t)
	b.ok("frank's password\n", "login", "--password-stdin", "frank")
	dir := t.TempDir()
	for round, size := range []int{300_000, 3 << 20} { // one-shot puts, then resumable ones
		la, da := randomFile(t, dir, fmt.Sprintf("a%d", round), size, 10)
		lb, db := randomFile(t, dir, fmt.Sprintf("b%d", round), size+1000, 11)
		var wg sync.WaitGroup
		for _, job := range []struct {
			u     *user
			local string
		}{{a, la}, {b, lb}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if r := job.u.run("", "put", job.local, "shared.bin"); r.code != 0 {
					t.Errorf("put %s: %s", job.local, r.stderr)
				}
			}()
		}
		wg.Wait()
		got := mustRead(t, srv.serverFile("frank", "shared.bin"))
		if !bytes.Equal(got, da) && !bytes.Equal(got, db) {
			t.Fatalf("round %d: shared.bin (%d bytes) is neither upload whole", round, len(got))
		}
	}
}

func TestUnicodeNames(t *testing.T) {
	srv := startServer(t)
	u := srv.registered(t, "grace", "grace's password")
	dir := t.TempDir()
	local, data := randomFile(t, dir, "报告 2026.txt", 5000, 5)
	u.ok("", "mkdir", "文档")
	u.ok("", "put", local, "文档")
	if got := u.ok("", "ls", "文档"); got != "报告 2026.txt\n" {
		t.Errorf("ls 文档 = %q", got)
	}
	back := filepath.Join(dir, "下载.txt")
	u.ok("", "get", "文档/报告 2026.txt", back)
	sameFile(t, back, data)

	// A name typed in decomposed form (NFD) is stored in NFC.
	nfd := filepath.Join(dir, "cafe\u0301.txt")
	os.WriteFile(nfd, []byte("x"), 0o644)
	u.ok("", "put", nfd)
	if _, err := os.Stat(srv.serverFile("grace", "caf\u00e9.txt")); err != nil {
		t.Errorf("the NFD name was not stored as NFC: %v", err)
	}
	// A twin made outside netdisk (in NFD) blocks a new NFC name.
	os.WriteFile(srv.serverFile("grace", "nai\u0308ve.txt"), []byte("made on the server"), 0o644)
	u.fails("Unicode form", "", "put", nfd, "na\u00efve.txt")
	u.fails("Unicode form", "", "mkdir", "na\u00efve.txt")
}

func TestFolderTransfers(t *testing.T) {
	srv := startServer(t)
	u := srv.registered(t, "heidi", "heidi's password")
	src := t.TempDir()
	want := map[string][]byte{}
	for i := range 60 {
		name := fmt.Sprintf("sub%d/文件%02d.bin", i%3, i)
		size := 100 + i*97
		if i == 7 {
			size = 2<<20 + 3 // one resumable-sized file among the small ones
		}
		_, data := randomFile(t, src, name, size, uint64(i))
		want[name] = data
	}
	os.MkdirAll(filepath.Join(src, "empty"), 0o755)
	out := u.ok("", "put", "-r", "--parallel", "3", src+"/", "tree") // what is in src, into tree
	if !strings.Contains(out, "uploaded 60 of 60 files") {
		t.Errorf("put -r said %q", out)
	}
	if got := u.ok("", "ls", "tree"); got != "empty/\nsub0/\nsub1/\nsub2/\n" {
		t.Errorf("ls tree = %q", got)
	}
	parent := t.TempDir()
	dst := filepath.Join(parent, "tree") // get -r tree PARENT makes PARENT/tree
	out = u.ok("", "get", "-r", "--parallel", "2", "tree", parent)
	if !strings.Contains(out, "downloaded 60 of 60 files") {
		t.Errorf("get -r said %q", out)
	}
	for name, data := range want {
		sameFile(t, filepath.Join(dst, filepath.FromSlash(name)), data)
	}
	if info, err := os.Stat(filepath.Join(dst, "empty")); err != nil || !info.IsDir() {
		t.Errorf("the empty folder did not come back: %v", err)
	}
	// Again: every file is there, the same; nothing is sent.
	if out := u.ok("", "get", "-r", "tree", parent); !strings.Contains(out, "downloaded 0 of 0 files, 60 skipped (already there)") {
		t.Errorf("get -r again said %q", out)
	}
	// One changed locally: it is not the server's, so get asks (and
	// without a terminal refuses) before touching it.
	changed := filepath.Join(dst, "sub1", "文件01.bin")
	os.WriteFile(changed, []byte("mine now"), 0o644)
	u.fails("--resume", "", "get", "-r", "tree", parent)
	u.ok("", "get", "-r", "--overwrite", "tree", parent)
	sameFile(t, changed, want["sub1/文件01.bin"])
}

func TestProgressLinesWithoutTerminal(t *testing.T) {
	srv := startServer(t)
	u := srv.registered(t, "ivan", "ivan's password")
	local, _ := randomFile(t, t.TempDir(), "f.bin", 2<<20, 1)
	r := u.run("", "put", local)
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	if strings.ContainsAny(r.stdout+r.stderr, "\r\x1b") {
		t.Errorf("control characters in non-terminal output: %q %q", r.stdout, r.stderr)
	}
	r = u.run("", "-q", "put", local, "g.bin")
	if r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Errorf("--quiet printed %q %q", r.stdout, r.stderr)
	}
}

func TestDiscardUpload(t *testing.T) {
	srv := startServer(t, func(c *daemon.Config) { c.Plaintext = true })
	srv.registered(t, "judy", "judy's password")
	u, proxy := srv.viaProxy(t, "judy", "judy's password")
	local, _ := randomFile(t, t.TempDir(), "f.bin", 3<<20, 1)
	proxy.up.Store(2 << 20)
	u.run("", "put", local)
	proxy.up.Store(-1)
	if out := u.ok("", "uploads"); !strings.Contains(out, "f.bin") {
		t.Fatalf("uploads = %q", out)
	}
	u.ok("", "uploads", "discard", "f.bin")
	if out := u.ok("", "uploads"); !strings.Contains(out, "No unfinished uploads") {
		t.Fatalf("after discard: %q", out)
	}
	u.fails("not exist", "", "uploads", "discard", "f.bin")
}

// TestStalledUploadIsTakenOver: the connection of an upload goes silent
// (no FIN, as when a laptop changes networks). The same user's next put of
// the same file must not wait for the server's read deadline: after a few
// seconds without progress the new attempt takes the partial over and
// resumes it.
func TestStalledUploadIsTakenOver(t *testing.T) {
	srv := startServer(t, func(c *daemon.Config) { c.Plaintext = true })
	direct := srv.registered(t, "mike", "mike's password")
	direct.plaintext = true
	stalled, proxy := srv.viaProxy(t, "mike", "mike's password")
	local, data := randomFile(t, t.TempDir(), "f.bin", 4<<20, 9)

	proxy.freeze.Store(true)
	proxy.up.Store(2 << 20)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result, 1)
	go func() { done <- stalled.runCtx(ctx, "", "put", local) }()
	for proxy.cuts.Load() == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	out := direct.ok("", "put", local)
	if !strings.Contains(out, "resumed after") {
		t.Errorf("the new put did not resume the stalled one: %q", out)
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("took %v (the read deadline is 30 s)", took)
	}
	sameFile(t, srv.serverFile("mike", "f.bin"), data)
	cancel()
	<-done
}

// TestOldPartialsExpire: the server removes unfinished uploads untouched
// for longer than --upload-max-age.
func TestOldPartialsExpire(t *testing.T) {
	srv := startServer(t, func(c *daemon.Config) {
		c.Plaintext = true
		c.UploadMaxAge = 2 * time.Second
	})
	srv.registered(t, "olga", "olga's password")
	u, proxy := srv.viaProxy(t, "olga", "olga's password")
	local, _ := randomFile(t, t.TempDir(), "f.bin", 3<<20, 1)
	proxy.up.Store(2 << 20)
	u.run("", "put", local)
	proxy.up.Store(-1)
	if out := u.ok("", "uploads"); !strings.Contains(out, "f.bin") {
		t.Fatalf("no partial after the cut: %q", out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(u.ok("", "uploads"), "No unfinished uploads") {
		if time.Now().After(deadline) {
			t.Fatal("the partial did not expire")
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The janitor logs once it has removed the partial: it may not have yet.
	for !strings.Contains(srv.logs.String(), "expired unfinished uploads") {
		if time.Now().After(deadline) {
			t.Fatal("the expiry was not logged")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
