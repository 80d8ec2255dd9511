package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// An interrupted put -r, run again as the advice says, continues the same
// copy: no nested second copy, files already there skipped, the rest sent;
// the same for get -r.
func TestFolderRerunContinuesTheSameCopy(t *testing.T) {
	s := startServer(t)
	u := s.registered(t, "alice", "correct horse battery")
	src := filepath.Join(t.TempDir(), "tree")
	want := map[string][]byte{}
	for i := range 30 {
		name := fmt.Sprintf("d%d/f%02d.bin", i%3, i)
		_, data := randomFile(t, src, name, 50000+i, uint64(i))
		want[name] = data
	}

	// Cut off after the first files arrive.
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer cancel()
		for i := 0; i < 5000; i++ {
			if entries, _ := os.ReadDir(s.serverFile("alice", "dest/tree/d0")); len(entries) >= 3 {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	u.runCtx(ctx, "", "put", "-r", "--parallel", "1", src, "dest")
	cancel()

	// The same command again.
	out := u.ok("", "put", "-r", src, "dest")
	if !strings.Contains(out, "skipped (already there)") && !strings.Contains(out, "uploaded 30 of 30 files") {
		t.Errorf("the re-run said %q", out)
	}
	if got := u.ok("", "ls", "dest"); got != "tree/\n" {
		t.Errorf("after the re-run dest holds %q; want only tree/", got)
	}
	for name, data := range want {
		sameFile(t, s.serverFile("alice", "dest/tree/"+name), data)
	}
	// A third time sends nothing.
	if out := u.ok("", "put", "-r", src, "dest"); !strings.Contains(out, "uploaded 0 of 0 files, 30 skipped (already there)") {
		t.Errorf("a third put -r said %q", out)
	}
	// Changed locally: sent again, alone.
	changed := filepath.Join(src, "d1", "f04.bin")
	os.WriteFile(changed, []byte("changed"), 0o644)
	if out := u.ok("", "put", "-r", src, "dest"); !strings.Contains(out, "uploaded 1 of 1 files, 29 skipped") {
		t.Errorf("put -r after a change said %q", out)
	}
	// --ignore-existing leaves even a changed file alone.
	os.WriteFile(changed, []byte("changed again"), 0o644)
	if out := u.ok("", "put", "-r", "--ignore-existing", src, "dest"); !strings.Contains(out, "uploaded 0 of 0 files, 30 skipped") {
		t.Errorf("put -r --ignore-existing said %q", out)
	}
	// Contents only, with a trailing slash.
	u.ok("", "put", "-r", src+"/", "flat")
	if got := u.ok("", "ls", "flat"); got != "d0/\nd1/\nd2/\n" {
		t.Errorf("put -r tree/ flat made %q", got)
	}

	// get -r: the same rule and skipping.
	local := t.TempDir()
	out = u.ok("", "get", "-r", "dest/tree", local)
	if !strings.Contains(out, "downloaded 30 of 30 files") {
		t.Errorf("get -r said %q", out)
	}
	if out := u.ok("", "get", "-r", "dest/tree", local); !strings.Contains(out, "downloaded 0 of 0 files, 30 skipped (already there)") {
		t.Errorf("get -r again said %q", out)
	}
	entries, _ := os.ReadDir(local)
	if len(entries) != 1 || entries[0].Name() != "tree" {
		t.Errorf("get -r dest/tree LOCAL made %v in LOCAL; want tree only", entries)
	}
	flat := t.TempDir()
	u.ok("", "get", "-r", "dest/tree/", flat)
	if _, err := os.Stat(filepath.Join(flat, "d0", "f00.bin")); err != nil {
		t.Errorf("get -r dest/tree/ LOCAL did not put the contents in LOCAL: %v", err)
	}
}

// --checksum compares content, not size and time: a file changed in place
// with its time put back is sent again; hash shows the recorded digest.
func TestChecksumAndHash(t *testing.T) {
	s := startServer(t)
	u := s.registered(t, "hank", "correct horse battery")
	src := filepath.Join(t.TempDir(), "tree")
	a, _ := randomFile(t, src, "a.bin", 4096, 1)
	randomFile(t, src, "b.bin", 5000, 2)
	u.ok("", "put", "-r", src+"/", "dest")

	want, err := localDigest(a)
	if err != nil {
		t.Fatal(err)
	}
	if out := u.ok("", "hash", "dest/a.bin"); out != fmt.Sprintf("%x  dest/a.bin\n", want) {
		t.Errorf("hash = %q", out)
	}
	u.fails("is a folder", "", "hash", "dest")

	// Same size, same time, other bytes.
	info, _ := os.Stat(a)
	other := make([]byte, 4096)
	os.WriteFile(a, other, 0o644)
	os.Chtimes(a, info.ModTime(), info.ModTime())
	if out := u.ok("", "put", "-r", src+"/", "dest"); !strings.Contains(out, "uploaded 0 of 0 files, 2 skipped") {
		t.Errorf("without --checksum the change is not seen (by design): %q", out)
	}
	if out := u.ok("", "put", "-r", "--checksum", src+"/", "dest"); !strings.Contains(out, "uploaded 1 of 1 files, 1 skipped") {
		t.Errorf("put -r --checksum said %q", out)
	}
	sameFile(t, s.serverFile("hank", "dest/a.bin"), other)

	// get -r --checksum the same way.
	local := t.TempDir()
	u.ok("", "get", "-r", "dest/", local)
	got := filepath.Join(local, "a.bin")
	info, _ = os.Stat(got)
	os.WriteFile(got, make([]byte, 4096), 0o644)
	os.WriteFile(got, append(make([]byte, 4095), 1), 0o644)
	os.Chtimes(got, info.ModTime(), info.ModTime())
	if out := u.ok("", "get", "-r", "--checksum", "--overwrite", "dest/", local); !strings.Contains(out, "downloaded 1 of 1 files, 1 skipped") {
		t.Errorf("get -r --checksum said %q", out)
	}
	sameFile(t, got, other)
}

// Several sources and patterns: put a b c DIR, get 'dir/*.jpg' DIR, rm
// 'dir/*'.
func TestSourcesAndPatterns(t *testing.T) {
	s := startServer(t)
	u := s.registered(t, "iris", "correct horse battery")
	src := t.TempDir()
	a, _ := randomFile(t, src, "a.jpg", 100, 1)
	b, _ := randomFile(t, src, "b.jpg", 200, 2)
	c, _ := randomFile(t, src, "c.txt", 300, 3)
	u.fails("remote folder photos/ does not exist", "", "put", a, b, c, "photos")
	u.ok("", "mkdir", "photos")
	u.ok("", "put", a, b, c, "photos")
	if out := u.ok("", "ls", "photos"); out != "a.jpg\nb.jpg\nc.txt\n" {
		t.Errorf("ls photos = %q", out)
	}
	dst := t.TempDir()
	u.ok("", "get", "photos/*.jpg", dst)
	entries, _ := os.ReadDir(dst)
	if len(entries) != 2 || entries[0].Name() != "a.jpg" || entries[1].Name() != "b.jpg" {
		t.Errorf("get 'photos/*.jpg' DIR made %v", entries)
	}
	u.fails("remote: nothing matches photos/*.png", "", "get", "photos/*.png", dst)
	u.ok("", "rm", "photos/*.jpg")
	if out := u.ok("", "ls", "photos"); out != "c.txt\n" {
		t.Errorf("after rm 'photos/*.jpg': %q", out)
	}
	// One of several failing does not stop the others.
	r := u.run("", "put", a, filepath.Join(src, "nosuch"), b, "photos")
	if r.code == 0 || !strings.Contains(r.stderr, "1 of 3 failed") {
		t.Errorf("put with a missing source: exit %d, %q", r.code, r.stderr)
	}
	if out := u.ok("", "ls", "photos"); out != "a.jpg\nb.jpg\nc.txt\n" {
		t.Errorf("the others went up anyway: %q", out)
	}
}
