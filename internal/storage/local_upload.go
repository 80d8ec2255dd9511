package storage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"netdisk/internal/writeback"
)

// upload is an Upload of a Local store: a partial file inside the user's
// .netdisk folder.
type upload struct {
	space   *localSpace
	ctx     context.Context // from the open: writes stop once it ends
	target  string
	file    *os.File
	partial string // path of the partial file within the space
	sidecar string // path of the resumable partial's record; "" for a temp one
	key     string // what the partial is held by in Local.held
	size    int64
	done    bool // released by Commit, Close or Discard

	state    []byte // the State found at open
	newState []byte // what SetState asked to keep
	stateSet bool
	flushed  *writeback.Tracker // starts writeback as the partial grows

	prepared bool      // prepare succeeded: publish may rename
	oldMTime bool      // prepare set a given modification time
	opened   time.Time // when the partial was opened (see Commit)
}

var (
	_ Upload        = (*upload)(nil)
	_ io.ReaderFrom = (*upload)(nil)
)

func (u *upload) Target() string { return u.target }
func (u *upload) Size() int64    { return u.size }
func (u *upload) State() []byte  { return u.state }

// SetState keeps state in the record of a resumable partial when it is
// closed, for the partial as it is now.
func (u *upload) SetState(state []byte) {
	if len(state) > MaxState {
		state = nil // too large to keep: the next resume rehashes
	}
	u.newState, u.stateSet = state, true
}

func (u *upload) ReadAt(p []byte, off int64) (int, error) {
	n, err := u.file.ReadAt(p, off)
	return n, u.wrap("read", err)
}

// Truncate cuts the partial to size and goes on writing from there.
func (u *upload) Truncate(size int64) error {
	if u.done {
		return fsError("truncate", u.target, os.ErrClosed)
	}
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
	u.flushed.Advance(size)
	// Any state kept may describe bytes that are gone now.
	u.state, u.newState, u.stateSet = nil, nil, true
	return nil
}

func (u *upload) Write(p []byte) (int, error) {
	if u.done {
		return 0, fsError("write", u.target, os.ErrClosed)
	}
	if err := u.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := u.file.Write(p)
	u.size += int64(n)
	u.flushed.Advance(u.size)
	return n, u.wrap("write", err)
}

// ReadFrom appends from r until it ends. The *os.File reads a TCP
// connection (or an io.LimitedReader of one) with splice(2), without
// copying the bytes through user space.
func (u *upload) ReadFrom(r io.Reader) (int64, error) {
	if u.done {
		return 0, fsError("write", u.target, os.ErrClosed)
	}
	if err := u.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := u.file.ReadFrom(r)
	u.size += n
	u.flushed.Advance(u.size)
	return n, u.wrap("write", err)
}

// Close keeps a resumable partial for later and removes a temporary one.
// The partial's bytes are flushed before its state is written, so a state
// never describes bytes a crash could lose.
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
	var stateErr error
	if syncErr == nil && u.stateSet {
		rec := uploadRecord{Target: u.target, Created: u.created()}
		if u.newState != nil {
			if id, err := u.stamp(); err == nil {
				rec.State, rec.StateOf = u.newState, id
			}
		}
		stateErr = u.space.writeSidecar(u.sidecar, rec)
	}
	closeErr := u.file.Close()
	return u.wrap("close", cmp.Or(syncErr, closeErr, stateErr))
}

// created is when the partial was first made, as its record says.
func (u *upload) created() time.Time {
	if rec, err := u.space.readRecord(u.sidecar); err == nil {
		return rec.Created
	}
	return time.Now().UTC()
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
