package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStatusAndVersion(t *testing.T) {
	s := startServer(t)
	u := s.newUser(t)
	out := u.ok("", "status")
	for _, want := range []string{"server:      " + s.addr + " ($NETDISK_SERVER)", "not logged in", "not pinned yet"} {
		if !strings.Contains(out, want) {
			t.Errorf("status before login does not say %q:\n%s", want, out)
		}
	}
	u = s.registered(t, "alice", "correct horse battery")
	out = u.ok("", "status")
	for _, want := range []string{"user:        alice", "session:     until", "certificate: " + s.d.Fingerprint} {
		if !strings.Contains(out, want) {
			t.Errorf("status after login does not say %q:\n%s", want, out)
		}
	}
	if out := u.ok("", "--version"); !strings.HasPrefix(out, "netdisk ") || !strings.Contains(out, "go1.") {
		t.Errorf("--version says %q", out)
	}
}

func TestCompletionScripts(t *testing.T) {
	s := startServer(t)
	u := s.newUser(t)
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		if out := u.ok("", "completion", sh); !strings.Contains(out, "netdisk") || len(out) < 500 {
			t.Errorf("completion %s wrote %d bytes", sh, len(out))
		}
	}
}

func TestCatAndGetToStdout(t *testing.T) {
	s := startServer(t)
	u := s.registered(t, "cat", "correct horse battery")
	local := filepath.Join(t.TempDir(), "note.txt")
	body := strings.Repeat("猫 meow\n", 50000)
	os.WriteFile(local, []byte(body), 0o644)
	u.ok("", "put", local, "note.txt")
	if out := u.ok("", "cat", "note.txt"); out != body {
		t.Errorf("cat gave %d bytes, want %d", len(out), len(body))
	}
	if out := u.ok("", "get", "note.txt", "-"); out != body {
		t.Errorf("get - gave %d bytes, want %d", len(out), len(body))
	}
	u.fails("remote nosuch: does not exist", "", "cat", "nosuch")
}
