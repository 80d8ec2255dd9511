package client

import (
	"context"
	"errors"
	"fmt"

	"netdisk/internal/proto"
)

// Limits on one paged reply (a listing, the list of unfinished uploads),
// far above any real folder (the server sends at most 128 entries a page)
// and low enough that a server sending a listing without end (more=true
// forever) gets an error, not the client's memory.
const (
	// MaxListEntries bounds the entries of one folder.
	MaxListEntries = 1_000_000
	// MaxListPages bounds the frames of one listing: a server that sends
	// empty or tiny pages reaches it long before the entry limit.
	MaxListPages = 1 << 17
	// MaxListBytes bounds the header bytes of one listing's frames taken
	// together (names are at most 255 bytes; unknown members count too).
	MaxListBytes = 256 << 20
)

// ErrListTooLong wraps the error of a paged reply past one of the limits.
var ErrListTooLong = errors.New("listing too long")

// pageLimits are the limits in force; tests lower them.
var pageLimits = struct {
	entries, pages int
	bytes          int64
}{MaxListEntries, MaxListPages, MaxListBytes}

// readPages collects the items of a paged reply: frames of type typ, each
// decoded by decode into its items and whether more frames follow. what
// names the reply in errors ("the listing of the folder \"x\"").
//
// Past a limit, or on a frame that is not of the reply's type or carries a
// body, the connection is closed: the rest of such a reply could go on
// arriving without end, and nothing else could use the connection meanwhile.
func readPages[T any](ctx context.Context, c *Client, cl *call, typ, what string, decode func(h *proto.Header) ([]T, bool, error)) ([]T, error) {
	var all []T
	var pages int
	var bytes int64
	giveUp := func(err error) ([]T, error) {
		cl.abandon(c)
		c.conn.Close()
		return nil, err
	}
	for {
		f, err := cl.next(ctx, c)
		if err != nil {
			return nil, err
		}
		if f.body != nil {
			f.body.Close()
			return giveUp(fmt.Errorf("the server %s sent a %q frame with a body in %s", c.addr, f.h.Type, what))
		}
		if f.h.Type != typ {
			return giveUp(fmt.Errorf("the server %s sent a %q frame in %s, where %q frames belong", c.addr, f.h.Type, what, typ))
		}
		pages++
		bytes += int64(len(f.h.Raw))
		items, more, err := decode(f.h)
		if err != nil {
			return giveUp(fmt.Errorf("the server %s sent a malformed frame in %s: %w", c.addr, what, err))
		}
		all = append(all, items...)
		switch {
		case len(all) > pageLimits.entries:
			return giveUp(fmt.Errorf("%w: the server %s sent more than %d entries in %s", ErrListTooLong, c.addr, pageLimits.entries, what))
		case more && pages >= pageLimits.pages:
			return giveUp(fmt.Errorf("%w: the server %s sent more than %d frames in %s", ErrListTooLong, c.addr, pageLimits.pages, what))
		case bytes > pageLimits.bytes:
			return giveUp(fmt.Errorf("%w: the server %s sent more than %d bytes in %s", ErrListTooLong, c.addr, pageLimits.bytes, what))
		}
		if !more {
			return all, nil
		}
	}
}
