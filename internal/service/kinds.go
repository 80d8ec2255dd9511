package service

import "errors"

// kinds names the service's errors for the front doors. Every error the
// service returns wraps one of these sentinels (or a context error); the
// names are the same on every door: the TCP protocol's error codes and the
// web API's.
var kinds = []struct {
	err  error
	name string
}{
	{ErrAuthFailed, "auth_failed"},
	{ErrWrongPassword, "auth_failed"},
	{ErrSessionExpired, "session_expired"},
	{ErrDisabled, "account_disabled"},
	{ErrUserExists, "user_exists"},
	{ErrBadUsername, "bad_username"},
	{ErrBadPassword, "bad_password"},
	{ErrBadPath, "bad_path"},
	{ErrNotFound, "not_found"},
	{ErrExists, "exists"},
	{ErrNotDir, "not_dir"},
	{ErrIsDir, "is_dir"},
	{ErrNotEmpty, "not_empty"},
	{ErrNameCollision, "name_collision"},
	{ErrQuotaExceeded, "quota_exceeded"},
	{ErrNoSpace, "no_space"},
	{ErrBusy, "busy"},
	{ErrTooMany, "busy"},
	{ErrTakenOver, "busy"},
	{ErrRateLimited, "rate_limited"},
	{ErrChecksumMismatch, "checksum_mismatch"},
	{ErrBadRequest, "bad_request"},
	{ErrClosed, "shutting_down"},
}

// Kind names err's kind (e.g. "not_found"), or returns "" for an error
// that is none of the service's: an internal fault, to be logged and not
// shown.
func Kind(err error) string {
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return ""
}
