package cli

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"netdisk/internal/pathtest"
)

func TestFileCommands(t *testing.T) {
	srv := startServer(t)
	u := srv.registered(t, "alice", "alice's password")

	u.ok("", "mkdir", "photos", "docs")
	u.ok("", "mkdir", "-p", "docs/2026/november")
	u.ok("", "mkdir", "-p", "docs/2026") // exists: fine with -p
	u.fails("exists", "", "mkdir", "docs")
	u.fails("not exist", "", "mkdir", "nope/child")

	if got := u.ok("", "ls"); got != "docs/\nphotos/\n" {
		t.Errorf("ls = %q", got)
	}
	long := u.ok("", "ls", "-l", "docs")
	if !strings.HasPrefix(long, "d ") || !strings.Contains(long, "2026/") {
		t.Errorf("ls -l docs = %q", long)
	}
	stat := u.ok("", "stat", "docs/2026")
	if !strings.Contains(stat, "Kind: dir") {
		t.Errorf("stat = %q", stat)
	}

	u.ok("", "mv", "docs/2026", "photos") // into a folder
	if got := u.ok("", "ls", "photos"); got != "2026/\n" {
		t.Errorf("after mv into photos: ls photos = %q", got)
	}
	u.ok("", "mv", "photos/2026", "archive") // rename
	u.ok("", "mkdir", "docs/archive")
	u.fails("exists", "", "mv", "archive", "docs") // docs/archive is taken
	u.fails("into itself", "", "mv", "archive", "archive/november/deeper")

	u.fails("not empty", "", "rm", "archive")
	u.ok("", "rm", "-r", "archive")
	u.fails("not exist", "", "stat", "archive")
	u.ok("", "rm", "docs/archive")
	u.ok("", "rm", "docs")
	if got := u.ok("", "ls"); got != "photos/\n" {
		t.Errorf("final ls = %q", got)
	}
	if got := u.ok("", "ls", "-R"); !strings.HasPrefix(got, ".:\nphotos/\n\nphotos:\n") {
		t.Errorf("ls -R = %q", got)
	}
	if got := u.ok("", "df"); !strings.Contains(got, "no quota") {
		t.Errorf("df = %q", got)
	}
}

func TestUsersAreSeparate(t *testing.T) {
	srv := startServer(t)
	alice := srv.registered(t, "alice", "alice's password")
	bob := srv.registered(t, "bob", "bob's password1")
	alice.ok("", "mkdir", "secret")
	if got := bob.ok("", "ls"); got != "" {
		t.Errorf("bob sees %q in his folder", got)
	}
	bob.fails("not exist", "", "stat", "secret")
	bob.fails("refused", "", "ls", "../alice")
}

// TestHostilePathsRefused tries to leave the user's folder every way a path
// can, through every command, and checks nothing outside it was touched.
func TestHostilePathsRefused(t *testing.T) {
	srv := startServer(t)
	u := srv.registered(t, "mallory", "mallory's password")
	u.ok("", "mkdir", "inside")
	// An outside folder beside the data folder, as a target to reach.
	outside := filepath.Join(filepath.Dir(srv.cfg.DataDir), "outside")
	os.MkdirAll(outside, 0o755)
	os.WriteFile(filepath.Join(outside, "victim.txt"), []byte("keep me"), 0o644)
	// A symlink planted inside the user's folder, pointing out of it.
	userDir := filepath.Join(srv.cfg.DataDir, "files", "mallory")
	if err := os.Symlink(outside, filepath.Join(userDir, "escape")); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, filepath.Dir(srv.cfg.DataDir), userDir)

	for _, p := range pathtest.Hostile {
		t.Run(strings.ToValidUTF8(p[:min(len(p), 20)], "?"), func(t *testing.T) {
			u.t = t
			for _, args := range [][]string{
				{"mkdir", p}, {"mkdir", "-p", p + "/sub"}, {"rm", "-r", p}, {"mv", "inside", p}, {"mv", p, "inside/moved"},
				{"stat", p + "/victim.txt"}, {"ls", p}, {"get", "--overwrite", p, filepath.Join(t.TempDir(), "x")},
			} {
				if p == "" && (args[0] == "ls" || args[0] == "stat") {
					continue // "" is the top folder for ls; stat "/victim.txt" is absolute and covered
				}
				if p == "." && args[0] == "ls" {
					continue
				}
				r := u.run("", args...)
				// A leading /, ./ or // the client reads by the one path
				// rule (/ is the top folder): such a path lands inside the
				// user's folder, which may succeed; the snapshot below
				// proves nothing outside was touched.
				inTop := false
				for _, a := range args[1:] {
					inTop = inTop || strings.HasPrefix(a, "/") || strings.HasPrefix(a, "./") || strings.Contains(a, "//")
				}
				if r.code == 0 && !inTop {
					t.Errorf("netdisk %q succeeded", args)
				}
				if r.code == 0 && args[0] == "mv" && args[1] == "inside" {
					u.ok("", "mv", args[2], "inside") // back, for the next paths
				}
				if strings.Contains(r.stderr, srv.cfg.DataDir) || strings.Contains(r.stderr, "internal") {
					t.Errorf("netdisk %q: error leaks server details: %s", args, r.stderr)
				}
			}
		})
	}
	u.t = t
	// What the /, ./ and // paths made inside the top folder.
	u.ok("", "rm", "-rf", "etc", "tmp", "a", "sub")
	after := snapshot(t, filepath.Dir(srv.cfg.DataDir), userDir)
	if strings.Join(before, "\n") != strings.Join(after, "\n") {
		t.Errorf("files outside the user's folder changed:\nbefore %v\nafter  %v", before, after)
	}
	if got, _ := os.ReadFile(filepath.Join(outside, "victim.txt")); string(got) != "keep me" {
		t.Errorf("the outside file was changed: %q", got)
	}
	// The planted link itself is an entry of the folder (shown, never
	// followed); removing it would only unlink it.
	if got := u.ok("", "ls"); got != "escape\ninside/\n" {
		t.Errorf("ls after the attempts = %q", got)
	}
}

// snapshot lists every path under root except those under skip and the
// server's own bookkeeping files, with sizes.
func snapshot(t *testing.T, root, skip string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if p == skip {
			return filepath.SkipDir
		}
		base := filepath.Base(p)
		if base == "sessions.json" || strings.HasPrefix(base, "sessions.json.tmp") {
			return nil
		}
		info, _ := d.Info()
		out = append(out, p+" "+info.Mode().String())
		return nil
	})
	sort.Strings(out)
	return out
}
