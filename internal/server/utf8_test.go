package server_test

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"netdisk/internal/daemon"
	"netdisk/internal/proto"
)

// A path that is not valid UTF-8 is refused with bad_path (PROTOCOL.md
// §5.2), not turned into U+FFFD and used; the connection goes on.
func TestInvalidUTF8Refused(t *testing.T) {
	d := start(t)
	c, _ := dialRaw(t, d)
	c.send(1, proto.Register{User: "ursula", Password: "ursula's password"})
	c.read()
	c.send(2, proto.Login{User: "ursula", Password: "ursula's password"})
	if h := c.read(); h.Type != "session" {
		t.Fatalf("login: %s", h.Type)
	}
	// A mkdir frame whose path holds a lone 0xff byte.
	raw := []byte(`{"type":"mkdir","id":3,"path":"bad` + "\xff" + `name"}`)
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(raw)))
	if _, err := c.nc.Write(append(frame, raw...)); err != nil {
		t.Fatal(err)
	}
	c.expectError(3, proto.CodeBadPath)
	// Nothing was made, and the connection serves the next request.
	c.send(4, proto.StatRequest{Path: "bad\ufffdname"})
	c.expectError(4, proto.CodeNotFound)
}

// A connection whose session ended elsewhere is told so once, and then
// takes a new login (it is not stuck refusing both).
func TestEndedSessionAllowsANewLogin(t *testing.T) {
	d := start(t)
	c, _ := dialRaw(t, d)
	c.send(1, proto.Register{User: "walt", Password: "walt's password"})
	c.read()
	c.send(2, proto.Login{User: "walt", Password: "walt's password"})
	h := c.read()
	var sess proto.Session
	h.Decode(&sess)
	// Another connection changes the password: every session of walt's ends.
	o, _ := dialRaw(t, d)
	o.send(1, proto.Login{User: "walt", Password: "walt's password"})
	o.read()
	o.send(2, proto.Passwd{OldPassword: "walt's password", NewPassword: "walt's new password"})
	if h := o.read(); h.Type != "session" {
		t.Fatalf("passwd: %s", h.Raw)
	}
	c.send(3, proto.StatRequest{Path: ""})
	c.expectError(3, proto.CodeSessionExpired)
	c.send(4, proto.Login{User: "walt", Password: "walt's new password"})
	if h := c.read(); h.Type != "session" {
		t.Fatalf("login after the session ended: %s", h.Raw)
	}
	c.send(5, proto.StatRequest{Path: ""})
	if h := c.read(); h.Type != "entry" {
		t.Fatalf("stat after the new login: %s", h.Raw)
	}
}

// A deadline that ends a connection is said in a frame (id 0, timeout)
// before the connection closes.
func TestDeadlineSaysWhy(t *testing.T) {
	d := start(t, func(c *daemon.Config) { c.LoginTimeout = 300 * time.Millisecond })
	c, _ := dialRaw(t, d)
	h := c.read()
	var e proto.Error
	h.Decode(&e)
	if h.Type != "error" || h.ID != 0 || e.Code != proto.CodeTimeout || !strings.Contains(e.Message, "no login within") {
		t.Fatalf("at the login deadline: %s", h.Raw)
	}
	c.expectClosed()
}
