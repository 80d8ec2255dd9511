package storage_test

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// deepTree makes a chain of depth folders under dir (one letter each, a
// file at the bottom), by descriptors: the path is far too long for one
// system call.
func deepTree(t *testing.T, dir string, depth int) {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	for range depth {
		if err := unix.Mkdirat(fd, "d", 0o700); err != nil {
			t.Fatal(err)
		}
		next, err := unix.Openat(fd, "d", unix.O_RDONLY|unix.O_DIRECTORY, 0)
		unix.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		fd = next
	}
	f, err := unix.Openat(fd, "bottom.txt", unix.O_WRONLY|unix.O_CREAT, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	unix.Write(f, []byte("the bottom"))
	unix.Close(f)
	unix.Close(fd)
}

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// TestDeepTreeBoundedDescriptors: a folder 22,000 levels deep (made behind
// the store's back: netdisk refuses to make one) can still be counted and
// removed, with a few dozen descriptors to spare.
func TestDeepTreeBoundedDescriptors(t *testing.T) {
	ctx := t.Context()
	_, sp, home := localSpace(t)
	const depth = 22_000
	deepTree(t, home, depth)
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	tight := old
	tight.Cur = uint64(openFDs(t) + 48)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &tight); err != nil {
		t.Fatal(err)
	}
	defer unix.Setrlimit(unix.RLIMIT_NOFILE, &old)

	u, err := sp.Usage(ctx)
	if err != nil || u.Entries != depth+1 || u.Bytes != int64(len("the bottom")) {
		t.Errorf("Usage = %+v, %v; want %d entries and %d bytes", u, err, depth+1, len("the bottom"))
	}
	d, l, err := sp.Extent(ctx, "d", 1<<30, 1<<30)
	if err != nil || d != depth || l != 2*(depth-1)+len("bottom.txt") {
		t.Errorf("Extent = %d, %d, %v", d, l, err)
	}
	if err := sp.RemoveAll(ctx, "d"); err != nil {
		t.Fatalf("RemoveAll of the deep tree: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(home, "d")); !os.IsNotExist(err) {
		t.Errorf("the deep tree is still there: %v", err)
	}
}
