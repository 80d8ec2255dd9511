package proto

import (
	"fmt"
	"time"
)

// Error is an error reply: a stable machine-readable code and a message for
// the user. It is also the Go error a client returns for it, and each
// ErrXxx below is a sentinel matching its code under errors.Is.
// Layout: {"type":"error","id":N,"code":…,"message":…,"retry_after_ms":…}
type Error struct {
	Code         string `json:"code"`
	Message      string `json:"message"`
	RetryAfterMS int64  `json:"retry_after_ms,omitempty"`
}

func (*Error) MsgType() string { return "error" }

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Message
}

// Is matches sentinels by code: errors.Is(err, proto.ErrNotFound).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// RetryAfter is how long the server asks the client to wait, if it said.
func (e *Error) RetryAfter() time.Duration {
	return time.Duration(e.RetryAfterMS) * time.Millisecond
}

// Errorf builds an error reply with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Error codes. They are part of the protocol: never renumber or reuse one.
const (
	CodeBadRequest        = "bad_request"    // malformed frame or fields
	CodeUnsupported       = "unsupported"    // unknown message type or version
	CodeTLSRequired       = "tls_required"   // plaintext client, TLS server
	CodeTLSUnexpected     = "tls_unexpected" // TLS client, plaintext server
	CodeClientKeyRequired = "client_key_required"
	CodeClientKeyRejected = "client_key_rejected"
	CodeServerBusy        = "server_busy"   // connection limit reached
	CodeShuttingDown      = "shutting_down" // server is stopping
	CodeTimeout           = "timeout"       // a deadline passed: the connection closes (id 0)
	CodeNotLoggedIn       = "not_logged_in"
	CodeAlreadyLoggedIn   = "already_logged_in"
	CodeSessionExpired    = "session_expired" // token unknown, revoked or expired
	CodeAuthFailed        = "auth_failed"     // wrong user name or password
	CodeRateLimited       = "rate_limited"    // see retry_after_ms
	CodeAccountDisabled   = "account_disabled"
	CodeUserExists        = "user_exists"
	CodeBadUsername       = "bad_username"
	CodeBadPassword       = "bad_password" // new password breaks the rules
	CodeBadPath           = "bad_path"     // path refused: outside the folder, reserved, malformed
	CodeNotFound          = "not_found"
	CodeExists            = "exists"
	CodeNotDir            = "not_dir"
	CodeIsDir             = "is_dir"
	CodeNotEmpty          = "not_empty"
	CodeNameCollision     = "name_collision" // differs from an existing name only in Unicode form
	CodeQuotaExceeded     = "quota_exceeded"
	CodeNoSpace           = "no_space" // the server's disk cannot hold the upload
	CodeBusy              = "busy"
	CodeChecksumMismatch  = "checksum_mismatch"
	CodeInternal          = "internal"
)

// Sentinels for errors.Is, one per code.
var (
	ErrBadRequest        = &Error{Code: CodeBadRequest}
	ErrUnsupported       = &Error{Code: CodeUnsupported}
	ErrTLSRequired       = &Error{Code: CodeTLSRequired}
	ErrTLSUnexpected     = &Error{Code: CodeTLSUnexpected}
	ErrClientKeyRequired = &Error{Code: CodeClientKeyRequired}
	ErrClientKeyRejected = &Error{Code: CodeClientKeyRejected}
	ErrServerBusy        = &Error{Code: CodeServerBusy}
	ErrShuttingDown      = &Error{Code: CodeShuttingDown}
	ErrNotLoggedIn       = &Error{Code: CodeNotLoggedIn}
	ErrAlreadyLoggedIn   = &Error{Code: CodeAlreadyLoggedIn}
	ErrSessionExpired    = &Error{Code: CodeSessionExpired}
	ErrAuthFailed        = &Error{Code: CodeAuthFailed}
	ErrRateLimited       = &Error{Code: CodeRateLimited}
	ErrAccountDisabled   = &Error{Code: CodeAccountDisabled}
	ErrUserExists        = &Error{Code: CodeUserExists}
	ErrBadUsername       = &Error{Code: CodeBadUsername}
	ErrBadPassword       = &Error{Code: CodeBadPassword}
	ErrBadPath           = &Error{Code: CodeBadPath}
	ErrNotFound          = &Error{Code: CodeNotFound}
	ErrExists            = &Error{Code: CodeExists}
	ErrNotDir            = &Error{Code: CodeNotDir}
	ErrIsDir             = &Error{Code: CodeIsDir}
	ErrNotEmpty          = &Error{Code: CodeNotEmpty}
	ErrNameCollision     = &Error{Code: CodeNameCollision}
	ErrQuotaExceeded     = &Error{Code: CodeQuotaExceeded}
	ErrNoSpace           = &Error{Code: CodeNoSpace}
	ErrBusy              = &Error{Code: CodeBusy}
	ErrChecksumMismatch  = &Error{Code: CodeChecksumMismatch}
	ErrInternal          = &Error{Code: CodeInternal}
)
