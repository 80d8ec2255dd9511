package cli

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"netdisk/internal/proto"
)

// evil is server text that would retitle the terminal, clear it and fake
// a line of netdisk's own output, were it printed as it is.
const evil = "\x1b]0;pwned\x07\x1b[2J\r\nnetdisk: saved everything\u009b31m\u202e"

// TestHostileServerText: text a server sends (error messages, the welcome
// line, a reason to restart a download, an entry's kind) reaches the
// terminal with every control character escaped.
func TestHostileServerText(t *testing.T) {
	srv := newHostileServer(t, "welcome "+evil)
	srv.file("f", "some bytes")
	srv.hook = func(c net.Conn, h *proto.Header, p string) bool {
		switch {
		case p == "gone":
			sendFrame(c, obj{"type": "error", "id": h.ID, "code": proto.CodeNotFound, "message": "gone " + evil}, nil)
		case h.Type == "stat" && p == "odd":
			sendFrame(c, obj{"type": "entry", "id": h.ID, "entry": proto.Entry{Name: "odd", Kind: "file" + evil}}, nil)
		case h.Type == "get" && p == "f":
			data := []byte("some bytes")
			sum := digestOf(data)
			sendGetData(c, h.ID, int64(len(data)), int64(len(data))+proto.DigestLen, "restarted "+evil, append(data, sum...))
		default:
			return false
		}
		return true
	}
	u := srv.loggedIn(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f"+partSuffix), []byte("some"), 0o644)

	cases := []struct {
		name string
		args []string
		want string // in stdout or stderr, escaped
	}{
		{"error of stat", []string{"stat", "gone"}, `gone \x1b]0;pwned\x07`},
		{"error of ls", []string{"ls", "gone"}, `gone \x1b]0;pwned\x07`},
		{"error of get", []string{"get", "gone", filepath.Join(dir, "gone")}, `gone \x1b]0;pwned\x07`},
		{"kind in stat", []string{"stat", "odd"}, `Kind: file\x1b]0;pwned`},
		{"restarted", []string{"get", "--resume", "f", filepath.Join(dir, "f")}, `restarted \x1b]0;pwned\x07`},
		{"welcome", []string{"shell"}, `welcome \x1b]0;pwned\x07`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := u.runFor(30*time.Second, tc.args...)
			noControl(t, "stdout", r.stdout)
			noControl(t, "stderr", r.stderr)
			if !strings.Contains(r.stdout+r.stderr, tc.want) {
				t.Errorf("output does not show the text escaped as %s\nstdout: %q\nstderr: %q", tc.want, r.stdout, r.stderr)
			}
		})
	}
}
