package daemon_test

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"testing"

	"netdisk/internal/daemon"
)

// TestShutdownTwice: a second Shutdown (a signal handler and a deferred
// clean-up, say) returns the first one's result instead of closing
// everything again.
func TestShutdownTwice(t *testing.T) {
	d, err := daemon.Start(daemon.Config{
		DataDir:   filepath.Join(t.TempDir(), "data"),
		Listen:    "127.0.0.1:0",
		HTTP:      "off",
		Plaintext: true,
		Logger:    slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	addr := d.Addr.String()
	if err := d.Shutdown(context.Background()); err != nil {
		t.Fatalf("first Shutdown: %v", err)
	}
	if err := d.Shutdown(context.Background()); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatal("the server still accepts connections")
	}
}
