package server_test

import (
	"context"
	"netdisk/internal/digest"
	"testing"
	"time"

	"netdisk/internal/daemon"
	"netdisk/internal/proto"
)

// putFrame writes (without flushing) a put of data to path; with badSum
// the trailer is wrong.
func putFrame(c *rawConn, id uint64, path string, data []byte, badSum bool) {
	sum := digest.Sum(data)
	if badSum {
		sum[0] ^= 1
	}
	c.w.WriteMsg(id, proto.Put{Path: path, Size: int64(len(data))}, int64(len(data))+proto.DigestLen)
	c.w.Write(data)
	c.w.Write(sum[:])
}

// expectIDs reads frames and checks their types and ids in order.
func (c *rawConn) expectIDs(t *testing.T, want ...any) {
	t.Helper()
	for i := 0; i < len(want); i += 2 {
		h := c.read()
		if h.Type != want[i].(string) || h.ID != uint64(want[i+1].(int)) {
			t.Fatalf("frame %d: %s id=%d (%s); want %s id=%d", i/2, h.Type, h.ID, h.Raw, want[i], want[i+1])
		}
	}
}

// TestBatchAnsweredBeforeARefusal: a good upload followed, pipelined, by a
// refused one: both are answered at once and in order, not when the idle
// deadline passes.
func TestBatchAnsweredBeforeARefusal(t *testing.T) {
	d := start(t, func(c *daemon.Config) { c.IdleTimeout = 20 * time.Second })
	c := loggedIn(t, d, "rita")
	putFrame(c, 10, "a", []byte("aaa"), false)
	putFrame(c, 11, "b", []byte("bbb"), true)
	c.w.Flush()
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	c.expectIDs(t, "put_done", 10, "error", 11)
}

// TestBatchCommittedBeforeALargeBody: a verified upload does not wait while
// the next request's large body trickles in; it is visible elsewhere.
func TestBatchCommittedBeforeALargeBody(t *testing.T) {
	d := start(t)
	c := loggedIn(t, d, "tom")
	putFrame(c, 3, "a", []byte("aaa"), false)
	b := make([]byte, 512<<10)
	c.w.WriteMsg(4, proto.Put{Path: "b", Size: int64(len(b))}, int64(len(b))+proto.DigestLen)
	c.w.Write(b[:1000])
	c.w.Flush()
	c.nc.SetReadDeadline(time.Now().Add(3 * time.Second))
	c.expectIDs(t, "put_done", 3)
	o, _ := dialRaw(t, d)
	o.send(1, proto.Login{User: "tom", Password: "tom password"})
	o.read()
	o.send(2, proto.StatRequest{Path: "a"})
	o.expectIDs(t, "entry", 2)
}

// TestBatchAnsweredBeforeShutdownNotice: uploads committed during shutdown
// are answered before the shutting_down notice, so the client does not
// count them as lost.
func TestBatchAnsweredBeforeShutdownNotice(t *testing.T) {
	d := start(t)
	c := loggedIn(t, d, "sam")
	a := []byte("hello a")
	sumA := digest.Sum(a)
	c.w.WriteMsg(3, proto.Put{Path: "a", Size: int64(len(a))}, int64(len(a))+proto.DigestLen)
	c.w.Write(a[:3])
	c.w.Flush()
	eventually(t, "the upload to begin", partialOf(d.DataDir, "sam", 0)) // small: held whole before it is written
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- d.Server.Shutdown(ctx)
	}()
	eventually(t, "the shutdown to begin", func() bool { return refusing(d.Addr.String()) })
	c.w.Write(a[3:])
	c.w.Write(sumA[:])
	putFrame(c, 4, "b", []byte("bbb"), false)
	c.w.Flush()
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	h := c.read()
	if h.Type != "put_done" || h.ID != 3 {
		t.Fatalf("first frame after the upload: %s", h.Raw)
	}
	// Then either b's reply and the notice, or the notice alone (if the
	// server stopped before reading b): never the notice before a reply.
	for {
		h, err := c.r.ReadHeader()
		if err != nil {
			break
		}
		if h.Type == "error" && h.ID == 0 {
			break
		}
		if h.Type != "put_done" || h.ID != 4 {
			t.Fatalf("unexpected frame: %s", h.Raw)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
