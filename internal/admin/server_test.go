package admin_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"netdisk/internal/admin"
	"netdisk/internal/daemon"
	"netdisk/internal/testlog"
)

// startDaemon starts a real server on a data folder, and returns the path
// of its admin socket and a function that stops it (at the latest when
// the test ends).
func startDaemon(t *testing.T, dataDir string) (sock string, stop func()) {
	t.Helper()
	logger, logs := testlog.New()
	d, err := daemon.Start(daemon.Config{DataDir: dataDir, Listen: "127.0.0.1:0", HTTP: "off", Plaintext: true, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := d.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return filepath.Join(dataDir, admin.SocketName), stop
}

// exchange sends raw bytes on the socket and reads the one reply line.
func exchange(t *testing.T, sock string, raw []byte) admin.Response {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	go c.Write(raw) // the server may answer before reading it all
	line, err := bufio.NewReader(c).ReadBytes('\n')
	if err != nil {
		t.Fatalf("reading the reply: %v", err)
	}
	var resp admin.Response
	if err := json.Unmarshal(line, &resp); err != nil {
		t.Fatalf("reply %q: %v", line, err)
	}
	return resp
}

// Requests the server cannot make sense of get a bad_request reply (and
// an over-long one is refused without being read whole).
func TestBadRequests(t *testing.T) {
	sock, _ := startDaemon(t, filepath.Join(t.TempDir(), "data"))
	for name, raw := range map[string][]byte{
		"not JSON":       []byte("users\n"),
		"unknown op":     []byte(`{"op":"format_disk"}` + "\n"),
		"no user":        []byte(`{"op":"kick"}` + "\n"),
		"unknown limit":  []byte(`{"op":"limit","user":"alice","limit":"depth","value":3}` + "\n"),
		"negative quota": []byte(`{"op":"quota","user":"alice","value":-1}` + "\n"),
		"too long":       []byte(`{"op":"users","user":"` + strings.Repeat("a", admin.MaxRequest) + `"}` + "\n"),
		"no end of line": nil, // closed at once: the read ends without a line
	} {
		t.Run(name, func(t *testing.T) {
			if raw == nil {
				c, err := net.Dial("unix", sock)
				if err != nil {
					t.Fatal(err)
				}
				c.(*net.UnixConn).CloseWrite()
				line, _ := bufio.NewReader(c).ReadBytes('\n')
				c.Close()
				if !strings.Contains(string(line), admin.CodeBadRequest) {
					t.Errorf("reply %q", line)
				}
				return
			}
			resp := exchange(t, sock, raw)
			if resp.OK || (resp.Code != admin.CodeBadRequest && resp.Code != admin.CodeNoSuchUser) || resp.Error == "" {
				t.Errorf("reply %+v; want a refusal saying why", resp)
			}
		})
	}
}

// A socket file left by a server that crashed is replaced at the next
// start; the socket is gone after a shutdown; Call reports a refusal as a
// *RemoteError with its code.
func TestSocketLifecycle(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, admin.SocketName)
	stale, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close() // the file stays, with no one behind it
	_, stop := startDaemon(t, dir)
	ctx := context.Background()
	if _, err := admin.Call(ctx, sock, admin.Request{Op: admin.OpUsers}); err != nil {
		t.Fatalf("the socket after a stale one: %v", err)
	}
	_, err = admin.Call(ctx, sock, admin.Request{Op: admin.OpKick, User: "nobody"})
	var re *admin.RemoteError
	if !errors.As(err, &re) || re.Code != admin.CodeNoSuchUser {
		t.Errorf("kick of a missing user: %v", err)
	}
	stop()
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Errorf("the socket outlives the server: %v", err)
	}
}
