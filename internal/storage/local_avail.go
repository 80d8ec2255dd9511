package storage

import (
	"context"
	"fmt"

	"golang.org/x/sys/unix"
)

// Available reports the bytes an unprivileged writer may still use on the
// store's file system, and its free inodes.
func (l *Local) Available(ctx context.Context) (Capacity, error) {
	if err := ctx.Err(); err != nil {
		return Capacity{}, err
	}
	var st unix.Statfs_t
	if err := unix.Statfs(l.dir, &st); err != nil {
		return Capacity{}, fmt.Errorf("checking free space: %w", err)
	}
	c := Capacity{Bytes: int64(st.Bavail) * int64(st.Bsize), Inodes: int64(st.Ffree)}
	if st.Files == 0 {
		c.Inodes = -1 // a file system without an inode count (btrfs, tmpfs without nr_inodes)
	}
	return c, nil
}
