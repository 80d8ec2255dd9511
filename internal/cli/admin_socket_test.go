package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"netdisk/internal/admin"
)

// helperSocketEnv names the socket TestAdminSocketHelper calls; unset, the
// helper does nothing.
const helperSocketEnv = "NETDISK_TEST_ADMIN_SOCKET"

// TestAdminSocketHelper is the client half of TestAdminSocketRefusesOthers,
// run by that test in a process of its own (as another user): it sends one
// request to the admin socket and prints what became of it.
func TestAdminSocketHelper(t *testing.T) {
	sock := os.Getenv(helperSocketEnv)
	if sock == "" {
		return // not started as the helper
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := admin.Call(ctx, sock, admin.Request{Op: admin.OpUsers})
	var re *admin.RemoteError
	switch {
	case err == nil:
		fmt.Println("HELPER OK")
	case errors.As(err, &re):
		fmt.Printf("HELPER REFUSED %s: %s\n", re.Code, re.Message)
	default:
		fmt.Printf("HELPER FAILED: %v\n", err)
	}
}

// The admin socket serves only the server's own user and root. The test
// runs as root (it must, to start a process as another user), so the
// server's uid is 0, and the client half runs as nobody: the test binary,
// copied where nobody may run it, started with nobody's credentials
// (SysProcAttr.Credential) to run TestAdminSocketHelper.
//
// Two locks guard the socket, and the test exercises each on its own.
// First the file system: the socket is 0600, so nobody's connect fails
// before the server hears of it. Then the server's own check of the peer
// (SO_PEERCRED, the credentials the kernel recorded at connect): to reach
// it, the test widens the socket to 0666 itself, as a careless
// administrator might, and nobody must still be refused, with a clear
// reply, and the attempt logged. The same helper run as root over the
// same widened socket is served, so the refusal is about the uid and
// nothing else.
func TestAdminSocketRefusesOthers(t *testing.T) {
	if os.Getuid() != 0 {
		t.Fatal("this test starts a process as user nobody, which takes root (the project's tests run as root)")
	}
	srv := startServer(t)
	dir := srv.cfg.DataDir
	sock := filepath.Join(dir, admin.SocketName)
	// Let nobody walk to the socket: the test's temporary folders and the
	// data folder are 0700.
	for _, d := range []string{filepath.Dir(filepath.Dir(dir)), filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	helper := copyTestBinary(t)
	run := func(asNobody bool) string {
		t.Helper()
		cmd := exec.Command(helper, "-test.run=^TestAdminSocketHelper$", "-test.count=1")
		cmd.Dir = filepath.Dir(helper)
		cmd.Env = []string{helperSocketEnv + "=" + sock, "PATH=/usr/bin:/bin"}
		if asNobody {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}}
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("helper: %v\n%s", err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "HELPER ") {
				return line
			}
		}
		t.Fatalf("helper said nothing:\n%s", out)
		return ""
	}

	// The file system refuses first.
	if got := run(true); !strings.Contains(got, "HELPER FAILED") || !strings.Contains(got, "permission denied") {
		t.Errorf("nobody on the 0600 socket: %s; want the connect refused by the file system", got)
	}
	if strings.Contains(srv.logs.String(), "refused a peer") {
		t.Error("the server heard of a connection the file system should have refused")
	}

	// Widened, the peer check refuses.
	if err := os.Chmod(sock, 0o666); err != nil {
		t.Fatal(err)
	}
	got := run(true)
	if !strings.Contains(got, "HELPER REFUSED "+admin.CodeRefused) || !strings.Contains(got, "uid 65534") {
		t.Errorf("nobody on the widened socket: %s; want a refusal naming uid 65534", got)
	}
	if logs := srv.logs.String(); !strings.Contains(logs, "refused a peer") || !strings.Contains(logs, "peer_uid=65534") {
		t.Errorf("the refusal is not in the server's log:\n%s", logs)
	}
	if got := run(false); got != "HELPER OK" {
		t.Errorf("root on the same socket: %s; want it served", got)
	}
}

// copyTestBinary copies the running test binary into a folder anyone may
// read and run (the build's own folder is root's alone).
func copyTestBinary(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "netdisk-admin-helper-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst := filepath.Join(dir, "helper.test")
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, src); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return dst
}
