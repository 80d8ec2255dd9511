package storage

import (
	"context"
	"io/fs"
	"os"
)

// The checks and error forms below are for stores kept outside this
// package (internal/storage/cloud), so that every store refuses the same
// paths with the same errors.

// CheckPath refuses, with ErrInvalidPath, anything but a clean
// '/'-separated relative path or "." (see checkPath), and refuses to start
// once ctx has ended.
func CheckPath(ctx context.Context, op, name string) error { return checkPath(ctx, op, name) }

// CheckEntry is CheckPath for operations that change or replace an entry,
// which the top folder itself can never be.
func CheckEntry(ctx context.Context, op, name string) error { return checkEntry(ctx, op, name) }

// CheckUser refuses user names that could not name one folder.
func CheckUser(user string) error { return checkUser(user) }

// PathError reports that op on name failed with err, in the form every
// store uses.
func PathError(op, name string, err error) error { return &fs.PathError{Op: op, Path: name, Err: err} }

// LinkError is PathError for operations on two paths.
func LinkError(op, from, to string, err error) error {
	return &os.LinkError{Op: op, Old: from, New: to, Err: err}
}
