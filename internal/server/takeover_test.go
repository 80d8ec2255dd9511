package server_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"netdisk/internal/digest"
	"netdisk/internal/proto"
)

// TestSlowUploadNotTakenOver: an upload arriving slowly (about 320 KiB/s)
// but steadily over plaintext, where the server splices it into the
// partial, is alive: a second put_open of the same path does not take it
// over, and it completes.
func TestSlowUploadNotTakenOver(t *testing.T) {
	d := start(t)
	a := loggedIn(t, d, "sly")
	data := bytes.Repeat([]byte("slow but alive "), (1<<20)/15)
	sum := digest.Sum(data)
	a.send(1, proto.PutOpen{Path: "big", Size: int64(len(data))})
	if h := a.read(); h.Type != "put_ready" {
		t.Fatalf("put_open: %s", h.Raw)
	}
	a.nc.SetDeadline(time.Now().Add(60 * time.Second))
	a.w.WriteMsg(2, proto.Put{Path: "big", Size: int64(len(data))}, int64(len(data))+proto.DigestLen)
	a.w.Flush()

	second := make(chan *proto.Header, 1)
	const piece = 32 << 10
	for i := 0; i < len(data); i += piece {
		a.w.Write(data[i:min(i+piece, len(data))])
		a.w.Flush()
		if i == 24*piece {
			// Well past the time an idle holder is taken over.
			go func() {
				b, _ := dialRaw(t, d)
				b.nc.SetDeadline(time.Now().Add(30 * time.Second))
				b.send(1, proto.Login{User: "sly", Password: "sly password"})
				b.read()
				b.send(2, proto.PutOpen{Path: "big", Size: int64(len(data))})
				second <- b.read()
			}()
		}
		time.Sleep(100 * time.Millisecond) // the client's pace
	}
	a.w.Write(sum[:])
	a.w.Flush()
	if h := a.read(); h.Type != "put_done" || h.ID != 2 {
		t.Fatalf("the slow upload: %s", h.Raw)
	}
	got, err := os.ReadFile(filepath.Join(d.DataDir, "files", "sly", "big"))
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("stored %d bytes (%v), want the slow upload's %d", len(got), err, len(data))
	}
	if h := <-second; h.Type != "put_ready" {
		t.Errorf("the second put_open: %s", h.Raw)
	}
}
