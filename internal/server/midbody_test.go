package server_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"netdisk/internal/proto"
)

// TestFileShrinksWhileSent: a file cut short on the server while it is
// being sent (by something other than netdisk) ends the connection after
// a short body; no error frame is written into the body, where the client
// would take it for the file's bytes.
func TestFileShrinksWhileSent(t *testing.T) {
	d := start(t)
	c := loggedIn(t, d, "shr")
	path := filepath.Join(d.DataDir, "files", "shr", "big.bin")
	const size = 64 << 20
	if err := os.WriteFile(path, bytes.Repeat([]byte{'x'}, size), 0o600); err != nil {
		t.Fatal(err)
	}
	c.nc.SetDeadline(time.Now().Add(30 * time.Second))
	c.send(3, proto.Get{Path: "big.bin"})
	if h := c.read(); h.Type != "get_data" {
		t.Fatalf("get: %s", h.Raw)
	}
	head := make([]byte, 1<<20)
	if _, err := io.ReadFull(c.r, head); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(c.r)
	got := len(head) + len(rest)
	if got >= size {
		t.Fatalf("received %d bytes of a file cut to 0", got)
	}
	if i := bytes.IndexByte(rest, '{'); i >= 0 {
		t.Errorf("an error frame inside the body: %q", rest[i:min(i+120, len(rest))])
	}
}
