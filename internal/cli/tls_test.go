package cli

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"netdisk/internal/certs"
	"netdisk/internal/daemon"
)

func TestFirstContactPinsCertificate(t *testing.T) {
	srv := startServer(t)
	u := srv.newUser(t)
	r := u.run("pw for frank\n", "register", "--password-stdin", "frank")
	if r.code != 0 {
		t.Fatalf("register: %s", r.stderr)
	}
	if !strings.Contains(r.stderr, "trusting its certificate "+srv.d.Fingerprint) {
		t.Errorf("no first-contact note naming the fingerprint on stderr: %q", r.stderr)
	}
	pins := readPins(t, filepath.Join(u.cfgDir, "known_servers"))
	if pins[srv.addr] != srv.d.Fingerprint {
		t.Fatalf("known_servers = %v, want %s pinned to %s", pins, srv.addr, srv.d.Fingerprint)
	}
	// The second contact is silent.
	r = u.run("pw for frank\n", "login", "--password-stdin", "frank")
	if r.code != 0 || strings.Contains(r.stderr, "trusting") {
		t.Errorf("second contact: exit %d, stderr %q", r.code, r.stderr)
	}
}

func readPins(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pins := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 2 {
			pins[fields[0]] = fields[1]
		}
	}
	return pins
}

// TestChangedCertificateRefused replaces the server's certificate behind a
// client that pinned the old one: the client must refuse loudly, name the
// file to edit, and keep the old pin.
func TestChangedCertificateRefused(t *testing.T) {
	srv := startServer(t)
	u := srv.registered(t, "grace", "grace's password")
	oldPin := srv.d.Fingerprint

	srv.stop()
	if err := certs.Generate(filepath.Join(srv.cfg.DataDir, "tls")); err != nil {
		t.Fatal(err)
	}
	srv.restart()
	if srv.d.Fingerprint == oldPin {
		t.Fatal("the certificate did not change")
	}
	stderr := u.fails("CERTIFICATE HAS CHANGED", "", "ls")
	knownServers := filepath.Join(u.cfgDir, "known_servers")
	for _, want := range []string{oldPin, srv.d.Fingerprint, knownServers} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the warning does not mention %s:\n%s", want, stderr)
		}
	}
	if pins := readPins(t, knownServers); pins[srv.addr] != oldPin {
		t.Errorf("the pin changed to %s", pins[srv.addr])
	}
	// Once the user removes the line, the new certificate is pinned.
	os.Remove(knownServers)
	u.ok("", "ls")
}

func TestTransportMismatchFailsFast(t *testing.T) {
	tlsSrv := startServer(t)
	plainSrv := startServer(t, func(c *daemon.Config) { c.Plaintext = true })
	tests := []struct {
		name      string
		srv       *testServer
		plaintext bool
		want      string
	}{
		{"plaintext client, TLS server", tlsSrv, true, "requires TLS"},
		{"TLS client, plaintext server", plainSrv, false, "does not speak TLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := tt.srv.newUser(t)
			u.plaintext = tt.plaintext
			start := time.Now()
			u.fails(tt.want, "", "ls")
			// Far below the server's 10 s handshake deadline: no hang.
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v to fail", d)
			}
		})
	}
}

func TestPlaintextServerWorks(t *testing.T) {
	srv := startServer(t, func(c *daemon.Config) { c.Plaintext = true })
	u := srv.registered(t, "heidi", "heidi's password")
	u.ok("", "mkdir", "x")
	if _, err := os.Stat(filepath.Join(u.cfgDir, "known_servers")); err == nil {
		t.Error("a plaintext connection pinned something")
	}
}
