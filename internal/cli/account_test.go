package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"netdisk/internal/daemon"
	"netdisk/internal/xlsxtest"
)

func TestRegisterLoginLogout(t *testing.T) {
	srv := startServer(t)
	u := srv.newUser(t)

	out := u.ok("correct horse\n", "register", "--password-stdin", "alice")
	if !strings.Contains(out, "Registered alice") {
		t.Errorf("register said %q", out)
	}
	if _, err := os.Stat(filepath.Join(srv.cfg.DataDir, "files", "alice")); err != nil {
		t.Errorf("the user's folder was not created: %v", err)
	}
	u.fails("already exists", "another pw\n", "register", "--password-stdin", "alice")
	u.fails("already exists", "another pw\n", "register", "--password-stdin", "ALICE")
	u.fails("not logged in", "", "ls")
	u.fails("wrong user name or password", "wrong password\n", "login", "--password-stdin", "alice")
	u.fails("wrong user name or password", "correct horse\n", "login", "--password-stdin", "bob")

	out = u.ok("correct horse\n", "login", "--password-stdin", "Alice") // names are case-insensitive
	if !strings.Contains(out, "as alice") {
		t.Errorf("login said %q", out)
	}
	sessions := filepath.Join(u.cfgDir, "sessions.json")
	info, err := os.Stat(sessions)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("sessions.json: %v, mode %v; want mode 0600", err, info.Mode().Perm())
	}
	var saved sessionsFile
	data, _ := os.ReadFile(sessions)
	if err := json.Unmarshal(data, &saved); err != nil || saved.Sessions[srv.addr].Token == "" {
		t.Fatalf("no session saved for %s in %s", srv.addr, data)
	}
	// The session carries over to later commands, each a new connection.
	u.ok("", "ls")
	u.ok("", "mkdir", "docs")

	u.ok("", "logout")
	u.fails("not logged in", "", "ls")
	// The token itself is dead on the server, not only forgotten here.
	other := srv.newUser(t)
	writeSession(t, other, srv.addr, saved.Sessions[srv.addr])
	other.fails("expired or was ended", "", "ls")
}

func writeSession(t *testing.T, u *user, addr string, s savedSession) {
	t.Helper()
	st := &state{dir: u.cfgDir}
	if err := st.saveSession(addr, s); err != nil {
		t.Fatal(err)
	}
}

func TestRegisterRefusesBadNamesAndPasswords(t *testing.T) {
	srv := startServer(t)
	u := srv.newUser(t)
	tests := []struct {
		name, password, want string
	}{
		{"ab", "long enough", "invalid user name"},
		{"1alice", "long enough", "invalid user name"},
		{"al ice", "long enough", "invalid user name"},
		{"../evil", "long enough", "invalid user name"},
		{"alice.x", "long enough", "invalid user name"},
		{"用户名", "long enough", "invalid user name"},
		{strings.Repeat("a", 33), "long enough", "invalid user name"},
		{"bob", "short", "password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u.t = t
			u.fails(tt.want, tt.password+"\n", "register", "--password-stdin", tt.name)
		})
	}
	entries, _ := os.ReadDir(filepath.Join(srv.cfg.DataDir, "files"))
	if len(entries) != 0 {
		t.Errorf("refused registrations left folders: %v", entries)
	}
}

func TestPasswdEndsOtherSessions(t *testing.T) {
	srv := startServer(t)
	laptop := srv.registered(t, "carol", "first password")
	phone := srv.newUser(t)
	phone.ok("first password\n", "login", "--password-stdin", "carol")

	laptop.fails("current password is wrong", "not it\nsecond password\n", "passwd", "--password-stdin")
	laptop.ok("first password\nsecond password\n", "passwd", "--password-stdin")
	laptop.ok("", "ls") // this session continues with a fresh token
	phone.fails("expired or was ended", "", "ls")
	phone.fails("wrong user name or password", "first password\n", "login", "--password-stdin", "carol")
	phone.ok("second password\n", "login", "--password-stdin", "carol")
}

func TestSessionExpires(t *testing.T) {
	srv := startServer(t, func(c *daemon.Config) { c.SessionTTL = time.Second })
	u := srv.registered(t, "dave", "dave's password")
	u.ok("", "ls")
	time.Sleep(1500 * time.Millisecond)
	u.fails("netdisk login", "", "ls")
}

func TestSessionSurvivesRestart(t *testing.T) {
	srv := startServer(t)
	u := srv.registered(t, "erin", "erin's password")
	srv.restart()
	u.ok("", "ls")
}

// TestConcurrentRegistrations registers 200 users at once through the real
// client and checks that the workbook, read without excelize, holds every
// one of them and no clear-text password.
func TestConcurrentRegistrations(t *testing.T) {
	// All 200 come from one address here, past the default cap on
	// connections not logged in per address (TestPreLoginCapPerAddress).
	srv := startServer(t, func(c *daemon.Config) { c.MaxPreLoginPerAddr = 256 })
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := srv.newUser(t)
			r := u.run(fmt.Sprintf("password-of-user%03d\n", i), "register", "--password-stdin", fmt.Sprintf("user%03d", i))
			if r.code != 0 {
				errs <- fmt.Sprintf("user%03d: %s", i, r.stderr)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}

	rows := xlsxtest.ReadUsers(t, filepath.Join(srv.cfg.DataDir, "users.xlsx"))
	if len(rows) != n+1 {
		t.Fatalf("workbook has %d rows, want a header and %d users", len(rows), n)
	}
	if got := rows[0][0].Text; got != "Username" {
		t.Errorf("header starts with %q", got)
	}
	seen := map[string]bool{}
	for _, row := range rows[1:] {
		seen[row[0].Text] = true
		if !strings.HasPrefix(row[1].Text, "$argon2id$v=19$") {
			t.Errorf("%s: password column holds %q, not an argon2id hash", row[0].Text, row[1].Text)
		}
		for _, cell := range row {
			if strings.Contains(cell.Text, "password-of-") {
				t.Fatalf("%s: a clear-text password is in the workbook", row[0].Text)
			}
		}
	}
	for i := range n {
		if !seen[fmt.Sprintf("user%03d", i)] {
			t.Errorf("user%03d missing from the workbook", i)
		}
	}
	// And they can log in, after a restart too.
	srv.restart()
	srv.newUser(t).ok("password-of-user123\n", "login", "--password-stdin", "user123")
}

// TestOneLineErrors: a failing command says what went wrong in one line on
// standard error, with a non-zero exit status.
func TestOneLineErrors(t *testing.T) {
	srv := startServer(t)
	u := srv.registered(t, "lena", "lena's password")
	for _, args := range [][]string{
		{"stat", "missing"},
		{"mkdir", "../x"},
		{"rm", "nothing"},
		{"ls", "--bogus-flag"},
		{"mv", "one"},
		{"get", "missing", filepath.Join(t.TempDir(), "x")},
	} {
		r := u.run("", args...)
		if r.code == 0 {
			t.Errorf("%q succeeded", args)
			continue
		}
		if lines := strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") + 1; lines != 1 || !strings.HasPrefix(r.stderr, "netdisk: ") {
			t.Errorf("%q: stderr is not one line: %q", args, r.stderr)
		}
	}
	if r := u.run("", "mv", "one"); r.code != 2 {
		t.Errorf("a usage error exits %d, want 2", r.code)
	}
}

// register checks the name and the password rules before the password is
// typed (again): nothing is asked, and nothing sent, for a name the
// server would refuse.
func TestRegisterChecksRulesFirst(t *testing.T) {
	s := startServer(t)
	u := s.newUser(t)
	r := u.run("", "register", "ab")
	if r.code == 0 || !strings.Contains(r.stderr, "invalid user name: too short") || strings.Contains(r.stdout+r.stderr, "password:") {
		t.Errorf("register ab: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = u.run("short\n", "register", "--password-stdin", "alice")
	if r.code == 0 || !strings.Contains(r.stderr, "use at least 8 characters; nothing was changed") {
		t.Errorf("a short password: exit %d, stderr %q", r.code, r.stderr)
	}
	if _, ok := s.d.Users.Get("alice"); ok {
		t.Error("alice was registered with a short password")
	}
}
