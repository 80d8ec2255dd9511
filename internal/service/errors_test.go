package service

import (
	"errors"
	"io/fs"
	"strings"
	"syscall"
	"testing"
)

// TestServerPathsNotTold: an error naming one of the server's own files
// (an absolute path) reaches the user without that path; a storage error
// keeps the user's path.
func TestServerPathsNotTold(t *testing.T) {
	server := &fs.PathError{Op: "write", Path: "/srv/netdisk/data/sessions.json.tmp", Err: syscall.ENOSPC}
	err := mapErr(server)
	if !errors.Is(err, ErrNoSpace) || strings.Contains(err.Error(), "/srv") {
		t.Errorf("server file: %v", err)
	}
	user := &fs.PathError{Op: "mkdir", Path: "photos/2026", Err: syscall.ENOSPC}
	if err := mapErr(user); !errors.Is(err, ErrNoSpace) || !strings.Contains(err.Error(), "photos/2026") {
		t.Errorf("user's path: %v", err)
	}
}
