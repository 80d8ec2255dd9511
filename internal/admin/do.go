package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"netdisk/internal/service"
)

// Do carries out req on svc: the one implementation of every operation,
// whether it came over the socket or runs in `netdisk admin` itself.
func Do(ctx context.Context, svc *service.Service, req Request) Response {
	result, err := do(ctx, svc, req)
	if err != nil {
		return Response{Code: codeOf(err), Error: err.Error()}
	}
	if result == nil {
		result = struct{}{}
	}
	raw, err := json.Marshal(result)
	if err != nil {
		return Response{Code: CodeInternal, Error: err.Error()}
	}
	return Response{OK: true, Result: raw}
}

func do(ctx context.Context, svc *service.Service, req Request) (any, error) {
	needUser := req.Op != OpUsers && req.Op != OpSessions && req.Op != OpUploads && req.Op != OpRecount
	if needUser && req.User == "" {
		return nil, fmt.Errorf("%w: %s needs a user", errBadRequest, req.Op)
	}
	switch req.Op {
	case OpUsers:
		list, err := svc.Accounts(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]User, len(list))
		for i, a := range list {
			out[i] = User{Name: a.Name, Registered: a.Registered, LastLogin: timeOrNil(a.LastLogin),
				Bytes: a.Bytes, Entries: a.Entries, Quota: a.Quota, MaxEntries: a.MaxEntries,
				EntryLimit: a.EntryLimit, Disabled: a.Disabled, Sessions: a.Sessions}
		}
		return out, nil
	case OpAdd:
		return nil, svc.AddUser(ctx, req.User, req.Password)
	case OpRemove:
		r, err := svc.RemoveUser(ctx, req.User)
		if err != nil {
			return nil, err
		}
		return Removed{MovedTo: r.MovedTo, Sessions: r.Sessions}, nil
	case OpQuota:
		return nil, svc.SetQuota(ctx, req.User, req.Value)
	case OpLimit:
		if req.Limit != "entries" {
			return nil, fmt.Errorf("%w: no limit called %q (there is: entries)", errBadRequest, req.Limit)
		}
		return nil, svc.SetMaxEntries(ctx, req.User, req.Value)
	case OpDisable, OpEnable:
		n, err := svc.SetDisabled(ctx, req.User, req.Op == OpDisable)
		return Ended{Sessions: n}, err
	case OpPasswd:
		n, err := svc.ResetPassword(ctx, req.User, req.Password)
		return Ended{Sessions: n}, err
	case OpKick:
		n, err := svc.Kick(ctx, req.User)
		return Ended{Sessions: n}, err
	case OpSessions:
		list, err := svc.Sessions(ctx, req.User)
		if err != nil {
			return nil, err
		}
		out := make([]Session, len(list))
		for i, s := range list {
			out[i] = Session{User: s.User, Created: s.Created, Expires: s.Expires, LastUsed: timeOrNil(s.LastUsed), Door: s.Origin.Door, Addr: s.Origin.Addr}
		}
		return out, nil
	case OpUploads:
		list, err := svc.AllUploads(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]Upload, len(list))
		for i, u := range list {
			out[i] = Upload{User: u.User, Path: u.Target, Held: u.Held, Updated: u.Updated, Holder: u.Holder}
		}
		return out, nil
	case OpRecount:
		list, err := svc.Recount(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]Usage, len(list))
		for i, u := range list {
			out[i] = Usage{User: u.User, Bytes: u.Bytes, Entries: u.Entries}
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: unknown operation %q", errBadRequest, req.Op)
}

var errBadRequest = errors.New("bad request")

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// codeOf is the one table from errors to the codes of a Response.
func codeOf(err error) string {
	for _, c := range []struct {
		err  error
		code string
	}{
		{service.ErrNoSuchUser, CodeNoSuchUser},
		{service.ErrUserExists, CodeUserExists},
		{service.ErrBadUsername, CodeBadUsername},
		{service.ErrBadPassword, CodeBadPassword},
		{service.ErrBadRequest, CodeBadRequest},
		{errBadRequest, CodeBadRequest},
	} {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return CodeInternal
}
