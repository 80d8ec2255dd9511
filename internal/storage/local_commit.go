package storage

import (
	"context"
	"fmt"
	"os"
	"path"
	"time"

	"golang.org/x/sys/unix"
)

// batchSyncFrom is the batch size from which Commit flushes the whole file
// system once (syncfs(2)) instead of each file and folder (fsync(2)). On
// ext4 every fsync is a journal commit of its own, a few hundred
// microseconds here; one syncfs covers a whole batch. The price is that it
// also flushes other writers' data, which a large batch amortises.
const batchSyncFrom = 4

// Commit commits uploads of this store: each is checked and gets its
// modification time and record, then all their data is flushed (one file
// at a time for a small batch, all at once for a larger one), then each is
// renamed over its target, then the folders are flushed. Uploads of
// another store are refused.
func (l *Local) Commit(ctx context.Context, commits []Commit) []error {
	errs := make([]error, len(commits))
	if err := ctx.Err(); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	ups := make([]*upload, len(commits))
	for i, c := range commits {
		u, ok := c.Upload.(*upload)
		if !ok || u.space.store != l {
			errs[i] = fmt.Errorf("commit: %w: not an upload of this store", ErrInvalidPath)
			continue
		}
		ups[i] = u
	}
	if len(commits) < batchSyncFrom {
		for i, u := range ups {
			if u != nil {
				errs[i] = u.commitOne(commits[i])
			}
		}
		return errs
	}
	var ready []int
	for i, u := range ups {
		if u == nil {
			continue
		}
		if errs[i] = u.prepare(commits[i], false); errs[i] == nil {
			ready = append(ready, i)
		}
	}
	if len(ready) == 0 {
		return errs
	}
	// syncfs reports the file system's writeback errors since the file it
	// is called on was opened (Linux 5.8 and later), so it is called on
	// the partial opened first: every byte of the batch was written after.
	first := ups[ready[0]]
	for _, i := range ready[1:] {
		if ups[i].opened.Before(first.opened) {
			first = ups[i]
		}
	}
	if err := syncfs(first.file); err != nil {
		for _, i := range ready {
			errs[i] = fsError("commit", ups[i].target, err)
			ups[i].unprepare()
		}
		return errs
	}
	// The renames are durable once the folders are: one more flush, on a
	// descriptor opened before the renames.
	dir, err := first.space.root.Open(".")
	if err != nil {
		for _, i := range ready {
			errs[i] = fsError("commit", ups[i].target, err)
			ups[i].unprepare()
		}
		return errs
	}
	defer dir.Close()
	var published []int
	for _, i := range ready {
		if errs[i] = ups[i].publish(); errs[i] == nil {
			published = append(published, i)
		}
	}
	if len(published) == 0 {
		return errs
	}
	if err := syncfs(dir); err != nil {
		for _, i := range published {
			errs[i] = fsError("commit", ups[i].target, fmt.Errorf("committed, but syncing the folder: %w", err))
		}
	}
	return errs
}

// syncfs flushes the whole file system f is on.
func syncfs(f *os.File) error {
	return withFD(f, unix.Syncfs)
}

// commitOne commits one upload with its own flushes.
func (u *upload) commitOne(c Commit) error {
	if err := u.prepare(c, true); err != nil {
		return err
	}
	if err := u.publish(); err != nil {
		return err
	}
	if err := u.space.syncDir(path.Dir(u.target)); err != nil {
		return fsError("commit", u.target, fmt.Errorf("committed, but syncing the folder: %w", err))
	}
	return nil
}

// prepare checks the target, sets the modification time, keeps the record
// and, with sync, makes the partial's data durable.
func (u *upload) prepare(c Commit, sync bool) error {
	if u.done {
		return fsError("commit", u.target, os.ErrClosed)
	}
	if err := checkRecord(c.Record); err != nil {
		return fsError("commit", u.target, err)
	}
	// Checked before touching the partial, so that a refused commit leaves
	// it as it was; rename(2) would refuse these too, only later.
	if err := u.space.checkTarget(u.target); err != nil {
		return fsError("commit", u.target, err)
	}
	if !c.MTime.IsZero() {
		if err := u.space.root.Chtimes(u.partial, time.Time{}, c.MTime); err != nil {
			return fsError("commit", u.target, err)
		}
		u.oldMTime = true
	}
	writeRecord(u.file, c.Record) // best effort: see writeRecord
	if sync {
		if err := u.file.Sync(); err != nil {
			u.unprepare()
			return u.wrap("commit", err)
		}
	}
	u.prepared = true
	return nil
}

// unprepare undoes what prepare changed of a partial that stays for a
// retry: an old modification time would get it expired first.
func (u *upload) unprepare() {
	u.prepared = false
	if u.oldMTime {
		u.space.root.Chtimes(u.partial, time.Time{}, time.Now())
		u.oldMTime = false
	}
}

// publish renames the prepared partial over the target.
func (u *upload) publish() error {
	if u.done || !u.prepared {
		return fsError("commit", u.target, fmt.Errorf("%w: not prepared", os.ErrClosed))
	}
	lock := u.space.store.userLock(u.space.user)
	lock.Lock()
	err := u.space.root.Rename(u.partial, u.target)
	lock.Unlock()
	if err != nil {
		u.unprepare()
		return fsError("commit", u.target, err)
	}
	return u.end(false)
}
