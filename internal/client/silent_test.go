package client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"netdisk/internal/client"
	"netdisk/internal/proto"
)

// fakeServer accepts plaintext connections on loopback and runs serve on
// each, until the test ends.
func fakeServer(t *testing.T, serve func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
			go serve(c)
		}
	}()
	return ln.Addr().String()
}

// greet reads the preamble and sends a hello, as a netdisk server does.
func greet(c net.Conn) *proto.Reader {
	pre := make([]byte, len(proto.Preamble))
	io.ReadFull(c, pre)
	w := proto.NewWriter(c)
	w.WriteMsg(0, proto.Hello{Version: proto.Version, Server: "netdisk", Challenge: make([]byte, proto.ChallengeLen)}, 0)
	w.Flush()
	return proto.NewReader(c)
}

// TestSilentServer: a server that accepts and then goes quiet, at any
// point of a request, cannot hang the client: each case ends with
// ErrTimeout within a bounded time.
func TestSilentServer(t *testing.T) {
	const timeout = 300 * time.Millisecond
	opts := client.Options{Plaintext: true, DialTimeout: timeout, Timeout: timeout}
	ctx := context.Background()

	t.Run("no greeting", func(t *testing.T) {
		addr := fakeServer(t, func(c net.Conn) { io.Copy(io.Discard, c) })
		_, err := client.Dial(ctx, addr, opts)
		if !errors.Is(err, client.ErrTimeout) || !strings.Contains(err.Error(), "did not greet") {
			t.Fatalf("Dial = %v; want a timeout saying it did not greet", err)
		}
	})
	t.Run("no reply", func(t *testing.T) {
		addr := fakeServer(t, func(c net.Conn) {
			greet(c)
			io.Copy(io.Discard, c) // reads every request, answers none
		})
		c, err := client.Dial(ctx, addr, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, err = c.List(ctx, ".")
		if !errors.Is(err, client.ErrTimeout) || !errors.Is(err, client.ErrConnLost) {
			t.Fatalf("List = %v; want ErrTimeout", err)
		}
	})
	t.Run("stalls in a download", func(t *testing.T) {
		addr := fakeServer(t, func(c net.Conn) {
			r := greet(c)
			h, err := r.ReadHeader()
			if err != nil {
				return
			}
			w := proto.NewWriter(c)
			w.WriteMsg(h.ID, proto.GetData{Size: 1 << 20}, 1<<20+proto.DigestLen)
			w.Write(make([]byte, 1000))
			w.Flush()
			io.Copy(io.Discard, c)
		})
		c, err := client.Dial(ctx, addr, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		dst, err := os.Create(filepath.Join(t.TempDir(), "dst"))
		if err != nil {
			t.Fatal(err)
		}
		defer dst.Close()
		_, err = c.Get(ctx, "f", dst, 0, client.GetOptions{})
		if !errors.Is(err, client.ErrTimeout) {
			t.Fatalf("Get = %v; want ErrTimeout", err)
		}
	})
	t.Run("does not read an upload", func(t *testing.T) {
		stop := make(chan struct{})
		addr := fakeServer(t, func(c net.Conn) {
			r := greet(c)
			h, err := r.ReadHeader() // the put_open
			if err != nil {
				return
			}
			w := proto.NewWriter(c)
			w.WriteMsg(h.ID, proto.PutReady{}, 0)
			w.Flush()
			<-stop // and nothing more is read: the body fills the buffers
		})
		t.Cleanup(func() { close(stop) })
		c, err := client.Dial(ctx, addr, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		src := filepath.Join(t.TempDir(), "big")
		if err := os.WriteFile(src, bytes.Repeat([]byte("x"), 64<<20), 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(src)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		_, err = c.Put(ctx, f, "big", client.PutOptions{Restart: true})
		if !errors.Is(err, client.ErrTimeout) {
			t.Fatalf("Put = %v; want ErrTimeout", err)
		}
	})
}
