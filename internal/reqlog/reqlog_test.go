package reqlog

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestIdentifiersGoOnEveryLineOnce(t *testing.T) {
	var buf bytes.Buffer
	base := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	l := Wrap(base)
	if Wrap(l) != l {
		t.Error("wrapping a wrapped logger wrapped it again")
	}
	conn := With(context.Background(), slog.String("door", "protocol"), slog.Int("conn", 7))
	req := With(conn, slog.Int("req", 42))
	if other := With(conn, slog.Int("req", 43)); len(attrsOf(other)) != 3 || len(attrsOf(req)) != 3 {
		t.Error("two requests of one connection share their identifiers")
	}
	cases := []struct {
		name string
		log  func()
		want string
	}{
		{"no identifiers", func() { l.Info("hello", "a", 1) },
			`level=INFO msg=hello a=1`},
		{"the connection's", func() { l.InfoContext(conn, "hello") },
			`level=INFO msg=hello door=protocol conn=7`},
		{"the request's, before the line's own", func() { l.InfoContext(req, "hello", "a", 1) },
			`level=INFO msg=hello door=protocol conn=7 req=42 a=1`},
		{"a key the line has", func() { l.InfoContext(req, "hello", "req", 43) },
			`level=INFO msg=hello door=protocol conn=7 req=43`},
		{"a key the logger has", func() { l.With("door", "web").InfoContext(req, "hello") },
			`level=INFO msg=hello door=web conn=7 req=42`},
		{"in a group: none", func() { l.WithGroup("g").InfoContext(req, "hello", "a", 1) },
			`level=INFO msg=hello g.a=1`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			buf.Reset()
			tc.log()
			if got := strings.TrimSpace(buf.String()); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestNewIDIsUnique(t *testing.T) {
	a, b := NewID(), NewID()
	if a == b || a == 0 {
		t.Errorf("NewID gave %d then %d", a, b)
	}
}
