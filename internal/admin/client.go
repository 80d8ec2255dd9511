package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
)

// RemoteError is a Response that says no.
type RemoteError struct {
	Code    string
	Message string
}

func (e *RemoteError) Error() string { return e.Message }

// Call sends req to the admin socket at path and returns the reply's
// result (nil when there is none), or a *RemoteError. It waits as long as
// ctx allows: an operation such as a recount may walk many folders.
func Call(ctx context.Context, path string, req Request) (json.RawMessage, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	data, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	// A server that refuses the peer answers at once and closes, perhaps
	// before the request is written: its reply is worth more than the
	// write's broken pipe.
	_, writeErr := c.Write(append(data, '\n'))
	// A reply may be long (every user, every session): it is not bounded
	// like a request, the server being the one trusted side.
	var resp Response
	if err := json.NewDecoder(c).Decode(&resp); err != nil {
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case writeErr != nil:
			return nil, fmt.Errorf("sending the request: %w", writeErr)
		}
		return nil, fmt.Errorf("reading the reply: %w", err)
	}
	return resultOf(resp)
}

func resultOf(resp Response) (json.RawMessage, error) {
	if !resp.OK {
		if resp.Error == "" {
			return nil, errors.New("the server said no without a reason")
		}
		return nil, &RemoteError{Code: resp.Code, Message: resp.Error}
	}
	return resp.Result, nil
}
