package service

import (
	"errors"
	"fmt"
	"time"
)

// Errors of the business rules. Storage errors (fs.ErrNotExist,
// storage.ErrIsDir, …) and users errors (users.ErrExists, users.ErrBadName,
// …) pass through wrapped; the front doors map all of them in one place.
var (
	ErrAuthFailed       = errors.New("wrong user name or password")
	ErrWrongPassword    = errors.New("the current password is wrong")
	ErrSessionExpired   = errors.New("your session has expired or was ended; log in again")
	ErrDisabled         = errors.New("this account is disabled; ask the administrator")
	ErrBadPath          = errors.New("path refused")
	ErrNameCollision    = errors.New("a file or folder with the same name in another Unicode form exists")
	ErrQuotaExceeded    = errors.New("quota exceeded")
	ErrNoSpace          = errors.New("the server is short of disk space")
	ErrTooMany          = errors.New("too many requests at once")
	ErrRateLimited      = errors.New("too many failed logins")
	ErrChecksumMismatch = errors.New("checksum mismatch")
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

// RateLimitError is a refused login attempt; it matches ErrRateLimited.
type RateLimitError struct {
	RetryAfter time.Duration
	Reason     string // "user" or "address"
}

func (e *RateLimitError) Error() string {
	wait := e.RetryAfter.Round(time.Second)
	if wait < time.Second {
		wait = time.Second
	}
	return fmt.Sprintf("too many failed logins for this %s; try again in %v", e.Reason, wait)
}

func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// QuotaError is a refused write; it matches ErrQuotaExceeded.
type QuotaError struct {
	Used, Quota, Need int64
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("quota exceeded: %d of %d bytes used, this needs %d more; remove files or ask for a larger quota",
		e.Used, e.Quota, e.Need)
}

func (e *QuotaError) Is(target error) bool { return target == ErrQuotaExceeded }
