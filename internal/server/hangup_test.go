package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"testing"
	"time"

	"netdisk/internal/proto"
)

// pipeConn is a conn over one end of a net.Pipe, the test holding the
// other (the client).
func pipeConn(t *testing.T) (*conn, net.Conn) {
	t.Helper()
	server, client := net.Pipe()
	t.Cleanup(func() { server.Close(); client.Close() })
	s := New(Config{Logger: slog.New(slog.DiscardHandler)})
	c := newConn(s, server)
	c.r = proto.NewReader(server)
	return c, client
}

// TestWhileWatchingClientHangsUp: work that waits without reading from the
// client (a login queued for an argon2 slot) has its context ended when
// the client hangs up.
func TestWhileWatchingClientHangsUp(t *testing.T) {
	c, client := pipeConn(t)
	done := make(chan error, 1)
	go func() {
		done <- c.whileWatching(func(ctx context.Context) error {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(10 * time.Second):
				return errors.New("the client's hang-up went unnoticed")
			}
		})
	}()
	client.Close()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("whileWatching = %v, want context.Canceled", err)
	}
}

// TestWhileWatchingPipelined: a next request arriving meanwhile does not
// end the work, and is read whole afterwards.
func TestWhileWatchingPipelined(t *testing.T) {
	c, client := pipeConn(t)
	go func() {
		w := proto.NewWriter(client)
		w.WriteMsg(7, proto.ListRequest{Path: "next"}, 0)
		w.Flush()
	}()
	err := c.whileWatching(func(ctx context.Context) error {
		time.Sleep(50 * time.Millisecond) // the request arrives meanwhile
		return ctx.Err()
	})
	if err != nil {
		t.Fatalf("whileWatching = %v, want the work to finish", err)
	}
	c.stream.SetReadDeadline(time.Now().Add(5 * time.Second))
	h, err := c.r.ReadHeader()
	if err != nil || h.Type != "ls" || h.ID != 7 {
		t.Fatalf("next request after whileWatching: %+v, %v", h, err)
	}
}
