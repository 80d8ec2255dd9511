package client_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"netdisk/internal/client"
	"netdisk/internal/proto"
)

// replier answers each request a fake server reads with whatever frames a
// test wants; it returns false to stop serving the connection.
type replier func(c net.Conn, h *proto.Header) bool

// hostileServer is a fake netdisk server (plaintext) that greets, then
// hands every request to reply, reading and dropping request bodies.
func hostileServer(t *testing.T, reply replier) string {
	t.Helper()
	return fakeServer(t, func(c net.Conn) {
		r := greet(c)
		for {
			h, err := r.ReadHeader()
			if err != nil {
				return
			}
			if h.BodyLen > 0 {
				if err := r.Discard(); err != nil {
					return
				}
			}
			if !reply(c, h) {
				return
			}
		}
	})
}

// sendFrame writes one frame: header is a JSON object (type and id
// included), body its body.
func sendFrame(c net.Conn, header any, body []byte) error {
	js, err := json.Marshal(header)
	if err != nil {
		return err
	}
	buf := binary.BigEndian.AppendUint32(nil, uint32(len(js)))
	buf = append(append(buf, js...), body...)
	_, err = c.Write(buf)
	return err
}

type obj = map[string]any

func listFrame(id uint64, more bool, entries ...proto.Entry) obj {
	if entries == nil {
		entries = []proto.Entry{}
	}
	return obj{"type": "list", "id": id, "entries": entries, "more": more}
}

func dialHostile(t *testing.T, addr string) *client.Client {
	t.Helper()
	c, err := client.Dial(context.Background(), addr, client.Options{Plaintext: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// hasControl reports a control character (newline included) in s.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) })
}

// unsafeNames are the names a server must not be able to hand a client.
var unsafeNames = []struct{ label, name string }{
	{"empty", ""},
	{"dot", "."},
	{"dotdot", ".."},
	{"slash", "a/b"},
	{"backslash", `a\b`},
	{"nul", "x\x00y"},
	{"osc title", "\x1b]0;pwned\x07"},
	{"newline", "a\nb"},
	{"c1 csi", "a\u009b2Jb"},
	{"bidi", "txt.\u202eexe"},
	{"too long", strings.Repeat("n", 256)},
}

// TestHostileListNames: a listing holding an unsafe name is refused whole,
// with an error that names the server and the folder and shows the name
// escaped.
func TestHostileListNames(t *testing.T) {
	for _, tc := range unsafeNames {
		t.Run(tc.label, func(t *testing.T) {
			addr := hostileServer(t, func(c net.Conn, h *proto.Header) bool {
				sendFrame(c, listFrame(h.ID, false,
					proto.Entry{Name: "fine.txt", Kind: proto.KindFile, Size: 1},
					proto.Entry{Name: tc.name, Kind: proto.KindDir}), nil)
				return true
			})
			c := dialHostile(t, addr)
			entries, err := c.List(context.Background(), "photos")
			if err == nil {
				t.Fatalf("List = %v, nil; want an error", entries)
			}
			var ue *client.UnsafeNameError
			if !errors.Is(err, client.ErrUnsafeName) || !errors.As(err, &ue) || ue.Name != tc.name {
				t.Fatalf("List: %v; want an *UnsafeNameError for %q", err, tc.name)
			}
			msg := err.Error()
			for _, want := range []string{addr, `the folder "photos"`, strconv.Quote(tc.name)} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not say %s", msg, want)
				}
			}
			if hasControl(msg) {
				t.Errorf("error %q holds a control character", msg)
			}
			// The connection stays usable: the listing ended cleanly.
			if _, err := c.List(context.Background(), "."); err == nil || !errors.Is(err, client.ErrUnsafeName) {
				t.Errorf("second List on the connection: %v; want the same refusal", err)
			}
		})
	}
}

// TestHostileListShape: duplicate names, negative sizes, frames of the
// wrong type and list frames with a body are refused, without hanging.
func TestHostileListShape(t *testing.T) {
	cases := []struct {
		name  string
		reply func(c net.Conn, id uint64)
		want  string
	}{
		{"duplicate", func(c net.Conn, id uint64) {
			sendFrame(c, listFrame(id, true, proto.Entry{Name: "a", Kind: proto.KindFile}), nil)
			sendFrame(c, listFrame(id, false, proto.Entry{Name: "a", Kind: proto.KindDir}), nil)
		}, `listed "a" twice`},
		{"negative size", func(c net.Conn, id uint64) {
			sendFrame(c, listFrame(id, false, proto.Entry{Name: "a", Kind: proto.KindFile, Size: -5}), nil)
		}, "negative size"},
		{"wrong type", func(c net.Conn, id uint64) {
			sendFrame(c, obj{"type": "entry", "id": id, "more": true}, nil)
		}, `"entry" frame`},
		{"body", func(c net.Conn, id uint64) {
			f := listFrame(id, false, proto.Entry{Name: "a", Kind: proto.KindFile})
			f["body_len"] = 10
			sendFrame(c, f, make([]byte, 10))
		}, "with a body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := hostileServer(t, func(c net.Conn, h *proto.Header) bool { tc.reply(c, h.ID); return true })
			c := dialHostile(t, addr)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := c.List(ctx, ".")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), addr) {
				t.Fatalf("List: %v; want an error naming the server and saying %q", err, tc.want)
			}
		})
	}
}

// TestHostileStatAndUploadPaths: paths in stat and uploads replies are
// checked as listing names are.
func TestHostileStatAndUploadPaths(t *testing.T) {
	for _, bad := range []string{"../etc/passwd", "/etc/passwd", "a//b", "a/\x1b[2J", ""} {
		addr := hostileServer(t, func(c net.Conn, h *proto.Header) bool {
			switch h.Type {
			case "stat":
				sendFrame(c, obj{"type": "entry", "id": h.ID, "entry": proto.Entry{Name: bad, Kind: proto.KindFile}}, nil)
			case "uploads":
				sendFrame(c, obj{"type": "upload_list", "id": h.ID, "uploads": []proto.Upload{{Path: "ok", Size: 1}, {Path: bad, Size: 1}}}, nil)
			}
			return true
		})
		c := dialHostile(t, addr)
		if _, err := c.Stat(context.Background(), "x"); !errors.Is(err, client.ErrUnsafeName) || hasControl(err.Error()) {
			t.Errorf("Stat with name %q: %v; want an unsafe-name error without control characters", bad, err)
		}
		if _, err := c.Uploads(context.Background()); !errors.Is(err, client.ErrUnsafeName) || hasControl(err.Error()) {
			t.Errorf("Uploads with path %q: %v; want an unsafe-name error without control characters", bad, err)
		}
	}
}

// endlessLister answers ls with the same list frame, more=true, forever,
// until the client goes away (encoded once: the client's cost is what is
// measured).
func endlessLister(page []proto.Entry) replier {
	return func(c net.Conn, h *proto.Header) bool {
		js, _ := json.Marshal(listFrame(h.ID, true, page...))
		frame := append(binary.BigEndian.AppendUint32(nil, uint32(len(js))), js...)
		for {
			if _, err := c.Write(frame); err != nil {
				return false
			}
		}
	}
}

// TestHostileEndlessListing: a listing that never ends (more=true
// forever) ends with ErrListTooLong, quickly and in bounded memory:
// empty pages reach the page limit (the real one), full pages the entry
// limit (lowered to 100,000, as decoding a million entries takes 1.6 s,
// 18 s under the race detector).
func TestHostileEndlessListing(t *testing.T) {
	full := make([]proto.Entry, proto.MaxListBatch)
	for i := range full {
		full[i] = proto.Entry{Name: fmt.Sprintf("file-%03d", i), Kind: proto.KindFile, Size: 1 << 20, MTime: time.Now()}
	}
	cases := []struct {
		name    string
		page    []proto.Entry
		entries int
		want    string
	}{
		{"empty pages", nil, client.MaxListEntries, "more than 131072 frames"},
		{"full pages", full, 100_000, "more than 100000 entries"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer client.SetPageLimits(tc.entries, client.MaxListPages, client.MaxListBytes)()
			c := dialHostile(t, hostileServer(t, endlessLister(tc.page)))
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			stop := watchHeap(t, cancel, 1<<30)
			start := time.Now()
			_, err := c.List(ctx, "big")
			peak := stop()
			if !errors.Is(err, client.ErrListTooLong) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("List after %v: %v; want ErrListTooLong about %s", time.Since(start), err, tc.want)
			}
			t.Logf("refused after %v, heap peak %d MiB: %v", time.Since(start).Round(time.Millisecond), peak>>20, err)
		})
	}
}

// watchHeap samples the heap until stop is called, cancelling the test's
// work if it grows past limit bytes; stop returns the largest sample.
func watchHeap(t *testing.T, cancel func(), limit uint64) (stop func() uint64) {
	t.Helper()
	done := make(chan struct{})
	peak := make(chan uint64, 1)
	go func() {
		var max uint64
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > max {
				max = ms.HeapAlloc
			}
			if max > limit {
				cancel()
			}
			select {
			case <-done:
				peak <- max
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		p := <-peak
		if p > limit {
			t.Errorf("the heap reached %d MiB (limit %d MiB)", p>>20, limit>>20)
		}
		return p
	}
}

// TestHostileListLimits: each limit on a paged reply holds, for listings
// and for the list of unfinished uploads (lowered limits, to be quick).
func TestHostileListLimits(t *testing.T) {
	cases := []struct {
		name                string
		entries, pages      int
		bytes               int64
		perPage, totalPages int
		want                string
	}{
		{"entries", 100, 1000, 1 << 30, 30, 4, "more than 100 entries"},
		{"pages", 1000, 10, 1 << 30, 0, 11, "more than 10 frames"},
		{"bytes", 1000, 1000, 2000, 10, 20, "more than 2000 bytes"},
		{"within", 100, 10, 1 << 30, 10, 10, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer client.SetPageLimits(tc.entries, tc.pages, tc.bytes)()
			addr := hostileServer(t, func(c net.Conn, h *proto.Header) bool {
				for n := range tc.totalPages {
					more := n < tc.totalPages-1
					var entries []proto.Entry
					var uploads []proto.Upload
					for i := range tc.perPage {
						name := fmt.Sprintf("f%03d-%03d", n, i)
						entries = append(entries, proto.Entry{Name: name, Kind: proto.KindFile})
						uploads = append(uploads, proto.Upload{Path: name})
					}
					f := listFrame(h.ID, more, entries...)
					if h.Type == "uploads" {
						f = obj{"type": "upload_list", "id": h.ID, "uploads": uploads, "more": more}
					}
					if sendFrame(c, f, nil) != nil {
						return false
					}
				}
				return true
			})
			c := dialHostile(t, addr)
			entries, err := c.List(context.Background(), ".")
			if tc.want == "" {
				uploads, uerr := c.Uploads(context.Background())
				if err != nil || uerr != nil || len(entries) != tc.perPage*tc.totalPages || len(uploads) != len(entries) {
					t.Fatalf("List: %d, %v; Uploads: %d, %v; want %d each", len(entries), err, len(uploads), uerr, tc.perPage*tc.totalPages)
				}
				return
			}
			if !errors.Is(err, client.ErrListTooLong) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("List: %v; want ErrListTooLong saying %q", err, tc.want)
			}
			// The connection was given up (the rest could be endless); a
			// new one lists the unfinished uploads under the same limits.
			c = dialHostile(t, addr)
			if _, err := c.Uploads(context.Background()); !errors.Is(err, client.ErrListTooLong) {
				t.Errorf("Uploads: %v; want ErrListTooLong", err)
			}
		})
	}
}

// TestHostileGetSize: a get_data announcing a size other than the listed
// one, or a body longer than its size, is refused before anything is
// written.
func TestHostileGetSize(t *testing.T) {
	cases := []struct {
		name          string
		size, bodyLen int64
		listed        int64
		want          string
	}{
		{"larger than listed", 1000, 1000 + proto.DigestLen, 5, "announced 1000 bytes"},
		{"body longer than size", 5, 1000, -1, "malformed get_data"},
		{"negative size", -10, proto.DigestLen, -1, "malformed get_data"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := hostileServer(t, func(c net.Conn, h *proto.Header) bool {
				sendFrame(c, obj{"type": "get_data", "id": h.ID, "body_len": tc.bodyLen, "size": tc.size, "offset": 0}, make([]byte, tc.bodyLen))
				return true
			})
			c := dialHostile(t, addr)
			dst, err := os.Create(filepath.Join(t.TempDir(), "dst.ndpart"))
			if err != nil {
				t.Fatal(err)
			}
			defer dst.Close()
			_, err = c.Get(context.Background(), "f", dst, 0, client.GetOptions{Size: tc.listed, SizeKnown: tc.listed >= 0})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "nothing was written") {
				t.Fatalf("Get: %v; want an error saying %q and that nothing was written", err, tc.want)
			}
			if info, err := dst.Stat(); err != nil || info.Size() != 0 {
				t.Errorf("the destination holds %d bytes (%v); want none", info.Size(), err)
			}
			select {
			case <-c.Done():
			case <-time.After(5 * time.Second):
				t.Errorf("the connection stays open mid-body")
			}
		})
	}
}

// TestHostileSession: a session whose user name breaks the name rules (it
// would be printed and saved) or whose token is not short printable text
// is refused.
func TestHostileSession(t *testing.T) {
	for _, tc := range []struct {
		name string
		sess proto.Session
	}{
		{"escape in the name", proto.Session{User: "ann\x1b]0;owned\x07", Token: "t0ken"}},
		{"empty name", proto.Session{User: "", Token: "t0ken"}},
		{"newline in the token", proto.Session{User: "ann", Token: "t0\nken"}},
		{"huge token", proto.Session{User: "ann", Token: strings.Repeat("t", 4096)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := fakeServer(t, func(c net.Conn) {
				r := greet(c)
				w := proto.NewWriter(c)
				for {
					h, err := r.ReadHeader()
					if err != nil {
						return
					}
					w.WriteMsg(h.ID, tc.sess, 0)
					w.Flush()
				}
			})
			c, err := client.Dial(context.Background(), addr, client.Options{Plaintext: true})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, err = c.Login(context.Background(), "ann", "ann's password")
			if err == nil || strings.ContainsAny(err.Error(), "\x1b\x07\n") {
				t.Errorf("Login = %v", err)
			}
			if _, err := c.AuthToken(context.Background(), "t0ken"); err == nil {
				t.Error("AuthToken accepted it")
			}
		})
	}
}
