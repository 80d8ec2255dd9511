package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A trailing slash names a folder: put never makes a file of that name,
// and get says when the local folder is not there.
func TestTrailingSlashMeansFolder(t *testing.T) {
	s := startServer(t)
	u := s.registered(t, "alice", "correct horse battery")
	dir := t.TempDir()
	local := filepath.Join(dir, "a.txt")
	os.WriteFile(local, []byte("hello"), 0o644)

	u.fails("remote folder newdir/ does not exist (make it with: netdisk mkdir newdir)", "", "put", local, "newdir/")
	if out := u.ok("", "ls"); strings.Contains(out, "newdir") {
		t.Fatalf("put a.txt newdir/ made something named newdir:\n%s", out)
	}
	u.ok("", "put", local, "file.txt")
	u.fails("remote file.txt/ is not a folder", "", "put", local, "file.txt/")
	u.ok("", "mkdir", "newdir")
	u.ok("", "put", local, "newdir/")
	if out := u.ok("", "ls", "newdir"); !strings.Contains(out, "a.txt") {
		t.Fatalf("put a.txt newdir/ into an existing folder:\n%s", out)
	}

	missing := filepath.Join(dir, "nosuchdir") + "/"
	stderr := u.fails("local folder "+missing+" does not exist", "", "get", "file.txt", missing)
	if strings.Contains(stderr, "ndpart") {
		t.Errorf("get into a missing folder talks of .ndpart: %s", stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "nosuchdir")); !os.IsNotExist(err) {
		t.Errorf("get into a missing folder made something: %v", err)
	}
	u.fails("local "+local+"/ is not a folder", "", "get", "file.txt", local+"/")
	u.ok("", "get", "file.txt", dir+"/")
	if b, err := os.ReadFile(filepath.Join(dir, "file.txt")); err != nil || string(b) != "hello" {
		t.Errorf("get file.txt DIR/: %q, %v", b, err)
	}
}
