package server_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"netdisk/internal/digest"
	"path/filepath"
	"testing"
	"time"

	"netdisk/internal/daemon"
	"netdisk/internal/proto"
)

// start runs a plaintext server (frames are easier to forge without TLS;
// the transport does not change the frame handling under test).
func start(t *testing.T, mod ...func(*daemon.Config)) *daemon.Daemon {
	t.Helper()
	cfg := daemon.Config{
		DataDir:   filepath.Join(t.TempDir(), "data"),
		Listen:    "127.0.0.1:0",
		HTTP:      "off",
		Plaintext: true,
		Logger:    slog.New(slog.DiscardHandler),
	}
	for _, m := range mod {
		m(&cfg)
	}
	d, err := daemon.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		d.Shutdown(ctx)
	})
	return d
}

// rawConn is a hand-driven protocol connection.
type rawConn struct {
	t  *testing.T
	nc net.Conn
	r  *proto.Reader
	w  *proto.Writer
}

func dialRaw(t *testing.T, d *daemon.Daemon) (*rawConn, proto.Hello) {
	t.Helper()
	nc, err := net.Dial("tcp", d.Addr.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	c := &rawConn{t: t, nc: nc, r: proto.NewReader(nc), w: proto.NewWriter(nc)}
	io.WriteString(nc, proto.Preamble)
	h := c.read()
	if h.Type != "hello" {
		t.Fatalf("first frame is %q", h.Type)
	}
	var hello proto.Hello
	h.Decode(&hello)
	return c, hello
}

func (c *rawConn) send(id uint64, msg proto.Message) {
	c.t.Helper()
	if err := c.w.WriteMsg(id, msg, 0); err != nil {
		c.t.Fatal(err)
	}
	if err := c.w.Flush(); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawConn) read() *proto.Header {
	c.t.Helper()
	h, err := c.r.ReadHeader()
	if err != nil {
		c.t.Fatalf("reading a frame: %v", err)
	}
	return h
}

// expectError reads an error frame with the given id and code.
func (c *rawConn) expectError(id uint64, code string) {
	c.t.Helper()
	h := c.read()
	var e proto.Error
	h.Decode(&e)
	if h.Type != "error" || h.ID != id || e.Code != code {
		c.t.Fatalf("got %s id=%d code=%q (%s); want error id=%d code=%q", h.Type, h.ID, e.Code, e.Message, id, code)
	}
	if e.Message == "" {
		c.t.Fatalf("error %s has no message", code)
	}
}

// expectClosed checks the server closed the connection.
func (c *rawConn) expectClosed() {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.r.ReadHeader(); !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		var ne net.Error
		if !errors.As(err, &ne) || ne.Timeout() {
			c.t.Fatalf("connection still open (read: %v)", err)
		}
	}
}

func TestHello(t *testing.T) {
	d := start(t)
	_, hello := dialRaw(t, d)
	if hello.Version != proto.Version || hello.Server != "netdisk" || len(hello.Challenge) != proto.ChallengeLen {
		t.Fatalf("hello = %+v", hello)
	}
	if hello.Welcome == "" || hello.ClientKey {
		t.Fatalf("hello = %+v", hello)
	}
	_, again := dialRaw(t, d)
	if bytes.Equal(hello.Challenge, again.Challenge) {
		t.Fatal("two connections got the same challenge")
	}
}

func TestRequestRules(t *testing.T) {
	d := start(t)
	c, _ := dialRaw(t, d)
	c.send(1, proto.ListRequest{Path: "."})
	c.expectError(1, proto.CodeNotLoggedIn)
	c.send(2, proto.Put{Path: "x"})
	c.expectError(2, proto.CodeNotLoggedIn)
	c.send(0, proto.Login{User: "x", Password: "y"})
	c.expectError(0, proto.CodeBadRequest)
	c.send(3, unknownMsg{})
	c.expectError(3, proto.CodeUnsupported)
	// Malformed fields: the frame is sound, so the connection stays usable.
	raw := []byte(`{"type":"mkdir","id":4,"path":17}`)
	c.nc.Write(binary.BigEndian.AppendUint32(nil, uint32(len(raw))))
	c.nc.Write(raw)
	c.expectError(4, proto.CodeNotLoggedIn)

	c.send(5, proto.Register{User: "alice", Password: "alice's password"})
	if h := c.read(); h.Type != "ok" || h.ID != 5 {
		t.Fatalf("register: %s", h.Raw)
	}
	c.send(6, proto.Login{User: "alice", Password: "alice's password"})
	if h := c.read(); h.Type != "session" || h.ID != 6 {
		t.Fatalf("login: %s", h.Raw)
	}
	c.send(7, proto.Login{User: "alice", Password: "alice's password"})
	c.expectError(7, proto.CodeAlreadyLoggedIn)
	raw = []byte(`{"type":"mkdir","id":8,"path":17}`)
	c.nc.Write(binary.BigEndian.AppendUint32(nil, uint32(len(raw))))
	c.nc.Write(raw)
	c.expectError(8, proto.CodeBadRequest)
	// A small body on a request that takes none is read and refused.
	c.w.WriteMsg(9, proto.StatRequest{Path: "."}, 3)
	c.w.Write([]byte("abc"))
	c.w.Flush()
	c.expectError(9, proto.CodeBadRequest)
	c.send(10, proto.StatRequest{Path: "."})
	if h := c.read(); h.Type != "entry" || h.ID != 10 {
		t.Fatalf("stat after the refusals: %s", h.Raw)
	}
}

type unknownMsg struct{}

func (unknownMsg) MsgType() string { return "rm_rf_slash" }

func TestMalformedFrameClosesOnlyThatConnection(t *testing.T) {
	d := start(t)
	good, _ := dialRaw(t, d)
	bad, _ := dialRaw(t, d)
	bad.nc.Write([]byte{0xff, 0xff, 0xff, 0xff})
	bad.expectError(0, proto.CodeBadRequest)
	bad.expectClosed()
	good.send(1, proto.Register{User: "bob", Password: "bob's password"})
	if h := good.read(); h.Type != "ok" {
		t.Fatalf("the other connection: %s", h.Raw)
	}
}

func TestBadPreamble(t *testing.T) {
	d := start(t)
	nc, err := net.Dial("tcp", d.Addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(nc, "GET / HTTP/1.1\r\n\r\n")
	h, err := proto.NewReader(nc).ReadHeader()
	if err != nil || h.Type != "error" {
		t.Fatalf("reply to HTTP: %v %v", h, err)
	}
}

func TestHandshakeDeadline(t *testing.T) {
	d := start(t, func(c *daemon.Config) { c.HandshakeTimeout = 300 * time.Millisecond })
	nc, err := net.Dial("tcp", d.Addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	start := time.Now()
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = nc.Read(make([]byte, 1))
	if !errors.Is(err, io.EOF) {
		t.Fatalf("a silent client was not dropped: %v", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("dropped after %v", took)
	}
}

func TestConnectionLimit(t *testing.T) {
	d := start(t, func(c *daemon.Config) { c.MaxConns = 2 })
	dialRaw(t, d)
	dialRaw(t, d)
	nc, err := net.Dial("tcp", d.Addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(nc, proto.Preamble)
	h, err := proto.NewReader(nc).ReadHeader()
	if err != nil {
		t.Fatal(err)
	}
	var e proto.Error
	h.Decode(&e)
	if e.Code != proto.CodeServerBusy {
		t.Fatalf("third connection got %s", h.Raw)
	}
}

// TestShutdownLetsAnUploadFinish starts an upload, asks the server to shut
// down in the middle of the body, and checks the upload still completes
// while an idle connection is closed at once.
func TestShutdownLetsAnUploadFinish(t *testing.T) {
	d := start(t)
	idle, _ := dialRaw(t, d)
	c, _ := dialRaw(t, d)
	c.send(1, proto.Register{User: "carol", Password: "carol's password"})
	c.read()
	c.send(2, proto.Login{User: "carol", Password: "carol's password"})
	c.read()
	payload := bytes.Repeat([]byte("netdisk "), 1<<16)
	sum := digest.Sum(payload)
	c.w.WriteMsg(3, proto.Put{Path: "f", Size: int64(len(payload))}, int64(len(payload))+proto.DigestLen)
	c.w.Write(payload[:1000])
	c.w.Flush()
	eventually(t, "the upload to begin", partialOf(d.DataDir, "carol", 1000))

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- d.Server.Shutdown(ctx)
	}()
	idle.expectError(0, proto.CodeShuttingDown)
	idle.expectClosed()
	c.w.Write(payload[1000:])
	c.w.Write(sum[:])
	c.w.Flush()
	if h := c.read(); h.Type != "put_done" {
		t.Fatalf("upload during shutdown: %s", h.Raw)
	}
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	c.expectError(0, proto.CodeShuttingDown)
	c.expectClosed()
}
