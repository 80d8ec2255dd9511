package server_test

import (
	"context"
	"io/fs"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"netdisk/internal/proto"
	"netdisk/internal/server"
	"netdisk/internal/service"
	"netdisk/internal/storage"
	"netdisk/internal/users"
)

// eventually waits, boundedly, for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// refusing reports whether nothing listens at addr any more.
func refusing(addr string) bool {
	c, err := net.Dial("tcp", addr)
	if err == nil {
		c.Close()
		return false
	}
	return true
}

// partialOf reports whether user has an unfinished upload of size bytes.
func partialOf(dataDir, user string, size int64) func() bool {
	return func() bool {
		found := false
		filepath.WalkDir(filepath.Join(dataDir, "files", user, ".netdisk"), func(_ string, e fs.DirEntry, err error) error {
			if err == nil && e.Type().IsRegular() {
				if info, err := e.Info(); err == nil && info.Size() == size {
					found = true
				}
			}
			return nil
		})
		return found
	}
}

// gateStore holds every Commit until gate is closed, and says when one is
// waiting.
type gateStore struct {
	storage.Store
	entered chan struct{}
	gate    chan struct{}
}

func (g *gateStore) Commit(ctx context.Context, c []storage.Commit) []error {
	g.entered <- struct{}{}
	<-g.gate
	return g.Store.Commit(ctx, c)
}

// TestQueuedAnsweredBeforeShutdownNotice: an upload whose commit is still
// pending when shutdown wakes its idle connection is answered before the
// shutting_down notice (which the client takes as the end of the
// connection).
func TestQueuedAnsweredBeforeShutdownNotice(t *testing.T) {
	dir := t.TempDir()
	reg, err := users.Open(filepath.Join(dir, "users.xlsx"), nil)
	if err != nil {
		t.Fatal(err)
	}
	local, err := storage.NewLocal(filepath.Join(dir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	gs := &gateStore{Store: local, entered: make(chan struct{}, 1), gate: make(chan struct{})}
	svc, err := service.New(service.Config{DataDir: dir, Users: reg,
		Hasher: users.NewHasher(users.Params{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 16}, 2),
		Store:  gs, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { svc.Close(context.Background()); reg.Close(); local.Close() }()
	if err := svc.Register(context.Background(), "sam", "sam password", "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Config{Service: svc, Logger: slog.New(slog.DiscardHandler)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)

	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	c := &rawConn{t: t, nc: nc, r: proto.NewReader(nc), w: proto.NewWriter(nc)}
	nc.Write([]byte(proto.Preamble))
	c.read() // hello
	c.send(1, proto.Login{User: "sam", Password: "sam password"})
	c.read()
	putFrame(c, 2, "a", []byte("hello"), false)
	c.w.Flush()
	<-gs.entered // read, verified, committing; the connection waits for a request

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- srv.Shutdown(ctx)
	}()
	eventually(t, "the shutdown to begin", func() bool { return refusing(ln.Addr().String()) })
	close(gs.gate)
	if h := c.read(); h.Type != "put_done" || h.ID != 2 {
		t.Errorf("first frame after the put: %s", h.Raw)
	}
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}
