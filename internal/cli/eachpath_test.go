package cli

import (
	"os"
	"strings"
	"testing"
)

// TestEachPathGoesOnAfterAFailure: like rm(1) and mkdir(1), a path that
// fails does not stop the others; every failure is reported and the
// command fails.
func TestEachPathGoesOnAfterAFailure(t *testing.T) {
	s := startServer(t)
	u := s.registered(t, "alice", "correct horse battery")
	u.ok("", "mkdir", "keep", "b")
	r := u.run("", "rm", "-r", "nosuch", "b", "alsonot")
	if r.code == 0 {
		t.Fatal("rm of missing paths succeeded")
	}
	if _, err := os.Stat(s.serverFile("alice", "b")); !os.IsNotExist(err) {
		t.Errorf("b, after a missing path, was not removed (%v)", err)
	}
	if !strings.Contains(r.stderr, "nosuch") || !strings.Contains(r.stderr, "alsonot") {
		t.Errorf("stderr does not name both missing paths: %q", r.stderr)
	}
	if n := strings.Count(r.stderr, "\n"); n != 2 {
		t.Errorf("%d lines on stderr, want one per failure: %q", n, r.stderr)
	}
	r = u.run("", "mkdir", "keep", "new")
	if r.code == 0 || !strings.Contains(r.stderr, "keep") {
		t.Errorf("mkdir of an existing folder: exit %d, %q", r.code, r.stderr)
	}
	if fi, err := os.Stat(s.serverFile("alice", "new")); err != nil || !fi.IsDir() {
		t.Errorf("new, after an existing one, was not made (%v)", err)
	}
}
