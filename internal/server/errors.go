package server

import (
	"context"
	"errors"

	"netdisk/internal/proto"
	"netdisk/internal/service"
)

// wireCodes maps the service's errors to wire codes: the service has
// translated every error of the layers below into one of its own. Their
// messages are written for users (paths relative to the user's folder,
// rules spelled out), so they go to the client as they are.
var wireCodes = []struct {
	err  error
	code string
}{
	{service.ErrAuthFailed, proto.CodeAuthFailed},
	{service.ErrWrongPassword, proto.CodeAuthFailed},
	{service.ErrSessionExpired, proto.CodeSessionExpired},
	{service.ErrDisabled, proto.CodeAccountDisabled},
	{service.ErrUserExists, proto.CodeUserExists},
	{service.ErrBadUsername, proto.CodeBadUsername},
	{service.ErrBadPassword, proto.CodeBadPassword},
	{service.ErrBadPath, proto.CodeBadPath},
	{service.ErrNotFound, proto.CodeNotFound},
	{service.ErrExists, proto.CodeExists},
	{service.ErrNotDir, proto.CodeNotDir},
	{service.ErrIsDir, proto.CodeIsDir},
	{service.ErrNotEmpty, proto.CodeNotEmpty},
	{service.ErrNameCollision, proto.CodeNameCollision},
	{service.ErrQuotaExceeded, proto.CodeQuotaExceeded},
	{service.ErrNoSpace, proto.CodeNoSpace},
	{service.ErrBusy, proto.CodeBusy},
	{service.ErrTooMany, proto.CodeBusy},
	{service.ErrTakenOver, proto.CodeBusy},
	{service.ErrRateLimited, proto.CodeRateLimited},
	{service.ErrChecksumMismatch, proto.CodeChecksumMismatch},
	{service.ErrBadRequest, proto.CodeBadRequest},
	{service.ErrClosed, proto.CodeShuttingDown},
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
