package proto

import (
	"bytes"
	"io"
	"net"
	"testing"
)

// TestIdleReaderHoldsNoBuffer: between frames, with nothing buffered, a
// Reader that waits gives its 64 KiB buffer back and waits with a few
// bytes of its own; frames pipelined behind the first stay buffered and
// are read whole, and a frame that arrives while waiting is read whole
// too (its first bytes came through the small buffer).
func TestIdleReaderHoldsNoBuffer(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	r := NewReader(server)
	frame := func(id uint64, path string) []byte {
		b, err := AppendFrameHeader(nil, id, testMsg{Path: path}, 0)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	long := string(bytes.Repeat([]byte("名"), 100)) // longer than the idle buffer
	go func() {
		// Two frames in one write, then a third after the reader waits.
		client.Write(append(frame(1, "a"), frame(2, long)...))
		client.Write(frame(3, long))
	}()
	read := func(id uint64, path string) {
		t.Helper()
		h, err := r.ReadHeader()
		if err != nil {
			t.Fatal(err)
		}
		var m testMsg
		if err := h.Decode(&m); err != nil || h.ID != id || m.Path != path {
			t.Fatalf("frame %d: id %d path %q (%v)", id, h.ID, m.Path, err)
		}
	}
	if err := r.Wait(); err != nil {
		t.Fatal(err)
	}
	read(1, "a")
	if err := r.Wait(); err != nil { // frame 2 is buffered: no release
		t.Fatal(err)
	}
	if r.br == nil {
		t.Fatal("the buffer was given back with a frame still in it")
	}
	read(2, long)
	if err := r.Wait(); err != nil {
		t.Fatal(err)
	}
	if r.br != nil {
		t.Fatal("an idle reader kept its buffer")
	}
	read(3, long)
	if r.Buffered() != 0 {
		t.Fatalf("%d bytes left after the last frame", r.Buffered())
	}
}

// TestWriterGivesBufferBack: after a Flush a Writer holds no buffer, and
// what it wrote arrived whole.
func TestWriterGivesBufferBack(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	if err := w.WriteMsg(7, testMsg{Path: "x"}, 3); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("abc"))
	if w.bw == nil {
		t.Fatal("no buffer while writing")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if w.bw != nil {
		t.Fatal("the writer kept its buffer after Flush")
	}
	r := NewReader(&out)
	h, err := r.ReadHeader()
	if err != nil || h.ID != 7 || h.BodyLen != 3 {
		t.Fatalf("%+v %v", h, err)
	}
	body, _ := io.ReadAll(r)
	if string(body) != "abc" {
		t.Fatalf("body %q", body)
	}
}

type testMsg struct {
	Path string `json:"path"`
}

func (testMsg) MsgType() string { return "test" }
