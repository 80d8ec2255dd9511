package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"netdisk/internal/users"
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

// --json gives one document with stable field names.
func TestJSONOutput(t *testing.T) {
	s := startServer(t)
	u := s.registered(t, "jay", "correct horse battery")
	local := filepath.Join(t.TempDir(), "a.txt")
	os.WriteFile(local, []byte("hello"), 0o644)
	u.ok("", "mkdir", "d")
	u.ok("", "put", local, "d/a.txt")

	var ls struct {
		Path    string `json:"path"`
		Entries []struct {
			Name  string    `json:"name"`
			Kind  string    `json:"kind"`
			Size  int64     `json:"size"`
			MTime time.Time `json:"mtime"`
		} `json:"entries"`
	}
	decode(t, u.ok("", "ls", "--json", "d"), &ls)
	if ls.Path != "d" || len(ls.Entries) != 1 || ls.Entries[0].Name != "a.txt" || ls.Entries[0].Kind != "file" || ls.Entries[0].Size != 5 || ls.Entries[0].MTime.IsZero() {
		t.Errorf("ls --json: %+v", ls)
	}
	var st map[string]any
	decode(t, u.ok("", "stat", "--json", "d/a.txt"), &st)
	if st["path"] != "d/a.txt" || st["kind"] != "file" || st["size"] != 5.0 {
		t.Errorf("stat --json: %v", st)
	}
	var df map[string]int64
	decode(t, u.ok("", "df", "--json"), &df)
	if df["used"] != 5 || df["entries"] != 2 || df["charged"] != 5+2*4096 {
		t.Errorf("df --json: %v", df)
	}
	var up struct {
		Uploads []any `json:"uploads"`
	}
	decode(t, u.ok("", "uploads", "--json"), &up)
	if up.Uploads == nil || len(up.Uploads) != 0 {
		t.Errorf("uploads --json: %+v", up)
	}
	var status map[string]any
	decode(t, u.ok("", "status", "--json"), &status)
	if status["user"] != "jay" || status["server"] != s.addr || status["certificate"] != s.d.Fingerprint {
		t.Errorf("status --json: %v", status)
	}
}

func decode(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("not one JSON document (%v):\n%s", err, out)
	}
}

func TestDuAndPutFromStdin(t *testing.T) {
	s := startServer(t)
	u := s.registered(t, "dee", "correct horse battery")
	u.ok("", "mkdir", "-p", "d/e")
	u.ok("one\n", "put", "-", "d/one.txt")
	u.ok("two two\n", "put", "-", "d/e/two.txt")
	if out := u.ok("", "cat", "d/e/two.txt"); out != "two two\n" {
		t.Errorf("put - stored %q", out)
	}
	if out := u.ok("", "du", "d"); out != "12\td (2 files, 1 folders)\n" {
		t.Errorf("du d = %q", out)
	}
	if out := u.ok("", "du", "-h"); !strings.Contains(out, "12 B\t. (2 files, 2 folders)") {
		t.Errorf("du -h = %q", out)
	}
	u.fails("put - needs the NAME", "", "put", "-")
}

func TestFind(t *testing.T) {
	s := startServer(t)
	u := s.registered(t, "fay", "correct horse battery")
	u.ok("", "mkdir", "-p", "p/2024/x")
	for _, n := range []string{"p/a.jpg", "p/2024/b.jpg", "p/2024/c.txt"} {
		u.ok("data\n", "put", "-", n)
	}
	if out := u.ok("", "find", "p", "-name", "*.jpg"); out != "p/a.jpg\np/2024/b.jpg\n" && out != "p/2024/b.jpg\np/a.jpg\n" {
		t.Errorf("find --name = %q", out)
	}
	if out := u.ok("", "find", "-type", "d"); out != "p\np/2024\np/2024/x\n" {
		t.Errorf("find --type d = %q", out)
	}
}

// cp copies on the server: same bytes and digest, counted in the quota.
func TestCopyOnTheServer(t *testing.T) {
	s := startServer(t)
	u := s.registered(t, "cody", "correct horse battery")
	local, data := randomFile(t, t.TempDir(), "f.bin", 300000, 1)
	u.ok("", "put", local, "f.bin")
	u.ok("", "mkdir", "d")
	u.ok("", "cp", "f.bin", "d")
	u.ok("", "cp", "f.bin", "g.bin")
	sameFile(t, s.serverFile("cody", "d/f.bin"), data)
	sameFile(t, s.serverFile("cody", "g.bin"), data)
	if a, b := u.ok("", "hash", "f.bin"), u.ok("", "hash", "g.bin"); a[:64] != b[:64] || a[0] == '-' {
		t.Errorf("the copy's digest %q differs from %q", b, a)
	}
	var df map[string]int64
	decode(t, u.ok("", "df", "--json"), &df)
	if df["used"] != 3*300000 {
		t.Errorf("after two copies used = %d, want %d", df["used"], 3*300000)
	}
	u.fails("remote nosuch: does not exist", "", "cp", "nosuch", "x")
	u.fails("is a folder", "", "cp", "d", "e")
	if err := s.d.Users.Update(context.Background(), "cody", func(usr *users.User) error { usr.QuotaBytes = 1 << 20; return nil }); err != nil {
		t.Fatal(err)
	}
	u.fails("quota exceeded", "", "cp", "f.bin", "h.bin")
}
