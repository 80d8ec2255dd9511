package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// Errors a Store or Space returns, wrapped with the operation and the
// user-relative path. Missing and existing things are reported with errors
// that satisfy errors.Is(err, fs.ErrNotExist) and errors.Is(err, fs.ErrExist).
var (
	ErrInvalidPath = errors.New("invalid path")
	ErrNotDir      = errors.New("not a folder")
	ErrIsDir       = errors.New("is a folder")
	ErrNotEmpty    = errors.New("folder not empty")
	ErrNotRegular  = errors.New("not a regular file")
	ErrBusy        = errors.New("another upload of this file is in progress")
)

// errOutside is what a path that leads outside the folder (through a
// symlink) is refused with.
var errOutside = fmt.Errorf("%w: leads outside the folder", ErrInvalidPath)

// escapeMessage is the text of the error os.Root returns when a path or
// symlink leads outside the root. os keeps that error unexported, so the
// text is the only way to tell it apart.
const escapeMessage = "path escapes from parent"

// fsError reports that op on name failed with err. name is the path the
// caller gave; whatever path err carries is dropped, because errors from
// os name the server's folder and the store's internal files.
func fsError(op, name string, err error) error {
	return &fs.PathError{Op: op, Path: name, Err: cause(err)}
}

// linkError is fsError for operations on two paths.
func linkError(op, from, to string, err error) error {
	return &os.LinkError{Op: op, Old: from, New: to, Err: cause(err)}
}

// cause strips the path wrappers from an error of package os and maps the
// errno values callers act on to this package's sentinels or fs's.
func cause(err error) error {
	for {
		switch e := err.(type) {
		case *fs.PathError:
			err = e.Err
			continue
		case *os.LinkError:
			err = e.Err
			continue
		case *os.SyscallError:
			err = e.Err
			continue
		}
		break
	}
	var errno syscall.Errno
	switch {
	case errors.As(err, &errno):
		switch errno {
		case syscall.ENOENT:
			return fs.ErrNotExist
		case syscall.EEXIST:
			return fs.ErrExist
		case syscall.ENOTDIR:
			return ErrNotDir
		case syscall.EISDIR:
			return ErrIsDir
		case syscall.ENOTEMPTY:
			return ErrNotEmpty
		}
		return errno
	case err != nil && err.Error() == escapeMessage:
		return errOutside
	}
	return err
}
