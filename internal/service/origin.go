package service

import "context"

// Origin says through which front door, and from which address, a request
// came: the session a login starts keeps it, and an upload names it as the
// holder of its partial, for the administrator (netdisk admin sessions,
// admin uploads).
type Origin struct {
	Door string // DoorProtocol or DoorWeb; "" if not known
	Addr string // the client's address; "" if not known
}

// The front doors.
const (
	DoorProtocol = "netdisk"
	DoorWeb      = "web"
)

type originKey struct{}

// WithOrigin returns ctx carrying o; a front door sets it on the context
// of every request it hands to the service.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// originOf returns the Origin ctx carries, if any.
func originOf(ctx context.Context) Origin {
	o, _ := ctx.Value(originKey{}).(Origin)
	return o
}

// String is how the administrator's listings show it.
func (o Origin) String() string {
	switch {
	case o.Door == "" && o.Addr == "":
		return ""
	case o.Addr == "":
		return o.Door
	case o.Door == "":
		return o.Addr
	}
	return o.Door + " " + o.Addr
}
