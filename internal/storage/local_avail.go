package storage

import (
	"context"
	"fmt"

	"golang.org/x/sys/unix"
)

// Available reports the bytes an unprivileged writer may still use on the
// store's filesystem.
func (l *Local) Available(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var st unix.Statfs_t
	if err := unix.Statfs(l.dir, &st); err != nil {
		return 0, fmt.Errorf("checking free space: %w", err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
