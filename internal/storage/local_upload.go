package storage

import (
	"cmp"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"time"
)

// upload is an Upload of a Local store: a partial file inside the user's
// .netdisk folder.
type upload struct {
	space   *localSpace
	target  string
	file    *os.File
	partial string // path of the partial file within the space
	sidecar string // path of the resumable partial's record; "" for a temp one
	key     string // what the partial is held by in Local.held
	size    int64
	done    bool // released by Commit, Close or Discard

	prepared bool      // prepare succeeded: publish may rename
	oldMTime bool      // prepare set a given modification time
	opened   time.Time // when the partial was opened (see CommitAll)
}

var _ Upload = (*upload)(nil)

func (u *upload) Target() string { return u.target }
func (u *upload) Size() int64    { return u.size }

func (u *upload) ReadAt(p []byte, off int64) (int, error) {
	n, err := u.file.ReadAt(p, off)
	return n, u.wrap("read", err)
}

// Truncate cuts the partial to size and goes on writing from there.
func (u *upload) Truncate(size int64) error {
	if size < 0 || size > u.size {
		return fsError("truncate", u.target, fmt.Errorf("%w: size %d, holding %d bytes", fs.ErrInvalid, size, u.size))
	}
	if err := u.file.Truncate(size); err != nil {
		return u.wrap("truncate", err)
	}
	if _, err := u.file.Seek(size, io.SeekStart); err != nil {
		return u.wrap("truncate", err)
	}
	u.size = size
	return nil
}

func (u *upload) Write(p []byte) (int, error) {
	n, err := u.file.Write(p)
	u.size += int64(n)
	return n, u.wrap("write", err)
}

// Commit renames the partial over the target.
func (u *upload) Commit(digest []byte, mtime time.Time) error {
	if err := u.prepare(digest, mtime, true); err != nil {
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

// prepare checks the target, sets the modification time, records digest
// and, with sync, makes the partial's data durable.
func (u *upload) prepare(digest []byte, mtime time.Time, sync bool) error {
	if u.done {
		return fsError("commit", u.target, os.ErrClosed)
	}
	if digest != nil && len(digest) != sha256.Size {
		return fsError("commit", u.target, fmt.Errorf("%w: digest of %d bytes, want %d", fs.ErrInvalid, len(digest), sha256.Size))
	}
	// Checked before touching the partial, so that a refused commit leaves
	// it as it was; rename(2) would refuse these too, only later.
	if err := u.space.checkTarget(u.target); err != nil {
		return fsError("commit", u.target, err)
	}
	if !mtime.IsZero() {
		if err := u.space.root.Chtimes(u.partial, time.Time{}, mtime); err != nil {
			return fsError("commit", u.target, err)
		}
		u.oldMTime = true
	}
	writeDigest(u.file, digest)
	if sync {
		if err := u.file.Sync(); err != nil {
			return u.wrap("commit", err)
		}
	}
	u.prepared = true
	return nil
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
		if u.oldMTime {
			// An old mtime would get the partial kept for a retry expired.
			u.space.root.Chtimes(u.partial, time.Time{}, time.Now())
		}
		return fsError("commit", u.target, err)
	}
	return u.end(false)
}

// Close keeps a resumable partial for later and removes a temporary one.
func (u *upload) Close() error {
	if u.done {
		return nil
	}
	if u.sidecar == "" {
		return u.end(true)
	}
	u.done = true
	defer u.space.store.release(u.key)
	syncErr := u.file.Sync()
	closeErr := u.file.Close()
	return u.wrap("close", cmp.Or(syncErr, closeErr))
}

// Discard removes the partial.
func (u *upload) Discard() error {
	if u.done {
		return nil
	}
	return u.end(true)
}

// end closes the partial, removes it if asked and its record in any case,
// and only then lets it be opened again, so that a new OpenUpload never
// finds half of it.
func (u *upload) end(removePartial bool) error {
	u.done = true
	defer u.space.store.release(u.key)
	err := u.wrap("close", u.file.Close())
	if removePartial {
		if e := u.space.root.Remove(u.partial); e != nil && !errors.Is(e, fs.ErrNotExist) {
			err = fsError("discard", u.target, e)
		}
	}
	if u.sidecar != "" {
		u.space.root.Remove(u.sidecar)
	}
	return err
}

// wrap replaces the partial's server path in errors from os with the
// target; other errors and io.EOF stay.
func (u *upload) wrap(op string, err error) error {
	if err == nil || errors.Is(err, io.EOF) {
		return err
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == u.file.Name() {
		return fsError(op, u.target, err)
	}
	return err
}
