package cli

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"io/fs"
	"net"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"netdisk/internal/digest"
	"netdisk/internal/proto"
)

// hostileServer is a fake netdisk server (plaintext, protocol version 2)
// serving a made-up tree, for tests of what the real command line does
// with what a server sends: every login succeeds; stat, ls and get answer
// from dirs and files unless hook answers first.
type hostileServer struct {
	t       *testing.T
	addr    string
	welcome string

	mu    sync.Mutex
	dirs  map[string][]proto.Entry // folder (clean path) → its entries
	files map[string][]byte        // file (clean path) → its bytes
	// hook, if set, may answer a request itself (writing its frames to c)
	// and then returns true.
	hook func(c net.Conn, h *proto.Header, path string) bool
}

func newHostileServer(t *testing.T, welcome string) *hostileServer {
	t.Helper()
	s := &hostileServer{t: t, welcome: welcome, dirs: map[string][]proto.Entry{".": nil}, files: map[string][]byte{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				s.serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return s
}

// file adds a file (and its folders) to the tree.
func (s *hostileServer) file(p string, data string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[p] = []byte(data)
	s.addEntry(p, proto.Entry{Name: path.Base(p), Kind: proto.KindFile, Size: int64(len(data)), MTime: time.Now()})
}

// entry adds an entry as it is, hostile or not, to folder dir.
func (s *hostileServer) entry(dir string, e proto.Entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dirs[dir] = append(s.dirs[dir], e)
	s.mkdirs(dir)
}

func (s *hostileServer) addEntry(p string, e proto.Entry) {
	dir := path.Dir(p)
	s.dirs[dir] = append(s.dirs[dir], e)
	s.mkdirs(dir)
}

// mkdirs makes dir and its parents folders of the tree.
func (s *hostileServer) mkdirs(dir string) {
	for dir != "." {
		parent := path.Dir(dir)
		found := false
		for _, e := range s.dirs[parent] {
			found = found || e.Name == path.Base(dir)
		}
		if _, ok := s.dirs[dir]; !ok {
			s.dirs[dir] = nil
		}
		if !found {
			s.dirs[parent] = append(s.dirs[parent], proto.Entry{Name: path.Base(dir), Kind: proto.KindDir, MTime: time.Now()})
		}
		dir = parent
	}
}

func (s *hostileServer) serve(c net.Conn) {
	pre := make([]byte, len(proto.Preamble))
	if _, err := io.ReadFull(c, pre); err != nil {
		return
	}
	w := proto.NewWriter(c)
	w.WriteMsg(0, proto.Hello{Version: proto.Version, Server: "netdisk", Welcome: s.welcome, Challenge: make([]byte, proto.ChallengeLen)}, 0)
	if w.Flush() != nil {
		return
	}
	r := proto.NewReader(c)
	for {
		h, err := r.ReadHeader()
		if err != nil {
			return
		}
		if h.BodyLen > 0 && r.Discard() != nil {
			return
		}
		var req struct {
			Path string `json:"path"`
		}
		json.Unmarshal(h.Raw, &req)
		p := path.Clean(req.Path) // a real server accepts "a/" for "a"
		if s.hook != nil && s.hook(c, h, p) {
			continue
		}
		if s.answer(c, h, p) != nil {
			return
		}
	}
}

// answer replies as an honest server with the tree would.
func (s *hostileServer) answer(c net.Conn, h *proto.Header, p string) error {
	s.mu.Lock()
	entries, isDir := s.dirs[p]
	data, isFile := s.files[p]
	entries = append([]proto.Entry(nil), entries...)
	s.mu.Unlock()
	notFound := obj{"type": "error", "id": h.ID, "code": proto.CodeNotFound, "message": p + ": does not exist"}
	switch h.Type {
	case "login", "auth_token":
		return sendFrame(c, obj{"type": "session", "id": h.ID, "user": "alice", "token": "alice's token", "expires": time.Now().Add(time.Hour)}, nil)
	case "stat":
		switch {
		case isDir:
			return sendFrame(c, obj{"type": "entry", "id": h.ID, "entry": proto.Entry{Name: p, Kind: proto.KindDir}}, nil)
		case isFile:
			return sendFrame(c, obj{"type": "entry", "id": h.ID, "entry": proto.Entry{Name: p, Kind: proto.KindFile, Size: int64(len(data))}}, nil)
		}
		return sendFrame(c, notFound, nil)
	case "ls":
		if !isDir {
			return sendFrame(c, notFound, nil)
		}
		for {
			n := min(len(entries), proto.MaxListBatch)
			if err := sendFrame(c, listFrame(h.ID, n < len(entries), entries[:n]...), nil); err != nil {
				return err
			}
			entries = entries[n:]
			if len(entries) == 0 {
				return nil
			}
		}
	case "get":
		if !isFile {
			return sendFrame(c, notFound, nil)
		}
		sum := digest.Sum(data)
		return sendGetData(c, h.ID, int64(len(data)), int64(len(data))+proto.DigestLen, "", append(data, sum[:]...))
	}
	return sendFrame(c, obj{"type": "ok", "id": h.ID}, nil)
}

type obj = map[string]any

// sendFrame writes one frame: header is the JSON object (type and id
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

func sendGetData(c net.Conn, id uint64, size, bodyLen int64, restarted string, body []byte) error {
	return sendFrame(c, obj{"type": "get_data", "id": id, "body_len": bodyLen, "size": size, "offset": 0, "mtime": time.Now(), "restarted": restarted}, body)
}

func listFrame(id uint64, more bool, entries ...proto.Entry) obj {
	if entries == nil {
		entries = []proto.Entry{}
	}
	return obj{"type": "list", "id": id, "entries": entries, "more": more}
}

// loggedIn returns a user of the fake server, logged in (the session saved
// in its config folder, as `netdisk login` leaves it).
func (s *hostileServer) loggedIn(t *testing.T) *user {
	t.Helper()
	u := &user{t: t, srv: &testServer{t: t, addr: s.addr}, cfgDir: t.TempDir(), plaintext: true}
	u.ok("alice's password\n", "login", "--password-stdin", "alice")
	return u
}

// runFor runs a command that must end within limit (today's client could
// loop forever on some of these servers).
func (u *user) runFor(limit time.Duration, args ...string) result {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	start := time.Now()
	r := u.runCtx(ctx, "", args...)
	if ctx.Err() != nil {
		u.t.Fatalf("netdisk %s did not end within %v (stderr %q)", strings.Join(args, " "), time.Since(start), r.stderr)
	}
	return r
}

// treeState describes every file, folder and link under dir (links not
// followed): path → mode, and for files and links their modification
// time and contents or target. (A folder's own time changes as entries
// are made in it; its entries are listed anyway.)
func treeState(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		desc := info.Mode().String()
		if !info.IsDir() {
			desc += " " + info.ModTime().String()
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			desc += " → " + target
		case info.Mode().IsRegular():
			data, _ := os.ReadFile(p)
			desc += " " + string(data)
		}
		m[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sameOutside checks that nothing under dir changed, except in the target
// folder inside it (a path relative to dir) and the folders made to hold
// it.
func sameOutside(t *testing.T, before, after map[string]string, target string) {
	t.Helper()
	inside := func(p string) bool {
		if p == target || strings.HasPrefix(p, target+string(filepath.Separator)) {
			return true
		}
		return strings.HasPrefix(target, p+string(filepath.Separator)) && strings.HasPrefix(after[p], "d")
	}
	for p, d := range after {
		if !inside(p) && before[p] != d {
			if before[p] == "" {
				t.Errorf("%s appeared outside the target folder %s: %s", p, target, d)
			} else {
				t.Errorf("%s changed outside the target folder %s: was %s, is %s", p, target, before[p], d)
			}
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok && !inside(p) {
			t.Errorf("%s vanished outside the target folder %s", p, target)
		}
	}
}

// noControl checks that output holds no control character but newlines
// (no escape sequence can reach the terminal).
func noControl(t *testing.T, what, output string) {
	t.Helper()
	for _, r := range output {
		if r != '\n' && (r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == '\u202e') {
			t.Errorf("%s holds the control character %U: %q", what, r, output)
			return
		}
	}
}

// watchHeap samples the heap until stop is called; stop returns the
// largest sample.
func watchHeap() (stop func() uint64) {
	done := make(chan struct{})
	peak := make(chan uint64, 1)
	go func() {
		var most uint64
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			most = max(most, ms.HeapAlloc)
			select {
			case <-done:
				peak <- most
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		return <-peak
	}
}

func digestOf(b []byte) []byte {
	sum := digest.Sum(b)
	return sum[:]
}
