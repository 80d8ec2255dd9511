package cli

import (
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
