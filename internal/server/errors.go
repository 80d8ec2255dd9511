package server

import (
	"context"
	"errors"

	"netdisk/internal/proto"
	"netdisk/internal/service"
)

// toWire is the one place where an error becomes a wire error. Anything it
// does not recognise is logged and reported as an internal error, so no
// server detail (absolute paths, system messages) reaches a client.
func (c *conn) toWire(ctx context.Context, err error) *proto.Error {
	var pe *proto.Error
	if errors.As(err, &pe) {
		return pe
	}
	// The service's error kinds are the protocol's codes; their messages
	// are written for users (paths relative to the user's folder, rules
	// spelled out), so they go to the client as they are.
	if kind := service.Kind(err); kind != "" {
		e := &proto.Error{Code: kind, Message: err.Error()}
		var rl *service.RateLimitError
		if errors.As(err, &rl) {
			e.RetryAfterMS = rl.RetryAfter.Milliseconds()
		}
		return e
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return proto.Errorf(proto.CodeShuttingDown, "the request was cancelled")
	}
	c.logger.ErrorContext(ctx, "internal error", "err", err)
	return proto.Errorf(proto.CodeInternal, "internal server error (logged on the server)")
}

// codeOf is a request's outcome as logs and metrics give it: "ok", the
// code of the error reply (as toWire makes it), or "disconnected" when
// the client left (or stopped reading) in the middle.
func codeOf(err error) string {
	var pe *proto.Error
	var hu hangUp
	var f fatal
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &hu) || errors.As(err, &f) && isNetError(f.err):
		return "disconnected"
	case errors.As(err, &pe):
		return pe.Code
	case service.Kind(err) != "":
		return service.Kind(err)
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return proto.CodeShuttingDown
	}
	return proto.CodeInternal
}
