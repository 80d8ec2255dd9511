package client

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKnownServersAdd: pins are kept one per line, lines written by hand
// (comments, a last line without a newline) survive, the file is private,
// and lookups ignore the case of the host name.
func TestKnownServersAdd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cfg", "known_servers")
	k := OpenKnownServers(path)
	if _, ok, err := k.Lookup("a:1"); ok || err != nil {
		t.Fatalf("Lookup in a missing file = %v, %v", ok, err)
	}
	if err := k.Add("Server.Example:7070", "SHA256:one"); err != nil {
		t.Fatal(err)
	}
	// A hand edit: a comment, and no newline at the end.
	data, _ := os.ReadFile(path)
	if err := os.WriteFile(path, append(data, "# my laptop\n10.0.0.2:7070 SHA256:two"...), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := k.Add("10.0.0.3:7070", "SHA256:three"); err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]string{
		"server.example:7070": "SHA256:one",
		"SERVER.EXAMPLE:7070": "SHA256:one",
		"10.0.0.2:7070":       "SHA256:two",
		"10.0.0.3:7070":       "SHA256:three",
	} {
		if got, ok, err := k.Lookup(addr); !ok || err != nil || got != want {
			t.Errorf("Lookup(%s) = %q, %v, %v; want %q", addr, got, ok, err, want)
		}
	}
	data, _ = os.ReadFile(path)
	if !strings.Contains(string(data), "# my laptop\n") || strings.Count(string(data), "\n") != 4 {
		t.Errorf("file after the second pin:\n%s", data)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v; want 0600", fi.Mode(), err)
	}
	// A malformed line is reported, not skipped.
	os.WriteFile(path, []byte("nonsense\n"), 0o600)
	if _, _, err := k.Lookup("a:1"); err == nil || !strings.Contains(err.Error(), "malformed") {
		t.Errorf("Lookup with a malformed line: %v", err)
	}
}
