package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"netdisk/internal/storage"
	"netdisk/internal/units"
	"netdisk/internal/users"
)

// Errors of the service, the only ones its callers need to know: every
// error of the layers below is translated into one of these (or wrapped
// unchanged as an internal fault) in mapErr, so a front door maps errors
// to its own codes with one table over this list. Messages are written for
// users: paths are relative to the user's folder, rules are spelled out.
var (
	ErrAuthFailed       = errors.New("wrong user name or password")
	ErrWrongPassword    = errors.New("the current password is wrong")
	ErrSessionExpired   = errors.New("your session has expired or was ended; log in again")
	ErrDisabled         = errors.New("this account is disabled; ask the administrator")
	ErrUserExists       = errors.New("user already exists")
	ErrBadUsername      = errors.New("invalid user name")
	ErrBadPassword      = errors.New("password does not meet the rules")
	ErrBadPath          = errors.New("path refused")
	ErrNotFound         = errors.New("does not exist")
	ErrExists           = errors.New("already exists")
	ErrNotDir           = errors.New("not a folder")
	ErrIsDir            = errors.New("is a folder")
	ErrNotEmpty         = errors.New("folder not empty")
	ErrNameCollision    = errors.New("a file or folder with the same name in another Unicode form exists")
	ErrQuotaExceeded    = errors.New("quota exceeded")
	ErrNoSpace          = errors.New("the server is short of disk space")
	ErrBusy             = errors.New("in use by another upload")
	ErrTooMany          = errors.New("too many requests at once")
	ErrRateLimited      = errors.New("too many failed logins")
	ErrChecksumMismatch = errors.New("checksum mismatch")
	ErrBadRequest       = errors.New("request does not make sense")
	ErrTakenOver        = errors.New("a newer upload of the same file took over from this one")
	ErrClosed           = errors.New("service is shutting down")
)

// PathError says why a path was refused. It matches ErrBadPath.
type PathError struct {
	Path   string
	Reason string
}

func (e *PathError) Error() string {
	return fmt.Sprintf("path %q refused: %s", e.Path, e.Reason)
}

func (e *PathError) Is(target error) bool { return target == ErrBadPath }

// RateLimitError is a refused attempt; it matches ErrRateLimited.
type RateLimitError struct {
	RetryAfter time.Duration
	Reason     string // "user" or "address"
	What       string // what there were too many of; "" for failed logins
}

func (e *RateLimitError) Error() string {
	wait := e.RetryAfter.Round(time.Second)
	if wait < time.Second {
		wait = time.Second
	}
	what := e.What
	if what == "" {
		what = "failed logins"
	}
	return fmt.Sprintf("too many %s for this %s; try again in %v", what, e.Reason, wait)
}

func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// QuotaError is a refused write; it matches ErrQuotaExceeded.
type QuotaError struct {
	Used, Quota, Need int64
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("quota exceeded: %s of %s used, this needs %s more; remove files or ask for a larger quota",
		units.Bytes(e.Used), units.Bytes(e.Quota), units.Bytes(e.Need))
}

func (e *QuotaError) Is(target error) bool { return target == ErrQuotaExceeded }

// kindError is an error of a lower layer translated into a service
// sentinel, with the message users see.
type kindError struct {
	kind error
	msg  string
	err  error // the original, for logs
}

func (e *kindError) Error() string        { return e.msg }
func (e *kindError) Is(target error) bool { return target == e.kind }
func (e *kindError) Unwrap() error        { return e.err }

// storageKinds translates the errors of storage into the service's.
var storageKinds = []struct {
	err, kind error
}{
	{fs.ErrNotExist, ErrNotFound},
	{fs.ErrExist, ErrExists},
	{storage.ErrNotDir, ErrNotDir},
	{storage.ErrIsDir, ErrIsDir},
	{storage.ErrNotEmpty, ErrNotEmpty},
	{storage.ErrBusy, ErrBusy},
	{syscall.ENOSPC, ErrNoSpace},
	{syscall.EDQUOT, ErrNoSpace},
	{syscall.ENAMETOOLONG, ErrBadPath},
}

// usersKinds translates the errors of users into the service's.
var usersKinds = []struct {
	err, kind error
}{
	{users.ErrExists, ErrUserExists},
	{users.ErrBadName, ErrBadUsername},
	{users.ErrBadPassword, ErrBadPassword},
	{users.ErrNotFound, ErrSessionExpired},
	{users.ErrClosed, ErrClosed},
}

// mapErr is the one place where errors of storage and users become the
// service's: the sentinel to match, and a message naming the user's path
// (storage reports user-relative paths only). Errors already the
// service's, context errors and nil pass unchanged; anything else is an
// internal fault the front door logs and does not show.
func mapErr(err error) error {
	if err == nil || isServiceError(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, storage.ErrInvalidPath) || errors.Is(err, storage.ErrNotRegular) {
		return &PathError{Path: errPath(err), Reason: invalidReason(err)}
	}
	for _, k := range storageKinds {
		if errors.Is(err, k.err) {
			return &kindError{kind: k.kind, msg: describe(err, k.kind), err: err}
		}
	}
	for _, k := range usersKinds {
		if errors.Is(err, k.err) {
			return &kindError{kind: k.kind, msg: err.Error(), err: err}
		}
	}
	return err
}

// serviceErrors are the sentinels isServiceError recognizes.
var serviceErrors = []error{
	ErrAuthFailed, ErrWrongPassword, ErrSessionExpired, ErrDisabled, ErrUserExists,
	ErrBadUsername, ErrBadPassword, ErrBadPath, ErrNotFound, ErrExists, ErrNotDir,
	ErrIsDir, ErrNotEmpty, ErrNameCollision, ErrQuotaExceeded, ErrNoSpace, ErrBusy,
	ErrTooMany, ErrRateLimited, ErrChecksumMismatch, ErrBadRequest, ErrTakenOver, ErrClosed,
}

func isServiceError(err error) bool {
	for _, s := range serviceErrors {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// describe writes a storage error for users: "PATH: what is wrong", or for
// a move "moving FROM to TO: what is wrong". Paths of the storage are
// relative to the user's folder; an absolute one is the server's own file
// (of the registry, the sessions), which is not the user's business and is
// left out.
func describe(err error, kind error) string {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &le) && (filepath.IsAbs(le.Old) || filepath.IsAbs(le.New)),
		errors.As(err, &pe) && filepath.IsAbs(pe.Path):
		if kind == ErrNoSpace {
			return kind.Error() + "; ask the administrator"
		}
		return kind.Error()
	case errors.As(err, &le):
		return fmt.Sprintf("moving %s to %s: %v", le.Old, le.New, kind)
	case errors.As(err, &pe) && kind == ErrNoSpace:
		return fmt.Sprintf("%s: %v; ask the administrator", pe.Path, kind)
	case errors.As(err, &pe):
		return fmt.Sprintf("%s: %v", pe.Path, kind)
	}
	return kind.Error()
}

// errPath is the user's path a storage error names.
func errPath(err error) string {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &le):
		return le.New
	case errors.As(err, &pe):
		return pe.Path
	}
	return ""
}

// invalidReason says why storage refused a path.
func invalidReason(err error) string {
	if errors.Is(err, storage.ErrNotRegular) {
		return "not a regular file (a link or device made on the server)"
	}
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &le):
		return le.Err.Error()
	case errors.As(err, &pe):
		return pe.Err.Error()
	}
	return err.Error()
}
