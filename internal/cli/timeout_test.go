package cli

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestSilentServerTimesOut: `netdisk ls` against a server that accepts the
// connection and then says nothing ends with a clear error instead of
// hanging.
func TestSilentServerTimesOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(io.Discard, c) // reads, never writes
			}()
		}
	}()
	for _, args := range [][]string{
		{"--plaintext", "--timeout", "500ms", "ls"},
		{"--timeout", "500ms", "ls"}, // TLS: the handshake itself never completes
	} {
		var out, errb bytes.Buffer
		env := map[string]string{"NETDISK_CONFIG_DIR": t.TempDir(), "NETDISK_SERVER": ln.Addr().String()}
		start := time.Now()
		code := mainWithEnv(context.Background(), args, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
		if code == 0 {
			t.Fatalf("%v against a silent server succeeded", args)
		}
		msg := errb.String()
		if !strings.Contains(msg, ln.Addr().String()) || !strings.Contains(msg, "in time") {
			t.Errorf("%v: %q does not say the server timed out", args, msg)
		}
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("%v took %v", args, took)
		}
	}
}
