package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The default server changes only on a login, which says so; a command
// run once with --server, or a mistyped address, leaves it alone.
func TestDefaultServerChangesOnlyOnLogin(t *testing.T) {
	a := startServer(t)
	b := startServer(t)
	u := a.newUser(t)
	noEnv := map[string]string{"NETDISK_SERVER": ""} // use the saved default
	run := func(args ...string) result {
		t.Helper()
		return u.runEnv(noEnv, "correct horse battery\n", args...)
	}
	if r := run("--server", a.addr, "register", "--password-stdin", "alice"); r.code != 0 {
		t.Fatalf("register on A: %+v", r)
	}
	r := run("--server", a.addr, "login", "--password-stdin", "alice")
	if r.code != 0 || !strings.Contains(r.stdout, a.addr+" is now the default server") {
		t.Fatalf("login on A: %+v", r)
	}
	local := filepath.Join(t.TempDir(), "only-on-a.txt")
	os.WriteFile(local, []byte("a"), 0o644)
	if r := run("put", local); r.code != 0 {
		t.Fatalf("put to the default: %+v", r)
	}

	// Registering elsewhere, and a mistyped address, change nothing.
	if r := run("--server", b.addr, "register", "--password-stdin", "bob"); r.code != 0 {
		t.Fatalf("register on B: %+v", r)
	}
	if r := run("--server", "127.0.0.1:1", "ls"); r.code == 0 {
		t.Fatalf("ls on a port with no server succeeded: %+v", r)
	}
	if r := run("ls"); r.code != 0 || !strings.Contains(r.stdout, "only-on-a.txt") {
		t.Fatalf("after --server B register and a mistyped address, plain ls went elsewhere: %+v", r)
	}

	// A login on B moves the default, and says so.
	r = run("--server", b.addr, "login", "--password-stdin", "bob")
	if r.code != 0 || !strings.Contains(r.stdout, b.addr+" is now the default server") {
		t.Fatalf("login on B: %+v", r)
	}
	if r := run("ls"); r.code != 0 || strings.Contains(r.stdout, "only-on-a.txt") {
		t.Fatalf("after login on B, plain ls: %+v", r)
	}
	// Logging in again where the default already is says nothing of it.
	r = run("login", "--password-stdin", "bob")
	if r.code != 0 || strings.Contains(r.stdout, "default server") {
		t.Fatalf("second login on B: %+v", r)
	}
}
