package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"netdisk/internal/digest"
)

// TestFullDiskIsNoSpace runs the service on a small tmpfs filled to the
// last byte, then to the last inode too: register, passwd, mkdir and put
// all fail with ErrNoSpace (never an internal error), a failed
// registration leaves no folder behind, and no message shows a server
// path. With free inodes a folder can still be made, which is the case
// where a registration that made its folder before the registry refused
// it would leave one behind.
func TestFullDiskIsNoSpace(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=4m,nr_inodes=256,mode=0700"); err != nil {
		t.Fatalf("mounting a 4 MiB tmpfs at %s (the tests run as root): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, 0); err != nil {
			t.Errorf("unmounting %s: %v", dir, err)
		}
	})
	s, reg, _ := accountsService(t, dir) // closed before the unmount
	alice := loggedIn(t, s, "alice")
	workbook, err := os.ReadFile(filepath.Join(dir, "users.xlsx"))
	if err != nil {
		t.Fatal(err)
	}

	ops := []struct {
		name string
		op   func() error
	}{
		{"register", func() error { return s.Register(ctx, "bob", "bob's password", "10.0.0.2") }},
		{"passwd", func() error {
			_, err := s.ChangePassword(ctx, alice, "alice's password", "alice's new password", "10.0.0.1")
			return err
		}},
		{"mkdir", func() error { return s.Mkdir(ctx, alice, "photos", false) }},
		{"put", func() error { return put(ctx, s, alice, "f.bin", bytes.Repeat([]byte("x"), 100<<10)) }},
	}
	for _, phase := range []struct {
		name string
		fill func(*testing.T, string)
		skip string // an op that still works in this phase
	}{
		{"no bytes left", fillBytes, "mkdir"}, // a folder costs tmpfs no bytes
		{"no inodes left", fillInodes, ""},
	} {
		phase.fill(t, dir)
		before := entries(t, filepath.Join(dir, "files"))
		for _, tt := range ops {
			if tt.name == phase.skip {
				continue
			}
			t.Run(phase.name+"/"+tt.name, func(t *testing.T) {
				err := tt.op()
				t.Logf("%s: %v", tt.name, err)
				if !errors.Is(err, ErrNoSpace) {
					t.Fatalf("%s on a full disk = %v; want ErrNoSpace", tt.name, err)
				}
				if strings.Contains(err.Error(), dir) {
					t.Errorf("the message shows a server path: %v", err)
				}
			})
		}
		if after := entries(t, filepath.Join(dir, "files")); !slices.Equal(after, before) {
			t.Errorf("%s: the files folder held %q before and %q after the failures", phase.name, before, after)
		}
	}
	if _, ok := reg.Get("bob"); ok {
		t.Error("bob registered on a full disk")
	}
	if now, _ := os.ReadFile(filepath.Join(dir, "users.xlsx")); !bytes.Equal(now, workbook) {
		t.Error("users.xlsx changed")
	}
	if _, err := s.Login(ctx, "alice", "alice's password", "10.0.0.1"); err != nil {
		t.Errorf("alice's old password no longer works after the failed passwd: %v", err)
	}
}

// fillBytes fills the file system at dir to the last byte.
func fillBytes(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for err == nil {
		_, err = f.Write(chunk)
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("filling the disk: %v", err)
	}
}

// fillInodes uses up the inodes of the file system at dir.
func fillInodes(t *testing.T, dir string) {
	t.Helper()
	for i := 0; ; i++ {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("inode%04d", i)))
		if errors.Is(err, syscall.ENOSPC) {
			return
		}
		if err != nil {
			t.Fatalf("using up the inodes: %v", err)
		}
		f.Close()
	}
}

// entries lists the folders of users (and .removed) in the files folder.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	list, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range list {
		names = append(names, e.Name())
	}
	return names
}

// put uploads data to path through the whole lifecycle and returns the
// first error.
func put(ctx context.Context, s *Service, sess *Session, path string, data []byte) error {
	u, err := s.OpenUpload(ctx, sess, path, int64(len(data)), UploadOnce)
	if err != nil {
		return err
	}
	defer u.Close()
	if _, err := u.Stream(0, bytes.NewReader(data)); err != nil {
		return err
	}
	sum := digest.Sum(data)
	return u.Commit(ctx, sum[:], time.Time{})
}
