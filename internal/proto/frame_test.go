package proto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestAppendFrameHeaderExactBytes(t *testing.T) {
	tests := []struct {
		name    string
		id      uint64
		msg     Message
		bodyLen int64
		want    string // the JSON after the 4-byte length
	}{
		{"ok", 7, OK{}, 0, `{"type":"ok","id":7}`},
		{"no id", 0, OK{}, 0, `{"type":"ok"}`},
		{"ls (the PROTOCOL.md example)", 3, ListRequest{Path: "photos"}, 0, `{"type":"ls","id":3,"path":"photos"}`},
		{"mkdir", 3, Mkdir{Path: "photos"}, 0, `{"type":"mkdir","id":3,"path":"photos"}`},
		{"mkdir parents", 3, Mkdir{Path: "a/b", Parents: true}, 0, `{"type":"mkdir","id":3,"path":"a/b","parents":true}`},
		{"chinese path", 4, StatRequest{Path: "文档/报告.txt"}, 0, `{"type":"stat","id":4,"path":"文档/报告.txt"}`},
		{"put with body", 9, Put{Path: "a", Size: 5}, 37, `{"type":"put","id":9,"body_len":37,"path":"a","size":5}`},
		{"error", 2, &Error{Code: CodeNotFound, Message: "no such file: x"}, 0, `{"type":"error","id":2,"code":"not_found","message":"no such file: x"}`},
		{"hello", 0, Hello{Version: 1, Server: "netdisk", Welcome: "欢迎使用netdisk网盘系统", Challenge: []byte{1, 2, 3}}, 0,
			`{"type":"hello","version":1,"server":"netdisk","welcome":"欢迎使用netdisk网盘系统","challenge":"AQID"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AppendFrameHeader(nil, tt.id, tt.msg, tt.bodyLen)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]byte, 4, 4+len(tt.want))
			binary.BigEndian.PutUint32(want, uint32(len(tt.want)))
			want = append(want, tt.want...)
			if !bytes.Equal(got, want) {
				t.Errorf("frame\n got %q\nwant %q", got, want)
			}
			if tt.id == 3 && tt.msg.MsgType() == "ls" && !bytes.Equal(got[:4], []byte{0, 0, 0, 0x24}) {
				t.Errorf("PROTOCOL.md says the length prefix is 00 00 00 24; got % x", got[:4])
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	mtime := time.Date(2026, 11, 22, 15, 4, 5, 0, time.UTC)
	if err := w.WriteMsg(11, Put{Path: "报告.txt", Size: 5, MTime: mtime}, 5); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("hello"))
	if err := w.WriteMsg(12, ListRequest{Path: "."}, 0); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}

	r := NewReader(&buf)
	h, err := r.ReadHeader()
	if err != nil {
		t.Fatal(err)
	}
	if h.Type != "put" || h.ID != 11 || h.BodyLen != 5 {
		t.Fatalf("header = %+v", h)
	}
	var put Put
	if err := h.Decode(&put); err != nil {
		t.Fatal(err)
	}
	if want := (Put{Path: "报告.txt", Size: 5, MTime: mtime}); !reflect.DeepEqual(put, want) {
		t.Fatalf("put = %+v, want %+v", put, want)
	}
	if _, err := r.ReadHeader(); !errors.Is(err, ErrBodyPending) {
		t.Fatalf("reading a header over an unread body: err = %v, want ErrBodyPending", err)
	}
	body, err := io.ReadAll(r)
	if err != nil || string(body) != "hello" {
		t.Fatalf("body = %q, %v", body, err)
	}
	h, err = r.ReadHeader()
	if err != nil || h.Type != "ls" || h.ID != 12 {
		t.Fatalf("second header = %+v, %v", h, err)
	}
	if _, err := r.ReadHeader(); err != io.EOF {
		t.Fatalf("at end: err = %v, want io.EOF", err)
	}
}

func frame(json string) []byte {
	b := make([]byte, 4, 4+len(json))
	binary.BigEndian.PutUint32(b, uint32(len(json)))
	return append(b, json...)
}

func TestReadHeaderRejects(t *testing.T) {
	tests := []struct {
		name  string
		input []byte
		want  error // matched with errors.Is; nil means any error
	}{
		{"length 0xFFFFFFFF", []byte{0xff, 0xff, 0xff, 0xff, '{'}, ErrHeaderTooLarge},
		{"length one over the limit", binary.BigEndian.AppendUint32(nil, MaxHeaderLen+1), ErrHeaderTooLarge},
		{"length zero", []byte{0, 0, 0, 0}, ErrEmptyHeader},
		{"truncated length", []byte{0, 0}, io.ErrUnexpectedEOF},
		{"truncated header", append(binary.BigEndian.AppendUint32(nil, 20), `{"type":`...), io.ErrUnexpectedEOF},
		{"invalid json", frame(`{"type":"ls",`), ErrBadHeader},
		{"not an object", frame(`["ls"]`), ErrBadHeader},
		{"string", frame(`"ls"`), ErrBadHeader},
		{"trailing garbage", frame(`{"type":"ls"}x`), ErrBadHeader},
		{"no type", frame(`{"id":1}`), ErrNoType},
		{"empty type", frame(`{"type":""}`), ErrNoType},
		{"type not a string", frame(`{"type":5}`), ErrBadHeader},
		{"negative body", frame(`{"type":"put","body_len":-1}`), ErrBadBodyLen},
		{"huge body", frame(`{"type":"put","body_len":9223372036854775807}`), ErrBadBodyLen},
		{"body over int64", frame(`{"type":"put","body_len":99999999999999999999}`), ErrBadHeader},
		{"fractional body", frame(`{"type":"put","body_len":1.5}`), ErrBadHeader},
		{"negative id", frame(`{"type":"ls","id":-3}`), ErrBadHeader},
		{"TLS ClientHello", []byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01}, ErrHeaderTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewReader(bytes.NewReader(tt.input)).ReadHeader()
			if err == nil {
				t.Fatal("accepted")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestBodyShorterThanAnnounced(t *testing.T) {
	in := append(frame(`{"type":"put","id":1,"body_len":100}`), "only ten b"...)
	r := NewReader(bytes.NewReader(in))
	if _, err := r.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	n, err := io.Copy(&got, r)
	if n != 10 || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("copying the body = %d, %v; want 10, ErrUnexpectedEOF", n, err)
	}
	if got.String() != "only ten b" {
		t.Fatalf("copied %q", got.String())
	}
}

func TestBodyInPieces(t *testing.T) {
	payload := strings.Repeat("0123456789", 20000) // larger than the read buffer
	in := append(frame(`{"type":"put","id":1,"body_len":200000}`), payload...)
	in = append(in, frame(`{"type":"ls","id":2}`)...)
	r := NewReader(bytes.NewReader(in))
	if _, err := r.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	for r.Pending() > 0 {
		if _, err := io.CopyN(&got, r, min(7777, r.Pending())); err != nil {
			t.Fatal(err)
		}
	}
	if got.String() != payload {
		t.Fatal("body differs")
	}
	if h, err := r.ReadHeader(); err != nil || h.Type != "ls" {
		t.Fatalf("next frame after the body: %+v, %v", h, err)
	}
}

func TestMessageFieldsDoNotShadowEnvelope(t *testing.T) {
	// The envelope members are spliced in front of the message's own; a
	// message field with the same JSON name would produce a duplicate key.
	for _, m := range allMessages() {
		b, err := AppendFrameHeader(nil, 1, m, 1)
		if err != nil {
			t.Fatalf("%s: %v", m.MsgType(), err)
		}
		h, err := ParseHeader(b[4:])
		if err != nil {
			t.Fatalf("%s: %v", m.MsgType(), err)
		}
		if h.Type != m.MsgType() || h.ID != 1 || h.BodyLen != 1 {
			t.Fatalf("%s: envelope decoded as %+v", m.MsgType(), h)
		}
		for _, reserved := range []string{`"type"`, `"id"`, `"body_len"`} {
			if bytes.Count(b, []byte(reserved+":")) != 1 {
				t.Errorf("%s: %s appears more than once in %s", m.MsgType(), reserved, b[4:])
			}
		}
	}
}

func TestErrorIs(t *testing.T) {
	var err error = Errorf(CodeNotFound, "no such file: %s", "x")
	if !errors.Is(err, ErrNotFound) {
		t.Fatal("errors.Is(not_found error, ErrNotFound) is false")
	}
	if errors.Is(err, ErrExists) {
		t.Fatal("errors.Is(not_found error, ErrExists) is true")
	}
	if err.Error() != "no such file: x" {
		t.Fatalf("message = %q", err.Error())
	}
}

// allMessages lists one value of every message type, for tests that must
// cover them all.
func allMessages() []Message {
	return []Message{
		Hello{}, ClientKey{}, OK{}, &Error{},
		Register{}, Login{}, AuthToken{}, Session{}, Logout{}, Passwd{},
		ListRequest{}, List{}, StatRequest{}, EntryReply{}, Mkdir{}, Remove{}, Move{}, UsageRequest{}, Usage{},
		PutOpen{}, PutReady{}, Put{}, PutDone{}, Get{}, GetData{}, UploadsRequest{}, UploadList{}, DiscardUpload{},
	}
}

func TestHeaderBuffered(t *testing.T) {
	pr, pw := io.Pipe()
	r := NewReader(pr)
	if r.HeaderBuffered() { // must not block on the empty pipe
		t.Fatal("HeaderBuffered on an empty stream")
	}
	go func() {
		pw.Write(frame(`{"type":"ls","id":1}`))
		pw.Write(frame(`{"type":"ls","id":2}`)[:6]) // half a header
	}()
	if _, err := r.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	// The second frame's header may have arrived only in part.
	if r.HeaderBuffered() {
		t.Fatal("HeaderBuffered with half a header")
	}
	// Two whole frames in one read: after the first, the second's header
	// is buffered.
	r = NewReader(bytes.NewReader(append(frame(`{"type":"ls","id":1}`), frame(`{"type":"ls","id":2}`)...)))
	if _, err := r.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	if !r.HeaderBuffered() {
		t.Fatal("HeaderBuffered is false with the next header in the buffer")
	}
}

// TestWaitHeaderTimeoutIsHarmless: a deadline passing in WaitHeader must
// not fail the next read (bufio would otherwise keep the error).
func TestWaitHeaderTimeoutIsHarmless(t *testing.T) {
	pr, pw := io.Pipe()
	r := NewReader(&erroringOnce{r: pr})
	if err := r.WaitHeader(); err == nil {
		t.Fatal("WaitHeader succeeded on an erroring stream")
	}
	go pw.Write(frame(`{"type":"ls","id":5}`))
	if err := r.WaitHeader(); err != nil {
		t.Fatalf("WaitHeader after the error: %v", err)
	}
	h, err := r.ReadHeader()
	if err != nil || h.ID != 5 {
		t.Fatalf("ReadHeader after a failed wait: %v, %v", h, err)
	}
}

// erroringOnce fails its first read like a passed deadline, then reads r.
type erroringOnce struct {
	r    io.Reader
	done bool
}

func (e *erroringOnce) Read(p []byte) (int, error) {
	if !e.done {
		e.done = true
		return 0, errors.New("i/o timeout")
	}
	return e.r.Read(p)
}
