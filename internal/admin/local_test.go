package admin_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"netdisk/internal/admin"
)

// Open of a data folder it cannot use returns an error and lets go of the
// folder's lock (it once crashed here instead): an unreadable users.xlsx,
// and a folder marked as a server's on the s3 store.
func TestOpenRefusesAndUnlocks(t *testing.T) {
	for _, tc := range []struct {
		name, file, content, want string
	}{
		{"unreadable workbook", "users.xlsx", "not a workbook", "users.xlsx"},
		{"s3 store", admin.StoreMarker, "s3\n", "s3 store"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, tc.file), []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			for range 2 { // the second finds the lock free again
				f, err := admin.Open(dir, nil)
				if err == nil || f != nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Open = %v, %v; want an error naming %q", f, err, tc.want)
				}
			}
		})
	}
}
