package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// An interrupted command says so, without the errors the interrupt caused
// along the way, and exits 130 as shells expect of Ctrl-C.
func TestInterruptIsReportedAsSuch(t *testing.T) {
	s := startServer(t)
	u := s.registered(t, "alice", "correct horse battery")
	local := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(local, make([]byte, 64<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	// Only a transfer is advised to be run again to resume.
	for _, tc := range []struct {
		args []string
		want string
		last bool // only the last line: bench reports its steps first
	}{
		{[]string{"ls"}, "netdisk: interrupted\n", false},
		{[]string{"bench", "-c", "1", "-n", "1"}, "netdisk: interrupted\n", true},
		{[]string{"put", local}, "netdisk: interrupted; run the same command again to resume a transfer\n", false},
		{[]string{"get", "big.bin"}, "netdisk: interrupted; run the same command again to resume a transfer\n", false},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // Ctrl-C, before or during: the same report
		r := u.runCtx(ctx, "", tc.args...)
		if r.code != exitInterrupted {
			t.Errorf("%v interrupted: exit %d, want %d", tc.args, r.code, exitInterrupted)
		}
		got := r.stderr
		if tc.last {
			lines := strings.SplitAfter(strings.TrimSuffix(got, "\n"), "\n")
			got = lines[len(lines)-1] + "\n"
		}
		if got != tc.want {
			t.Errorf("%v interrupted: stderr %q, want %q", tc.args, r.stderr, tc.want)
		}
	}

	// Mid-transfer.
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for i := 0; i < 2000; i++ {
			if _, err := os.Stat(filepath.Join(s.cfg.DataDir, "files", "alice", ".netdisk")); err == nil {
				break
			}
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	r := u.runCtx(ctx, "", "put", local, "mid.bin")
	cancel()
	if r.code != exitInterrupted && r.code != exitOK {
		t.Errorf("put interrupted mid-way: exit %d (%s)", r.code, r.stderr)
	}
	if r.code == exitInterrupted && r.stderr != "netdisk: interrupted; run the same command again to resume a transfer\n" {
		t.Errorf("put interrupted mid-way says %q", r.stderr)
	}
}
