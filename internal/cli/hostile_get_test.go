package cli

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"netdisk/internal/proto"
)

// TestHostileNames: a folder whose listing holds an unsafe name (as a file
// or as a folder) makes get -r and ls fail with an error that names the
// server and the folder and shows the name escaped; nothing is written
// outside the target folder (today an empty name writes TARGET.ndpart
// beside it, and an empty-named folder recurses without end).
func TestHostileNames(t *testing.T) {
	names := []struct{ label, name string }{
		{"empty", ""},
		{"dot", "."},
		{"dotdot", ".."},
		{"slash", "a/b"},
		{"backslash", `a\b`},
		{"nul", "x\x00y"},
		{"osc title", "\x1b]0;pwned\x07"},
	}
	for _, n := range names {
		for _, kind := range []string{proto.KindFile, proto.KindDir} {
			t.Run(n.label+" "+kind, func(t *testing.T) {
				srv := newHostileServer(t, "")
				srv.file("dl/ok.txt", "fine")
				srv.file("dl/sub/deeper.txt", "fine too")
				srv.entry("dl", proto.Entry{Name: n.name, Kind: kind, Size: 4})
				srv.file("victim", "the server's own file") // what "dl/.." might lead to
				u := srv.loggedIn(t)

				base := t.TempDir()
				os.WriteFile(filepath.Join(base, "bystander"), []byte("left alone"), 0o644)
				before := treeState(t, base)
				target := filepath.Join(base, "out", "dl")
				r := u.runFor(30*time.Second, "get", "-r", "dl/", target)
				after := treeState(t, base)

				if r.code == 0 {
					t.Fatalf("get -r succeeded; want a refusal\nstdout: %s", r.stdout)
				}
				for _, want := range []string{srv.addr, `the folder "dl"`, strconv.Quote(n.name), "unsafe name"} {
					if !strings.Contains(r.stderr, want) {
						t.Errorf("stderr %q does not say %s", r.stderr, want)
					}
				}
				noControl(t, "stderr", r.stderr)
				noControl(t, "stdout", r.stdout)
				sameOutside(t, before, after, filepath.Join("out", "dl"))
				for p := range after {
					if strings.HasPrefix(p, filepath.Join("out", "dl")+string(filepath.Separator)) {
						t.Errorf("%s was written although the listing was refused", p)
					}
				}

				r = u.runFor(30*time.Second, "ls", "dl")
				if r.code == 0 || !strings.Contains(r.stderr, strconv.Quote(n.name)) || !strings.Contains(r.stderr, srv.addr) {
					t.Errorf("ls dl: exit %d, stderr %q; want the same refusal", r.code, r.stderr)
				}
				noControl(t, "ls stdout", r.stdout)
				noControl(t, "ls stderr", r.stderr)
			})
		}
	}
}

// TestHostileEndlessTree: a server that answers every listing with one
// more folder cannot make get -r or ls -R recurse without end: both stop
// at 256 levels with an error, and everything made stays in the target.
func TestHostileEndlessTree(t *testing.T) {
	srv := newHostileServer(t, "")
	srv.file("dl/x", "x")
	srv.hook = func(c net.Conn, h *proto.Header, p string) bool {
		if h.Type != "ls" || !strings.HasPrefix(p, "dl") {
			return false
		}
		sendFrame(c, listFrame(h.ID, false, proto.Entry{Name: "a", Kind: proto.KindDir}), nil)
		return true
	}
	u := srv.loggedIn(t)
	base := t.TempDir()
	before := treeState(t, base)
	r := u.runFor(60*time.Second, "get", "-r", "dl/", filepath.Join(base, "dl"))
	if r.code == 0 || !strings.Contains(r.stderr, "more than 256 folders deep") {
		t.Errorf("get -r: exit %d, stderr %q; want a refusal past 256 levels", r.code, r.stderr)
	}
	sameOutside(t, before, treeState(t, base), "dl")
	r = u.runFor(60*time.Second, "ls", "-R", "dl")
	if r.code == 0 || !strings.Contains(r.stderr, "more than 256 folders deep") {
		t.Errorf("ls -R: exit %d, stderr %q; want a refusal past 256 levels", r.code, r.stderr)
	}
}

// TestHostileSymlinks: a symbolic link planted in the local target folder
// (to a file or a folder outside it, or as LOCAL.ndpart) is never written
// through: that file fails with an error saying so, the others are
// downloaded, and the files outside stay as they were.
func TestHostileSymlinks(t *testing.T) {
	srv := newHostileServer(t, "")
	srv.file("dl/f", "server's f")
	srv.file("dl/g", "server's g")
	srv.file("dl/sub/x", "server's x")
	srv.file("dl/ok", "server's ok")
	u := srv.loggedIn(t)

	for _, mode := range []string{"--overwrite", "--resume"} {
		t.Run(mode, func(t *testing.T) {
			base := t.TempDir()
			outside := filepath.Join(base, "outside")
			target := filepath.Join(base, "dl")
			for _, d := range []string{outside, filepath.Join(outside, "dir"), target} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			os.WriteFile(filepath.Join(outside, "victim"), []byte("precious"), 0o644)
			os.WriteFile(filepath.Join(outside, "victim2"), []byte("precious too"), 0o644)
			mustSymlink(t, filepath.Join(outside, "victim"), filepath.Join(target, "f"))
			mustSymlink(t, filepath.Join(outside, "victim2"), filepath.Join(target, "g.ndpart"))
			mustSymlink(t, filepath.Join(outside, "dir"), filepath.Join(target, "sub"))
			before := treeState(t, base)

			r := u.runFor(30*time.Second, "get", "-r", mode, "dl", base) // into base: base/dl
			after := treeState(t, base)
			if r.code == 0 {
				t.Fatalf("get -r %s succeeded; want the linked files to fail\nstdout: %s", mode, r.stdout)
			}
			if !strings.Contains(r.stdout, "downloaded 1 of 4 files") || !strings.Contains(r.stderr, "3 of 4 files failed") ||
				!strings.Contains(r.stderr, "is a symbolic link; not following it") {
				t.Errorf("stdout %q, stderr %q; want 1 of 4 downloaded and the others refused as symbolic links", r.stdout, r.stderr)
			}
			sameOutside(t, before, after, "dl")
			for _, link := range []string{"f", "g.ndpart", "sub"} {
				p := filepath.Join("dl", link)
				if after[p] != before[p] {
					t.Errorf("the link %s changed: %s", p, after[p])
				}
			}
			if got, _ := os.ReadFile(filepath.Join(target, "ok")); string(got) != "server's ok" {
				t.Errorf("dl/ok = %q; want it downloaded", got)
			}
		})
	}

	t.Run("single file", func(t *testing.T) {
		base := t.TempDir()
		outside := filepath.Join(base, "outside")
		target := filepath.Join(base, "here")
		os.MkdirAll(outside, 0o755)
		os.MkdirAll(target, 0o755)
		os.WriteFile(filepath.Join(outside, "victim"), []byte("precious"), 0o644)
		mustSymlink(t, filepath.Join(outside, "victim"), filepath.Join(target, "f"))
		mustSymlink(t, filepath.Join(outside, "victim"), filepath.Join(target, "g.ndpart"))
		before := treeState(t, base)
		for _, args := range [][]string{
			{"get", "--overwrite", "dl/f", filepath.Join(target, "f")},
			{"get", "--overwrite", "dl/f", target}, // into the folder: here/f
			{"get", "--resume", "dl/g", target},
		} {
			r := u.runFor(30*time.Second, args...)
			if r.code == 0 || !strings.Contains(r.stderr, "is a symbolic link; not following it") {
				t.Errorf("netdisk %s: exit %d, stderr %q; want a refusal of the link", strings.Join(args, " "), r.code, r.stderr)
			}
		}
		after := treeState(t, base)
		sameOutside(t, before, after, "")
		for p, d := range before {
			if after[p] != d {
				t.Errorf("%s changed: was %s, is %s", p, d, after[p])
			}
		}
	})
}

func mustSymlink(t *testing.T, oldname, newname string) {
	t.Helper()
	if err := os.Symlink(oldname, newname); err != nil {
		t.Fatal(err)
	}
}

// TestHostileGetSize: a get_data announcing more bytes than the listing
// gave (with a body to match) fails that file, writing nothing for it; a
// body longer than its announced size fails a single get.
func TestHostileGetSize(t *testing.T) {
	srv := newHostileServer(t, "")
	srv.file("dl/big", "small") // listed as 5 bytes
	srv.file("dl/good", "good")
	srv.hook = func(c net.Conn, h *proto.Header, p string) bool {
		switch {
		case h.Type == "get" && p == "dl/big":
			sendGetData(c, h.ID, 1000, 1000+proto.DigestLen, "", make([]byte, 1000+proto.DigestLen))
		case h.Type == "get" && p == "dl/long":
			sendGetData(c, h.ID, 5, 1000+proto.DigestLen, "", make([]byte, 1000+proto.DigestLen))
		case h.Type == "stat" && p == "dl/long":
			sendFrame(c, obj{"type": "entry", "id": h.ID, "entry": proto.Entry{Name: p, Kind: proto.KindFile, Size: 5}}, nil)
		default:
			return false
		}
		return true
	}
	u := srv.loggedIn(t)
	base := t.TempDir()
	before := treeState(t, base)

	r := u.runFor(30*time.Second, "get", "-r", "dl/", filepath.Join(base, "dl"))
	if r.code == 0 || !strings.Contains(r.stderr, "announced 1000 bytes") || !strings.Contains(r.stderr, "listing gave as 5 bytes") ||
		!strings.Contains(r.stderr, "1 of 2 files failed") {
		t.Errorf("get -r: exit %d, stderr %q; want dl/big refused for its size", r.code, r.stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(base, "dl", "good")); string(got) != "good" {
		t.Errorf("dl/good = %q; want it downloaded", got)
	}
	for _, p := range []string{"big", "big" + partSuffix} {
		if _, err := os.Lstat(filepath.Join(base, "dl", p)); err == nil {
			t.Errorf("dl/%s was written", p)
		}
	}

	r = u.runFor(30*time.Second, "get", "dl/long", filepath.Join(base, "long"))
	if r.code == 0 || !strings.Contains(r.stderr, "malformed get_data") {
		t.Errorf("get of a body longer than its size: exit %d, stderr %q; want a refusal", r.code, r.stderr)
	}
	after := treeState(t, base)
	sameOutside(t, before, after, "dl")
	if _, ok := after["long"+partSuffix]; ok {
		t.Errorf("long%s was left behind", partSuffix)
	}
}

// TestHostileEndlessListing: a listing that never ends (more=true forever)
// makes ls and get -r fail within seconds, in bounded memory.
func TestHostileEndlessListing(t *testing.T) {
	srv := newHostileServer(t, "")
	srv.file("big/x", "x")
	srv.hook = func(c net.Conn, h *proto.Header, p string) bool {
		if h.Type != "ls" || p != "big" {
			return false
		}
		frame := listFrame(h.ID, true)
		for sendFrame(c, frame, nil) == nil {
		}
		return true
	}
	u := srv.loggedIn(t)
	base := t.TempDir()
	for _, args := range [][]string{{"ls", "big"}, {"get", "-r", "big/", filepath.Join(base, "big")}} {
		stop := watchHeap()
		start := time.Now()
		r := u.runFor(30*time.Second, args...)
		peak := stop()
		if r.code == 0 || !strings.Contains(r.stderr, "more than 131072 frames") {
			t.Errorf("netdisk %s: exit %d, stderr %q; want the listing refused", strings.Join(args, " "), r.code, r.stderr)
		}
		if peak > 256<<20 {
			t.Errorf("netdisk %s: the heap reached %d MiB", strings.Join(args, " "), peak>>20)
		}
		t.Logf("netdisk %s: refused after %v, heap peak %d MiB", strings.Join(args, " "), time.Since(start).Round(time.Millisecond), peak>>20)
	}
}
