package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"netdisk/internal/admin"
	"netdisk/internal/client"
	"netdisk/internal/daemon"
	"netdisk/internal/proto"
	"netdisk/internal/service"
)

// webSession is a browser's session on the web door: its cookie jar.
type webSession struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func webLogin(t *testing.T, srv *testServer, user, password string) *webSession {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	w := &webSession{t: t, base: "http://" + srv.d.HTTPAddr.String(), hc: &http.Client{Jar: jar}}
	body := `{"user":"` + user + `","password":"` + password + `"}`
	resp, err := w.hc.Post(w.base+"/api/login", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("web login: %s", resp.Status)
	}
	return w
}

// list asks for the top folder's listing and returns the HTTP status.
func (w *webSession) list() (int, string) {
	w.t.Helper()
	resp, err := w.hc.Get(w.base + "/api/list?path=.")
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// admin kick and admin disable end a user's sessions at once on both
// front doors: a logged-in netdisk connection's next request is refused
// (session_expired, or account_disabled), and so is the next request of a
// web session holding its cookie.
func TestAdminEndsSessionsOnBothDoors(t *testing.T) {
	srv := startServer(t, func(c *daemon.Config) {
		c.Plaintext = true
		c.HTTP = "127.0.0.1:0"
	})
	srv.registered(t, "alice", "alice's password")
	ctx := context.Background()
	for _, tc := range []struct {
		command   []string
		wantCodes []string
		undo      []string
	}{
		{[]string{"kick", "alice"}, []string{proto.CodeSessionExpired}, nil},
		// The session ends first: session_expired, as for a kick; the
		// account's state decides only for a session that would still be
		// live.
		{[]string{"disable", "alice"}, []string{proto.CodeSessionExpired, proto.CodeAccountDisabled}, []string{"enable", "alice"}},
		{[]string{"passwd", "alice"}, []string{proto.CodeSessionExpired}, nil},
	} {
		t.Run(tc.command[0], func(t *testing.T) {
			c, err := client.Dial(ctx, srv.addr, client.Options{Plaintext: true})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Login(ctx, "alice", "alice's password"); err != nil {
				t.Fatal(err)
			}
			if _, err := c.List(ctx, "."); err != nil {
				t.Fatal(err)
			}
			web := webLogin(t, srv, "alice", "alice's password")
			if status, body := web.list(); status != http.StatusOK {
				t.Fatalf("web listing before: %d %s", status, body)
			}
			if n := len(adminJSON[[]admin.Session](t, srv.cfg.DataDir, "sessions", "alice")); n < 2 {
				t.Fatalf("alice has %d sessions; want the netdisk one and the web one at least", n)
			}

			out := adminOK(t, srv.cfg.DataDir, "alice's password\n", tc.command...)
			if !strings.Contains(out, "sessions ended") {
				t.Errorf("admin %s: %q", tc.command[0], out)
			}

			_, err = c.List(ctx, ".")
			var pe *proto.Error
			if !errors.As(err, &pe) || !slices.Contains(tc.wantCodes, pe.Code) {
				t.Errorf("netdisk connection after admin %s: %v; want %v", tc.command[0], err, tc.wantCodes)
			}
			status, body := web.list()
			if status != http.StatusUnauthorized && status != http.StatusForbidden {
				t.Errorf("web session after admin %s: %d %s; want it refused", tc.command[0], status, body)
			}
			if n := len(adminJSON[[]admin.Session](t, srv.cfg.DataDir, "sessions", "alice")); n != 0 {
				t.Errorf("alice has %d sessions left", n)
			}
			if tc.undo != nil {
				adminOK(t, srv.cfg.DataDir, "", tc.undo...)
			}
		})
	}
}

// admin uploads lists every user's unfinished uploads with the bytes
// held, and the connection holding one open (its door and address), or
// none; with the server stopped, the same upload is listed from the files.
func TestAdminUploads(t *testing.T) {
	srv := startServer(t)
	srv.registered(t, "alice", "alice's password")
	ctx := context.Background()
	svc := srv.d.Service
	sess, err := svc.Login(ctx, "alice", "alice's password", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	held := service.WithOrigin(ctx, service.Origin{Door: service.DoorProtocol, Addr: "127.0.0.1:4242"})
	up, err := svc.OpenUpload(held, sess, "big.bin", 1<<20, service.UploadResume)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := up.Stream(0, bytes.NewReader(make([]byte, 1000))); err != nil {
		t.Fatal(err)
	}
	list := adminJSON[[]admin.Upload](t, srv.cfg.DataDir, "uploads")
	if len(list) != 1 || list[0].User != "alice" || list[0].Path != "big.bin" || list[0].Held != 1000 || list[0].Holder != "netdisk 127.0.0.1:4242" {
		t.Fatalf("admin uploads while held = %+v", list)
	}
	up.Close()
	list = adminJSON[[]admin.Upload](t, srv.cfg.DataDir, "uploads")
	if len(list) != 1 || list[0].Held != 1000 || list[0].Holder != "none" {
		t.Fatalf("admin uploads once let go = %+v", list)
	}
	srv.stop()
	out := adminOK(t, srv.cfg.DataDir, "", "uploads")
	if !strings.Contains(out, "alice") || !strings.Contains(out, "big.bin") || !strings.Contains(out, "1000 B") || !strings.Contains(out, "none") {
		t.Errorf("admin uploads with the server stopped:\n%s", out)
	}
}

// While a server holds the data folder, admin goes through its socket or
// not at all: with the socket gone, it says so, and neither the workbook
// nor the server's state changes behind the server's back.
func TestAdminNeverBehindTheServersBack(t *testing.T) {
	srv := startServer(t)
	srv.registered(t, "alice", "alice's password")
	dir := srv.cfg.DataDir
	if err := os.Remove(filepath.Join(dir, admin.SocketName)); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(dir, "users.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"quota", "alice", "1GiB"}, {"disable", "alice"}, {"users"}} {
		r := runAdmin(t, dir, "", args...)
		if r.code == 0 || !strings.Contains(r.stderr, "a server holds the data folder") || !strings.Contains(r.stderr, "cannot be reached") {
			t.Errorf("admin %s with the socket gone: exit %d\nstdout: %s\nstderr: %s", args[0], r.code, r.stdout, r.stderr)
		}
	}
	after, _ := os.ReadFile(filepath.Join(dir, "users.xlsx"))
	if !bytes.Equal(before, after) {
		t.Error("users.xlsx changed behind the server's back")
	}
	if u, _ := srv.d.Users.Get("alice"); u.QuotaBytes != 0 || u.Disabled {
		t.Errorf("the server's alice changed: %+v", u)
	}
}
