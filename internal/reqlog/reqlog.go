// Package reqlog ties log lines to the operation they belong to. A front
// door puts identifiers (the door, the connection, the request) into a
// request's context with With; every line logged with that context, by the
// front door or by the layers it calls, then carries them, through the
// handler Wrap installs. A line never gets a key twice: an identifier is
// left out of a line that already has its key (from the line itself or
// from its logger's With).
package reqlog

import (
	"context"
	"log/slog"
	"slices"
	"sync/atomic"
)

type ctxKey struct{}

// With returns a context whose log lines carry attrs besides those ctx
// carries. (Attributes, not slog's loose key-value pairs: a front door
// calls this for every request, and typed attributes cost no boxing.)
func With(ctx context.Context, attrs ...slog.Attr) context.Context {
	prev := attrsOf(ctx)
	all := make([]slog.Attr, 0, len(prev)+len(attrs))
	all = append(append(all, prev...), attrs...)
	return context.WithValue(ctx, ctxKey{}, all)
}

func attrsOf(ctx context.Context) []slog.Attr {
	if ctx == nil {
		return nil
	}
	a, _ := ctx.Value(ctxKey{}).([]slog.Attr)
	return a
}

var lastID atomic.Uint64

// NewID returns an identifier for an operation or a connection, unique
// within the process (ids of both front doors come from one sequence).
func NewID() uint64 { return lastID.Add(1) }

// Wrap returns l logging through a handler that adds the context's
// identifiers to every line. Wrapping a wrapped logger returns it as is.
func Wrap(l *slog.Logger) *slog.Logger {
	if _, ok := l.Handler().(*handler); ok {
		return l
	}
	return slog.New(&handler{next: l.Handler()})
}

// handler adds the identifiers of the record's context, after the line's
// own attributes are known, skipping keys the line has already.
type handler struct {
	next slog.Handler
	keys []string // top-level keys added by With (none once in a group)
	// grouped: a WithGroup was applied; identifiers then go inside the
	// group, and keys are no longer comparable, so none are added.
	grouped bool
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	ids := attrsOf(ctx)
	if len(ids) == 0 || h.grouped {
		return h.next.Handle(ctx, r)
	}
	have := make(map[string]bool, len(h.keys)+r.NumAttrs())
	for _, k := range h.keys {
		have[k] = true
	}
	r.Attrs(func(a slog.Attr) bool {
		have[a.Key] = true
		return true
	})
	// The identifiers go first, so one request's lines line up.
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	for _, a := range ids {
		if !have[a.Key] {
			have[a.Key] = true
			out.AddAttrs(a)
		}
	}
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(a)
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	keys := slices.Clone(h.keys)
	if !h.grouped {
		for _, a := range attrs {
			keys = append(keys, a.Key)
		}
	}
	return &handler{next: h.next.WithAttrs(attrs), keys: keys, grouped: h.grouped}
}

func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &handler{next: h.next.WithGroup(name), keys: h.keys, grouped: true}
}
