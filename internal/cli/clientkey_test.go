package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"netdisk/internal/daemon"
)

func TestKeygenAndClientKey(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "client.key")
	other := filepath.Join(dir, "other.key")
	nobody := &user{t: t, srv: &testServer{}, cfgDir: t.TempDir()}
	nobody.ok("", "keygen", keyFile)
	nobody.ok("", "keygen", other)
	info, err := os.Stat(keyFile)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v; want 0600", err, info.Mode().Perm())
	}
	nobody.fails("--force", "", "keygen", keyFile) // never overwritten by accident
	if a, b := mustRead(t, keyFile), mustRead(t, other); string(a) == string(b) {
		t.Fatal("two keys are equal")
	}
	key, err := readKeyFile(keyFile)
	if err != nil || len(key) != 32 {
		t.Fatalf("readKeyFile: %d bytes, %v", len(key), err)
	}

	srv := startServer(t, func(c *daemon.Config) { c.ClientKey = key })
	u := srv.newUser(t)
	u.fails("--client-key", "kim's password\n", "register", "--password-stdin", "kim")
	u.fails("client key is wrong", "kim's password\n", "--client-key", other, "register", "--password-stdin", "kim")
	u.ok("kim's password\n", "--client-key", keyFile, "register", "--password-stdin", "kim")
	u.ok("kim's password\n", "--client-key", keyFile, "login", "--password-stdin", "kim")
	u.ok("", "--client-key", keyFile, "ls")
	// The environment variable works as well as the flag.
	r := u.runEnv(map[string]string{"NETDISK_CLIENT_KEY_FILE": keyFile}, "", "mkdir", "viaenv")
	if r.code != 0 {
		t.Fatalf("with NETDISK_CLIENT_KEY_FILE: %s", r.stderr)
	}
	if !strings.Contains(srv.logs.String(), "client key rejected") {
		t.Error("the wrong key was not logged")
	}
	bad := filepath.Join(dir, "bad.key")
	os.WriteFile(bad, []byte("not base64 at all!\n"), 0o600)
	u.fails("not a netdisk client key", "", "--client-key", bad, "ls")
}
