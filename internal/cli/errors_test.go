package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Errors say which side failed and what to do, with no Go operation names.
func TestErrorsSayWhere(t *testing.T) {
	s := startServer(t)
	u := s.registered(t, "alice", "correct horse battery")
	u.ok("", "mkdir", "full", "full/x")
	for _, c := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"put", "nosuch.txt"}, exitError, "netdisk: local file nosuch.txt does not exist\n"},
		{[]string{"mkdir", "a/b/c"}, exitError, "netdisk: remote folder a/b does not exist, so a/b/c cannot be made in it; use mkdir -p to make the missing folders too\n"},
		{[]string{"rm", "full"}, exitError, "netdisk: remote folder full is not empty; use rm -r to remove it with everything in it\n"},
		{[]string{"mv", "full", "full"}, exitError, "netdisk: full and full are the same; nothing to move\n"},
		{[]string{"get", "nosuch"}, exitError, "netdisk: remote nosuch: does not exist\n"},
		{[]string{"--server", "127.0.0.1:1", "ls"}, exitError, "netdisk: no netdisk server at 127.0.0.1:1 (is it running? check --server)\n"},
		{[]string{"--server", "http://127.0.0.1:7070", "ls"}, exitUsage, "netdisk: --server takes HOST:PORT (like example.com:7070), not \"http://127.0.0.1:7070\" (see 'netdisk ls --help')\n"},
	} {
		r := u.run("", c.args...)
		if r.code != c.code || r.stderr != c.stderr {
			t.Errorf("netdisk %q: exit %d, stderr %q\nwant exit %d, stderr %q", c.args, r.code, r.stderr, c.code, c.stderr)
		}
	}
}

// Flags people type by habit work: ls -lh, rm -rf, rm -R, mv -n.
func TestHabitFlags(t *testing.T) {
	s := startServer(t)
	u := s.registered(t, "bob", "correct horse battery")
	u.ok("", "mkdir", "-p", "d/e")
	local := filepath.Join(t.TempDir(), "f.bin")
	os.WriteFile(local, make([]byte, 3<<20), 0o644)
	u.ok("", "put", local, "d/f.bin")
	if out := u.ok("", "ls", "-lh", "d"); !strings.Contains(out, "3.0 MiB") && !strings.Contains(out, "3 MiB") {
		t.Errorf("ls -lh:\n%s", out)
	}
	if out := u.ok("", "ls", "--help"); !strings.Contains(out, "Usage:") {
		t.Errorf("ls --help:\n%s", out)
	}
	u.ok("", "mv", "-n", "d/f.bin", "g.bin")
	u.ok("", "rm", "-rf", "nosuch")
	u.ok("", "rm", "-R", "d")
	if out := u.ok("", "ls"); out != "g.bin\n" {
		t.Errorf("after rm -R d and mv -n: ls = %q", out)
	}
}

// One path rule for one-shot commands and the shell: a leading / is the
// top folder, ./ is accepted, a trailing / on a file is an error.
func TestOnePathRule(t *testing.T) {
	s := startServer(t)
	u := s.registered(t, "carl", "correct horse battery")
	u.ok("", "mkdir", "/d")
	local := filepath.Join(t.TempDir(), "f.txt")
	os.WriteFile(local, []byte("f"), 0o644)
	u.ok("", "put", local, "./d/f.txt")
	for _, args := range [][]string{{"ls", "/"}, {"ls", "./"}, {"ls", "/d"}, {"ls", "./d"}} {
		if out := u.ok("", args...); !strings.Contains(out, "d/") && !strings.Contains(out, "f.txt") {
			t.Errorf("%v: %q", args, out)
		}
	}
	if out := u.ok("", "stat", "/d/f.txt"); !strings.Contains(out, "f.txt") {
		t.Errorf("stat /d/f.txt: %q", out)
	}
	u.fails("remote d/f.txt is not a folder", "", "ls", "d/f.txt/")
	u.fails("refused", "", "ls", "../x")
	// The shell reads them the same way.
	r := u.run("cd d\nls /\nls ./\nexit\n", "shell")
	if r.code != 0 || !strings.Contains(r.stdout, "d/\n") || !strings.Contains(r.stdout, "f.txt\n") {
		t.Errorf("the shell: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// --resume never replaces an unrelated local file: one that is not the
// start of the server's file is left as it was, with the way out said.
func TestResumeNeverReplacesAnotherFile(t *testing.T) {
	s := startServer(t)
	u := s.registered(t, "dora", "correct horse battery")
	dir := t.TempDir()
	src := filepath.Join(dir, "src.bin")
	os.WriteFile(src, []byte(strings.Repeat("server bytes ", 100000)), 0o644)
	u.ok("", "put", src, "big.bin")

	local := filepath.Join(dir, "big.bin")
	mine := []byte(strings.Repeat("my own precious file ", 1000))
	os.WriteFile(local, mine, 0o644)
	u.fails("is not the start of the server's file, so it cannot be resumed; it was left as it was (use --overwrite to replace it)", "", "get", "--resume", "big.bin", local)
	if got, _ := os.ReadFile(local); string(got) != string(mine) {
		t.Fatalf("the local file was changed by a refused resume (%d bytes)", len(got))
	}
	if _, err := os.Stat(local + ".ndpart"); !os.IsNotExist(err) {
		t.Errorf("a refused resume left %s.ndpart: %v", local, err)
	}

	// Both LOCAL and LOCAL.ndpart there: the question names both.
	os.WriteFile(local+".ndpart", []byte("server"), 0o644)
	u.fails("big.bin and "+local+".ndpart (an interrupted download) already exist", "", "get", "big.bin", local)

	u.ok("", "get", "--overwrite", "big.bin", local)
	if got, _ := os.ReadFile(local); string(got) != strings.Repeat("server bytes ", 100000) {
		t.Errorf("--overwrite did not replace the file")
	}
}
