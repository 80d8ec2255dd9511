package server_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"netdisk/internal/daemon"
	"netdisk/internal/proto"
)

func frameBytes(json string) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(json))), json...)
}

// loggedIn returns a raw connection logged in as a fresh user.
func loggedIn(t *testing.T, d *daemon.Daemon, name string) *rawConn {
	t.Helper()
	c, _ := dialRaw(t, d)
	c.send(1, proto.Register{User: name, Password: name + " password"})
	if h := c.read(); h.Type != "ok" {
		t.Fatalf("register %s: %s", name, h.Raw)
	}
	c.send(2, proto.Login{User: name, Password: name + " password"})
	if h := c.read(); h.Type != "session" {
		t.Fatalf("login %s: %s", name, h.Raw)
	}
	return c
}

// stillServes checks that the server answers a normal client.
func stillServes(t *testing.T, d *daemon.Daemon) {
	t.Helper()
	c, _ := dialRaw(t, d)
	c.send(1, proto.Login{User: "nobody", Password: "nothing at all"})
	h := c.read()
	if h.Type != "error" || h.ID != 1 {
		t.Fatalf("the server stopped answering: %s", h.Raw)
	}
}

// TestHostileFrames sends each kind of malformed frame on its own
// connection: each gets a clear error and/or a closed connection, and the
// server keeps serving everyone else.
func TestHostileFrames(t *testing.T) {
	d := start(t, func(c *daemon.Config) { c.FrameTimeout = 500 * time.Millisecond })
	tests := []struct {
		name    string
		login   bool   // send after logging in
		input   []byte // bytes to send
		code    string // error code expected ("" for none)
		closes  bool   // the server closes the connection
		hangup  bool   // the client closes its sending side after input
		errorID uint64
	}{
		{name: "length 0xFFFFFFFF", input: []byte{0xff, 0xff, 0xff, 0xff}, code: proto.CodeBadRequest, closes: true},
		{name: "length one over the limit", input: binary.BigEndian.AppendUint32(nil, proto.MaxHeaderLen+1), code: proto.CodeBadRequest, closes: true},
		{name: "length zero", input: []byte{0, 0, 0, 0}, code: proto.CodeBadRequest, closes: true},
		{name: "truncated header then silence", input: append(binary.BigEndian.AppendUint32(nil, 100), `{"type":"ls"`...), closes: true},
		{name: "truncated header then hang-up", input: append(binary.BigEndian.AppendUint32(nil, 100), `{"type":"ls"`...), closes: true, hangup: true},
		{name: "invalid JSON", input: frameBytes(`{"type":"ls",,}`), code: proto.CodeBadRequest, closes: true},
		{name: "JSON array", input: frameBytes(`["ls"]`), code: proto.CodeBadRequest, closes: true},
		{name: "no type", input: frameBytes(`{"id":1}`), code: proto.CodeBadRequest, closes: true},
		{name: "negative body", input: frameBytes(`{"type":"put","id":1,"body_len":-5}`), code: proto.CodeBadRequest, closes: true},
		{name: "huge body", input: frameBytes(`{"type":"put","id":1,"body_len":9000000000000000000}`), code: proto.CodeBadRequest, closes: true},
		{name: "unknown type", input: frameBytes(`{"type":"exec","id":3,"cmd":"rm -rf /"}`), code: proto.CodeUnsupported, errorID: 3},
		{name: "request before login", input: frameBytes(`{"type":"ls","id":4,"path":"."}`), code: proto.CodeNotLoggedIn, errorID: 4},
		{name: "put before login", input: append(frameBytes(`{"type":"put","id":5,"body_len":3,"path":"x","size":0}`), "abc"...), code: proto.CodeNotLoggedIn, errorID: 5},
		{name: "second login", login: true, input: frameBytes(`{"type":"login","id":6,"user":"x","password":"yyyyyyyy"}`), code: proto.CodeAlreadyLoggedIn, errorID: 6},
		{name: "body on a bodiless request", login: true, input: append(frameBytes(`{"type":"mkdir","id":7,"body_len":2,"path":"d"}`), "zz"...), code: proto.CodeBadRequest, errorID: 7},
		{name: "huge body on a bodiless request", login: true, input: frameBytes(`{"type":"mkdir","id":8,"body_len":1000000000,"path":"d"}`), code: proto.CodeBadRequest, closes: true, errorID: 8},
		{name: "put body_len not matching size", login: true, input: append(frameBytes(`{"type":"put","id":9,"body_len":10,"path":"x","size":100}`), "0123456789"...), code: proto.CodeBadRequest, errorID: 9},
		{name: "put body shorter than announced, then silence", login: true, input: append(frameBytes(`{"type":"put","id":10,"body_len":132,"path":"x","size":100}`), "only a few bytes"...), closes: true},
		{name: "put body shorter than announced, then hang-up", login: true, input: append(frameBytes(`{"type":"put","id":11,"body_len":132,"path":"x","size":100}`), "only a few bytes"...), closes: true, hangup: true},
		{name: "put with a negative size", login: true, input: append(frameBytes(`{"type":"put","id":12,"body_len":32,"path":"x","size":-1}`), bytes.Repeat([]byte{1}, 32)...), code: proto.CodeBadRequest, errorID: 12},
		{name: "id zero", login: true, input: frameBytes(`{"type":"ls","path":"."}`), code: proto.CodeBadRequest},
		{name: "malformed fields", login: true, input: frameBytes(`{"type":"mv","id":13,"from":["a"],"to":{}}`), code: proto.CodeBadRequest, errorID: 13},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c *rawConn
			if tt.login {
				c = loggedIn(t, d, fmt.Sprintf("hostile%02d", i))
			} else {
				c, _ = dialRaw(t, d)
			}
			c.nc.Write(tt.input)
			if tt.hangup {
				c.nc.(*net.TCPConn).CloseWrite()
			}
			if tt.code != "" {
				c.expectError(tt.errorID, tt.code)
			}
			if tt.closes {
				c.expectClosed()
			} else {
				// Still usable: the next request is answered.
				c.send(99, proto.StatRequest{Path: "."})
				if h := c.read(); h.ID != 99 {
					t.Fatalf("after the refusal: %s", h.Raw)
				}
			}
			stillServes(t, d)
		})
	}
}

// TestDecoderAllocationBounded feeds the decoder headers that claim huge
// lengths; what it allocates must not depend on the claims.
func TestDecoderAllocationBounded(t *testing.T) {
	inputs := [][]byte{
		{0xff, 0xff, 0xff, 0xff, 1, 2, 3},
		binary.BigEndian.AppendUint32(nil, proto.MaxHeaderLen+1),
		frameBytes(`{"type":"put","id":1,"body_len":1125899906842624,"path":"x","size":1125899906842592}`),
	}
	for _, in := range inputs {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range 100 {
			r := proto.NewReader(bytes.NewReader(in))
			if h, err := r.ReadHeader(); err == nil {
				io.Copy(io.Discard, io.LimitReader(r, 1<<20))
				_ = h
			}
		}
		runtime.ReadMemStats(&after)
		if per := (after.TotalAlloc - before.TotalAlloc) / 100; per > 256<<10 {
			t.Errorf("decoding %q allocated %d bytes per frame", in[:min(len(in), 16)], per)
		}
	}
}

// TestTLSHostile: garbage after a TLS handshake, and random bytes instead
// of a TLS handshake, on a TLS server.
func TestTLSHostile(t *testing.T) {
	d := start(t, func(c *daemon.Config) { c.Plaintext = false })
	t.Run("garbage after the handshake", func(t *testing.T) {
		tc, err := tls.Dial("tcp", d.Addr.String(), &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer tc.Close()
		tc.SetDeadline(time.Now().Add(5 * time.Second))
		tc.Write([]byte("\x00\x01garbage garbage garbage"))
		h, err := proto.NewReader(tc).ReadHeader()
		if err != nil || h.Type != "error" {
			t.Fatalf("reply: %v %v", h, err)
		}
		if _, err := tc.Read(make([]byte, 1)); err == nil {
			t.Fatal("connection still open")
		}
	})
	t.Run("random bytes instead of TLS", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range 20 {
			junk := make([]byte, 1+rng.IntN(3000))
			for j := range junk {
				junk[j] = byte(rng.Uint32())
			}
			if i%2 == 0 {
				junk[0] = 0x16 // looks like a TLS record at first
			}
			nc, err := net.Dial("tcp", d.Addr.String())
			if err != nil {
				t.Fatal(err)
			}
			nc.SetDeadline(time.Now().Add(5 * time.Second))
			nc.Write(junk)
			_, err = io.Copy(io.Discard, nc) // must end: the server closes
			nc.Close()
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("junk %d: the server kept the connection open", i)
			}
		}
	})
	// Still serving TLS clients.
	tc, err := tls.Dial("tcp", d.Addr.String(), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(tc, proto.Preamble)
	if h, err := proto.NewReader(tc).ReadHeader(); err != nil || h.Type != "hello" {
		t.Fatalf("a good TLS client after the junk: %v %v", h, err)
	}
}

// TestSlowClientsDropped: a client dribbling one byte at a time is
// dropped at the deadline wherever it dribbles: in the preamble, in a
// frame header, in an upload body.
func TestSlowClientsDropped(t *testing.T) {
	d := start(t, func(c *daemon.Config) {
		c.HandshakeTimeout = 600 * time.Millisecond
		c.FrameTimeout = 600 * time.Millisecond
	})
	dribble := func(nc net.Conn, b []byte) time.Duration {
		start := time.Now()
		for {
			for _, x := range b {
				if _, err := nc.Write([]byte{x}); err != nil {
					return time.Since(start)
				}
				time.Sleep(100 * time.Millisecond)
				if time.Since(start) > 10*time.Second {
					return time.Since(start)
				}
			}
		}
	}
	t.Run("preamble", func(t *testing.T) {
		nc, err := net.Dial("tcp", d.Addr.String())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		if took := dribble(nc, []byte(proto.Preamble+"NETDISK1")); took > 5*time.Second {
			t.Fatalf("still connected after %v", took)
		}
	})
	t.Run("frame header", func(t *testing.T) {
		c := loggedIn(t, d, "slowheader")
		if took := dribble(c.nc, frameBytes(`{"type":"ls","id":3,"path":"."}`)); took > 5*time.Second {
			t.Fatalf("still connected after %v", took)
		}
	})
	t.Run("upload body", func(t *testing.T) {
		c := loggedIn(t, d, "slowbody")
		c.w.WriteMsg(3, proto.Put{Path: "f", Size: 1 << 20}, 1<<20+proto.DigestLen)
		c.w.Flush()
		if took := dribble(c.nc, []byte("x")); took > 5*time.Second {
			t.Fatalf("still connected after %v", took)
		}
	})
	stillServes(t, d)
}

// TestManySilentConnections: 1,000 connections that never say anything
// (from 25 addresses, under the cap per address) do not stop a normal
// client, and are all dropped at the deadline.
func TestManySilentConnections(t *testing.T) {
	d := start(t, func(c *daemon.Config) { c.HandshakeTimeout = 2 * time.Second })
	var silent []net.Conn
	defer func() {
		for _, c := range silent {
			c.Close()
		}
	}()
	for i := range 1000 {
		from := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%25))} // all of 127/8 is loopback
		nc, err := (&net.Dialer{LocalAddr: from}).Dial("tcp", d.Addr.String())
		if err != nil {
			t.Fatalf("after %d connections: %v", len(silent), err)
		}
		silent = append(silent, nc)
	}
	c := loggedIn(t, d, "normal")
	c.send(3, proto.Mkdir{Path: "works"})
	if h := c.read(); h.Type != "ok" {
		t.Fatalf("mkdir while 1000 connections idle: %s", h.Raw)
	}
	if n := d.Server.Conns(); n < 1000 {
		t.Fatalf("server counts %d connections", n)
	}
	deadline := time.Now().Add(10 * time.Second)
	for d.Server.Conns() > 1 { // the normal client stays, logged in
		if time.Now().After(deadline) {
			t.Fatalf("%d connections left after the handshake deadline", d.Server.Conns())
		}
		time.Sleep(100 * time.Millisecond)
	}
	var wg sync.WaitGroup
	dropped := 0
	var mu sync.Mutex
	for _, nc := range silent {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nc.SetReadDeadline(time.Now().Add(time.Second))
			if _, err := nc.Read(make([]byte, 1)); errors.Is(err, io.EOF) {
				mu.Lock()
				dropped++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if dropped != len(silent) {
		t.Fatalf("%d of %d silent connections were closed by the server", dropped, len(silent))
	}
}

// TestClientKey: with a client key, a connection must prove it before
// anything else, or be closed.
func TestClientKey(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	d := start(t, func(c *daemon.Config) {
		c.ClientKey = key
		c.HandshakeTimeout = time.Second
	})
	proof := func(challenge, k []byte) []byte {
		m := hmac.New(sha256.New, k)
		m.Write(challenge)
		return m.Sum(nil)
	}
	t.Run("missing", func(t *testing.T) {
		c, hello := dialRaw(t, d)
		if !hello.ClientKey {
			t.Fatal("hello does not ask for the key")
		}
		c.send(1, proto.Register{User: "eve", Password: "eve's password"})
		c.expectError(1, proto.CodeClientKeyRequired)
		c.expectClosed()
	})
	t.Run("unknown type first", func(t *testing.T) {
		c, _ := dialRaw(t, d)
		c.send(1, unknownMsg{})
		c.expectError(1, proto.CodeClientKeyRequired)
		c.expectClosed()
	})
	t.Run("wrong", func(t *testing.T) {
		c, hello := dialRaw(t, d)
		c.send(1, proto.ClientKey{Proof: proof(hello.Challenge, []byte("not the key"))})
		c.expectError(1, proto.CodeClientKeyRejected)
		c.expectClosed()
	})
	t.Run("replayed from another connection", func(t *testing.T) {
		_, first := dialRaw(t, d)
		c, _ := dialRaw(t, d)
		c.send(1, proto.ClientKey{Proof: proof(first.Challenge, key)})
		c.expectError(1, proto.CodeClientKeyRejected)
		c.expectClosed()
	})
	t.Run("silent", func(t *testing.T) {
		c, _ := dialRaw(t, d)
		start := time.Now()
		// At the handshake deadline, not the login one, saying why.
		c.expectError(0, proto.CodeTimeout)
		c.expectClosed()
		if took := time.Since(start); took > 15*time.Second {
			t.Fatalf("closed after %v", took)
		}
	})
	t.Run("right", func(t *testing.T) {
		c, hello := dialRaw(t, d)
		c.send(1, proto.ClientKey{Proof: proof(hello.Challenge, key)})
		if h := c.read(); h.Type != "ok" {
			t.Fatalf("right key: %s", h.Raw)
		}
		c.send(2, proto.Register{User: "alice", Password: "alice's password"})
		if h := c.read(); h.Type != "ok" {
			t.Fatalf("register after the key: %s", h.Raw)
		}
	})
}

// TestPutOpenReservations: a connection cannot pile up reservations (each
// holds file descriptors), and repeating a put_open for the same path
// replaces the reservation at once instead of waiting for itself.
func TestPutOpenReservations(t *testing.T) {
	d := start(t)
	c := loggedIn(t, d, "reserver")
	for i := range 16 {
		c.send(uint64(10+i), proto.PutOpen{Path: fmt.Sprintf("f%02d", i), Size: 2 << 20})
		if h := c.read(); h.Type != "put_ready" {
			t.Fatalf("put_open %d: %s", i, h.Raw)
		}
	}
	c.send(99, proto.PutOpen{Path: "one-too-many", Size: 2 << 20})
	c.expectError(99, proto.CodeBusy)
	start := time.Now()
	c.send(100, proto.PutOpen{Path: "f03", Size: 2 << 20})
	if h := c.read(); h.Type != "put_ready" {
		t.Fatalf("repeated put_open: %s", h.Raw)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("a repeated put_open took %v", took)
	}
	stillServes(t, d)
}
