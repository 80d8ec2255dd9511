package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"netdisk/internal/admin"
	"netdisk/internal/xlsxtest"
)

// runAdmin runs `netdisk admin --data DIR ARGS` with stdin as standard
// input, as an administrator on the server machine would.
func runAdmin(t *testing.T, dir, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	args = append([]string{"admin", "--data", dir}, args...)
	code := mainWithEnv(context.Background(), args, strings.NewReader(stdin), &out, &errb, func(string) string { return "" })
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// adminOK runs an admin command that must succeed and returns its output.
func adminOK(t *testing.T, dir, stdin string, args ...string) string {
	t.Helper()
	r := runAdmin(t, dir, stdin, args...)
	if r.code != 0 {
		t.Fatalf("netdisk admin %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// adminJSON runs an admin command with --json and decodes its output.
func adminJSON[T any](t *testing.T, dir string, args ...string) T {
	t.Helper()
	var v T
	out := adminOK(t, dir, "", append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("netdisk admin %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
	return v
}

// workbookRow returns the cells of name's row of users.xlsx, read by the
// independent reader, or nil if there is none.
func workbookRow(t *testing.T, dir, name string) []xlsxtest.Cell {
	t.Helper()
	rows := xlsxtest.ReadUsers(t, filepath.Join(dir, "users.xlsx"))
	if got := rows[0][7].Text; got != "Max entries" {
		t.Fatalf("column H of the header is %q, want Max entries", got)
	}
	for _, row := range rows[1:] {
		if row[0].Text == name {
			for len(row) < 8 {
				row = append(row, xlsxtest.Cell{})
			}
			return row
		}
	}
	return nil
}

func findUser(t *testing.T, list []admin.User, name string) admin.User {
	t.Helper()
	for _, u := range list {
		if u.Name == name {
			return u
		}
	}
	t.Fatalf("admin users does not list %s: %+v", name, list)
	return admin.User{}
}

// Every admin command, against a running server (through its socket) and
// against a stopped one (on the files, under the data folder's lock); the
// workbook is checked afterwards with the independent reader, and the
// server (started again, when it was stopped) applies what was set.
func TestAdminCommands(t *testing.T) {
	for _, running := range []bool{true, false} {
		name := "stopped"
		if running {
			name = "running"
		}
		t.Run(name, func(t *testing.T) {
			srv := startServer(t)
			dir := srv.cfg.DataDir
			sock := filepath.Join(dir, admin.SocketName)
			alice := srv.registered(t, "alice", "alice's password")
			alice.ok("", "ls")
			if running {
				fi, err := os.Stat(sock)
				if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
					t.Fatalf("admin socket: %v, mode %v; want a socket of mode 0600", err, fi.Mode())
				}
			} else {
				srv.stop()
				if _, err := os.Stat(sock); !os.IsNotExist(err) {
					t.Fatalf("the admin socket outlives the server: %v", err)
				}
			}

			// Sessions: alice's login, from the netdisk door, used by ls.
			sessions := adminJSON[[]admin.Session](t, dir, "sessions", "alice")
			if len(sessions) != 1 || sessions[0].User != "alice" || sessions[0].Door != "netdisk" || sessions[0].Addr == "" || sessions[0].LastUsed == nil {
				t.Fatalf("admin sessions alice = %+v; want alice's one session, door netdisk, its address and last use", sessions)
			}
			list := adminJSON[[]admin.User](t, dir, "users")
			if a := findUser(t, list, "alice"); a.Sessions != 1 || a.LastLogin == nil || !a.LastLogin.Equal(sessions[0].Created) {
				t.Errorf("admin users: alice = %+v; want 1 session, last login %v", a, sessions[0].Created)
			}
			if out := adminOK(t, dir, "", "kick", "alice"); !strings.Contains(out, "1 session ended") {
				t.Errorf("admin kick: %q", out)
			}
			if s := adminJSON[[]admin.Session](t, dir, "sessions"); len(s) != 0 {
				t.Errorf("sessions after kick: %+v", s)
			}

			// Add, and its password rules.
			if r := runAdmin(t, dir, "short\n", "add", "bob"); r.code == 0 || !strings.Contains(r.stderr, "at least") {
				t.Errorf("admin add with a short password: exit %d, %q", r.code, r.stderr)
			}
			adminOK(t, dir, "bob's password\n", "add", "Bob")
			if r := runAdmin(t, dir, "bob's password\n", "add", "bob"); r.code == 0 || !strings.Contains(r.stderr, "exists") {
				t.Errorf("admin add of a taken name: exit %d, %q", r.code, r.stderr)
			}
			bob := workbookRow(t, dir, "bob")
			if bob == nil || !strings.HasPrefix(bob[1].Text, "$argon2id$") {
				t.Fatalf("bob's row: %+v", bob)
			}

			// Quota, entries limit, disable, enable, passwd.
			adminOK(t, dir, "", "quota", "alice", "10GiB")
			adminOK(t, dir, "", "limit", "alice", "entries", "2")
			adminOK(t, dir, "", "disable", "alice")
			row := workbookRow(t, dir, "alice")
			if row[4].Text != "10737418240" || row[7].Text != "2" || row[5].Text != "1" {
				t.Errorf("alice's row: quota %q, max entries %q, disabled %q; want 10737418240, 2, 1", row[4].Text, row[7].Text, row[5].Text)
			}
			if running {
				alice.fails("disabled", "alice's password\n", "login", "--password-stdin", "alice")
			}
			adminOK(t, dir, "", "enable", "alice")
			if row := workbookRow(t, dir, "alice"); row[5].Text != "0" {
				t.Errorf("alice's disabled cell after enable: %q", row[5].Text)
			}
			oldHash := workbookRow(t, dir, "bob")[1].Text
			adminOK(t, dir, "bob's new password\n", "passwd", "bob")
			if workbookRow(t, dir, "bob")[1].Text == oldHash {
				t.Error("admin passwd left bob's hash as it was")
			}
			a := findUser(t, adminJSON[[]admin.User](t, dir, "users"), "alice")
			if a.Quota != 10<<30 || a.MaxEntries != 2 || a.EntryLimit != 2 || a.Disabled {
				t.Errorf("admin users: alice = %+v", a)
			}
			table := adminOK(t, dir, "", "users")
			if !strings.Contains(table, "LAST LOGIN") || !strings.Contains(table, "10.0 GiB") {
				t.Errorf("admin users table:\n%s", table)
			}

			if !running {
				srv.cfg.Listen = srv.addr // where the users' config folders know it
				srv.start()
			}
			// The server applies them: bob logs in with the new password,
			// alice may have two entries.
			bobUser := srv.newUser(t)
			bobUser.ok("bob's new password\n", "login", "--password-stdin", "bob")
			alice.ok("alice's password\n", "login", "--password-stdin", "alice")
			alice.ok("", "mkdir", "a")
			alice.ok("", "mkdir", "b")
			alice.fails("2 files and folders of 2 allowed", "", "mkdir", "c")
			bobUser.ok("hello\n", "put", "-", "hello.txt")
			if !running {
				srv.stop()
			}

			// Recount: bob's 6 bytes in one file, alice's two folders.
			counts := adminJSON[[]admin.Usage](t, dir, "usage", "--recount")
			want := []admin.Usage{{User: "alice", Bytes: 0, Entries: 2}, {User: "bob", Bytes: 6, Entries: 1}}
			if len(counts) != 2 || counts[0] != want[0] || counts[1] != want[1] {
				t.Errorf("admin usage --recount = %+v, want %+v", counts, want)
			}
			if out := adminOK(t, dir, "", "usage", "--recount"); !strings.Contains(out, "2 users recounted: 6 B, 3 files and folders") {
				t.Errorf("admin usage --recount:\n%s", out)
			}

			// Remove: the row goes, the folder moves aside, the session ends.
			out := adminOK(t, dir, "", "remove", "bob")
			if !strings.Contains(out, "Removed bob") || !strings.Contains(out, "files/.removed/bob-") {
				t.Errorf("admin remove: %q", out)
			}
			if workbookRow(t, dir, "bob") != nil {
				t.Error("bob's row is still in the workbook")
			}
			moved, _ := filepath.Glob(filepath.Join(dir, "files", ".removed", "bob-*", "hello.txt"))
			if len(moved) != 1 {
				t.Errorf("bob's file moved aside: %v", moved)
			}
			if _, err := os.Stat(filepath.Join(dir, "files", "bob")); !os.IsNotExist(err) {
				t.Errorf("bob's folder is still in place: %v", err)
			}
			if r := runAdmin(t, dir, "", "remove", "bob"); r.code == 0 || !strings.Contains(r.stderr, "no such user") {
				t.Errorf("removing bob again: exit %d, %q", r.code, r.stderr)
			}
			if !running {
				srv.cfg.Listen = srv.addr // where the users' config folders know it
				srv.start()
			}
			bobUser.fails("run: netdisk login", "", "ls")
			if running {
				if !strings.Contains(srv.logs.String(), "admin request") {
					t.Error("the server's log shows no admin request: did the commands go around it?")
				}
			}
		})
	}
}

// A server killed outright leaves its socket file behind. The lock goes
// with the process, so admin then works on the files (a socket file with
// no lock held means nothing); the next server replaces the socket, and
// admin goes through it again.
func TestAdminAfterACrash(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	p := startProcServer(t, dir, "--plaintext")
	p.user(t, true).ok("alice's password\n", "register", "--password-stdin", "alice")
	sock := filepath.Join(dir, admin.SocketName)
	p.kill()
	if _, err := os.Lstat(sock); err != nil {
		t.Fatalf("the killed server's socket file: %v; want it left behind", err)
	}
	adminOK(t, dir, "", "quota", "alice", "1GiB")
	p.restart()
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the new server's socket: %v", err)
	}
	a := findUser(t, adminJSON[[]admin.User](t, dir, "users"), "alice")
	if a.Quota != 1<<30 {
		t.Errorf("alice's quota through the new server = %d", a.Quota)
	}
	adminOK(t, dir, "", "quota", "alice", "none")
	log, _ := os.ReadFile(p.logPath)
	if !strings.Contains(string(log), "quota set by the administrator") {
		t.Errorf("the restarted server did not serve the admin request:\n%s", log)
	}
}
