package storage

import (
	"fmt"
	"path"
	"time"

	"golang.org/x/sys/unix"
)

// batchSyncFrom is the batch size from which CommitAll flushes the whole
// file system once (syncfs(2)) instead of each file and folder (fsync(2)).
// On ext4 every fsync is a journal commit of its own, a few hundred
// microseconds here; one syncfs covers a whole batch. The price is that it
// also flushes other writers' data, which a large batch amortises.
const batchSyncFrom = 4

// CommitAll commits uploads of this store together: each is checked and
// gets its modification time and digest, then all their data is flushed
// at once, then each is renamed over its target, then the folders are
// flushed. Uploads of another store are refused.
func (l *Local) CommitAll(ups []Upload, digests [][]byte, mtimes []time.Time) []error {
	errs := make([]error, len(ups))
	if len(ups) < batchSyncFrom {
		for i, up := range ups {
			errs[i] = up.Commit(digests[i], mtimes[i])
		}
		return errs
	}
	var ready []*upload
	var readyIdx []int
	for i, up := range ups {
		u, ok := up.(*upload)
		if !ok || u.space.store != l {
			errs[i] = fmt.Errorf("commit: %w: not an upload of this store", ErrInvalidPath)
			continue
		}
		if errs[i] = u.prepare(digests[i], mtimes[i], false); errs[i] == nil {
			ready = append(ready, u)
			readyIdx = append(readyIdx, i)
		}
	}
	if len(ready) == 0 {
		return errs
	}
	if err := syncfs(ready[0]); err != nil {
		for _, i := range readyIdx {
			errs[i] = fsError("commit", ups[i].Target(), err)
		}
		return errs
	}
	var published []int
	for k, u := range ready {
		i := readyIdx[k]
		if errs[i] = u.publish(); errs[i] == nil {
			published = append(published, i)
		}
	}
	if len(published) == 0 {
		return errs
	}
	if err := syncfs(ready[0]); err != nil {
		for _, i := range published {
			errs[i] = fsError("commit", ups[i].Target(), fmt.Errorf("committed, but syncing the folder: %w", err))
		}
	}
	return errs
}

// syncfs flushes the file system holding u's folder.
func syncfs(u *upload) error {
	f, err := u.space.root.Open(path.Dir(u.target))
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}
