package cli

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestServerMemoryFlat streams a large file up and down through a server
// running as its own process and samples its resident memory: it must not
// grow with the file (no whole-file buffers anywhere).
func TestServerMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 512 MiB each way")
	}
	for _, mode := range []struct {
		name string
		args []string
	}{{"plaintext", []string{"--plaintext"}}, {"tls", nil}} {
		t.Run(mode.name, func(t *testing.T) {
			srv := startProcServer(t, filepath.Join(t.TempDir(), "data"), mode.args...)
			u := srv.user(t, mode.args != nil)
			u.ok("memory password\n", "register", "--password-stdin", "mem")
			u.ok("memory password\n", "login", "--password-stdin", "mem")
			dir := t.TempDir()
			big := filepath.Join(dir, "big.bin")
			const size = 512 << 20
			f, _ := os.Create(big)
			f.Truncate(size) // sparse: reading it costs no disk
			f.Close()
			u.ok("", "put", "--quiet", big, "warmup.bin") // reach steady state first
			time.Sleep(1500 * time.Millisecond)           // the login's argon2 memory goes back after 1 s
			base := srv.rss()

			stopWatch := srv.watchRSS()
			u.ok("", "put", "--quiet", big, "big.bin")
			u.ok("", "get", "--quiet", "big.bin", filepath.Join(dir, "back.bin"))
			peak := stopWatch()
			t.Logf("server RSS: %d MiB before, %d MiB peak while moving 2 × %d MiB", base>>20, peak>>20, size>>20)
			if peak > base+24<<20 {
				t.Errorf("server RSS grew from %d MiB to %d MiB during the transfer", base>>20, peak>>20)
			}
			if peak > 32<<20 {
				t.Errorf("server RSS peaked at %d MiB, over the 32 MiB budget", peak>>20)
			}
		})
	}
}
