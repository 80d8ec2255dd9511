package admin_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"netdisk/internal/admin"
)

// TestOpenRefusesAnotherUsersFolder: with no server running, admin does
// not work on a data folder that belongs to another user (root
// administering the folder of a server that runs as its own user would
// leave files the server cannot write).
func TestOpenRefusesAnotherUsersFolder(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test gives a folder away with chown and needs root (the tests run as root)")
	}
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	f, err := admin.Open(dir, nil)
	if err == nil {
		f.Close()
		t.Fatal("admin opened a data folder that belongs to another user")
	}
	if !strings.Contains(err.Error(), "belongs to") || !strings.Contains(err.Error(), "sudo -u") {
		t.Fatalf("error %q does not say whose the folder is and what to do", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("admin left %d files in the folder it refused", len(entries))
	}
	// The folder's owner may.
	if err := os.Chown(dir, 0, 0); err != nil {
		t.Fatal(err)
	}
	f, err = admin.Open(dir, nil)
	if err != nil {
		t.Fatalf("the owner's admin: %v", err)
	}
	f.Close()
}
