package server

import (
	"context"
	"errors"
	"io/fs"

	"netdisk/internal/proto"
	"netdisk/internal/service"
	"netdisk/internal/storage"
	"netdisk/internal/users"
)

// wireCodes maps the errors of the layers below to wire codes. The messages
// of these errors are written for users (paths relative to the user's
// folder, rules spelled out), so they go to the client as they are.
var wireCodes = []struct {
	err  error
	code string
}{
	{service.ErrAuthFailed, proto.CodeAuthFailed},
	{service.ErrWrongPassword, proto.CodeAuthFailed},
	{service.ErrSessionExpired, proto.CodeSessionExpired},
	{service.ErrDisabled, proto.CodeAccountDisabled},
	{service.ErrBadPath, proto.CodeBadPath},
	{service.ErrNameCollision, proto.CodeNameCollision},
	{service.ErrQuotaExceeded, proto.CodeQuotaExceeded},
	{service.ErrNoSpace, proto.CodeNoSpace},
	{service.ErrTooMany, proto.CodeBusy},
	{service.ErrRateLimited, proto.CodeRateLimited},
	{service.ErrChecksumMismatch, proto.CodeChecksumMismatch},
	{service.ErrClosed, proto.CodeShuttingDown},
	{users.ErrExists, proto.CodeUserExists},
	{users.ErrBadName, proto.CodeBadUsername},
	{users.ErrBadPassword, proto.CodeBadPassword},
	{storage.ErrInvalidPath, proto.CodeBadPath},
	{storage.ErrNotDir, proto.CodeNotDir},
	{storage.ErrIsDir, proto.CodeIsDir},
	{storage.ErrNotEmpty, proto.CodeNotEmpty},
	{storage.ErrBusy, proto.CodeBusy},
	{storage.ErrNotRegular, proto.CodeBadPath},
	{fs.ErrNotExist, proto.CodeNotFound},
	{fs.ErrExist, proto.CodeExists},
}

// toWire is the one place where an error becomes a wire error. Anything it
// does not recognise is logged and reported as an internal error, so no
// server detail (absolute paths, system messages) reaches a client.
func (c *conn) toWire(err error) *proto.Error {
	var pe *proto.Error
	if errors.As(err, &pe) {
		return pe
	}
	for _, m := range wireCodes {
		if errors.Is(err, m.err) {
			e := &proto.Error{Code: m.code, Message: err.Error()}
			var rl *service.RateLimitError
			if errors.As(err, &rl) {
				e.RetryAfterMS = rl.RetryAfter.Milliseconds()
			}
			return e
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return proto.Errorf(proto.CodeShuttingDown, "the request was cancelled")
	}
	c.logger.Error("internal error", "err", err)
	return proto.Errorf(proto.CodeInternal, "internal server error (logged on the server)")
}
