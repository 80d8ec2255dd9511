package cli

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSecondServerRefused: a second `netdisk serve` on a data folder that a
// running server holds exits at once with one line naming the process that
// holds it; the first server keeps serving.
func TestSecondServerRefused(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	srv := startProcServer(t, data, "--plaintext")
	u := srv.user(t, true)
	u.ok("first password\n", "register", "--password-stdin", "first")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, netdiskBinary(t), "serve", "--listen", "127.0.0.1:0", "--http", "off", "--plaintext", "--data", data)
	out, err := cmd.CombinedOutput()
	if err == nil || ctx.Err() != nil {
		t.Fatalf("the second server did not refuse to start (err %v):\n%s", err, out)
	}
	msg := strings.TrimSpace(string(out))
	if !strings.Contains(msg, fmt.Sprint(srv.pid.Load())) || !strings.Contains(msg, data) {
		t.Errorf("message does not name the folder and the process %d:\n%s", srv.pid.Load(), msg)
	}
	if n := strings.Count(msg, "\n") + 1; n > 2 {
		t.Errorf("%d lines, want one clear line:\n%s", n, msg)
	}
	u.ok("first password\n", "login", "--password-stdin", "first")
	u.ok("", "ls")
}
