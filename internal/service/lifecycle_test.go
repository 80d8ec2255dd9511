package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"netdisk/internal/digest"
	"netdisk/internal/storage"
	"netdisk/internal/users"
)

// newServiceOn is a service over store, with a data folder of its own.
func newServiceOn(t *testing.T, dir string, store storage.Store) *Service {
	t.Helper()
	reg, err := users.Open(filepath.Join(dir, "users.xlsx"), nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{DataDir: dir, Users: reg,
		Hasher: users.NewHasher(users.Params{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 16}, 2),
		Store:  store, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()); reg.Close(); store.Close() })
	return s
}

// gateStore holds every Commit until gate is closed.
type gateStore struct {
	storage.Store
	gate chan struct{}
}

func (g *gateStore) Commit(ctx context.Context, c []storage.Commit) []error {
	<-g.gate
	return g.Store.Commit(ctx, c)
}

// TestQueuedUploadOutlivesItsOpener: once an upload is verified and queued,
// the end of the context it was opened with (the connection closing, a
// takeover) and Close do not touch the partial the committer holds: the
// file is stored, whole.
func TestQueuedUploadOutlivesItsOpener(t *testing.T) {
	for _, mode := range []UploadMode{UploadOnce, UploadResume} {
		t.Run(map[UploadMode]string{UploadOnce: "once", UploadResume: "resume"}[mode], func(t *testing.T) {
			dir := t.TempDir()
			local, err := storage.NewLocal(filepath.Join(dir, "files"))
			if err != nil {
				t.Fatal(err)
			}
			gs := &gateStore{Store: local, gate: make(chan struct{})}
			s := newServiceOn(t, dir, gs)
			sess := loggedIn(t, s, "ivy")

			data := randomData(100_000, 1)
			connCtx, hangUp := context.WithCancel(context.Background())
			u, err := s.OpenUpload(connCtx, sess, "f.bin", int64(len(data)), mode)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := u.Stream(0, bytes.NewReader(data)); err != nil {
				t.Fatal(err)
			}
			sum := digest.Sum(data)
			p := u.Queue(sum[:], time.Time{})
			hangUp()
			u.letGo() // as the context's AfterFunc does, whenever it runs
			u.Close()
			if _, err := u.Stream(0, bytes.NewReader(data)); err == nil {
				t.Error("Stream after Queue was accepted")
			}
			close(gs.gate)
			if err := p.Wait(context.Background()); err != nil {
				t.Fatalf("a verified upload was not stored: %v", err)
			}
			got, _, _ := download(t, s, sess, "f.bin", 0, nil)
			if !bytes.Equal(got, data) {
				t.Errorf("stored %d bytes, want the %d sent", len(got), len(data))
			}
		})
	}
}

// TestHoldersForgotten: an upload that ends, committed or refused, stops
// being the holder of its path (each holder keeps the upload and its
// hasher: some 20 KiB).
func TestHoldersForgotten(t *testing.T) {
	s := newTestService(t)
	sess := loggedIn(t, s, "hal")
	ctx := context.Background()
	for i := range 20 {
		data := randomData(1000, uint64(i))
		u, err := s.OpenUpload(ctx, sess, fmt.Sprintf("f%d", i), int64(len(data)), UploadResume)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := u.Stream(0, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		sum := digest.Sum(data)
		if i%2 == 1 {
			sum[0]++ // refused: the partial is dropped
		}
		u.Commit(ctx, sum[:], time.Time{})
		u.Close()
	}
	s.holders.mu.Lock()
	n := len(s.holders.m)
	s.holders.mu.Unlock()
	if n != 0 {
		t.Errorf("%d holders left after 20 uploads ended", n)
	}
}

type failTruncStore struct{ storage.Store }

func (s failTruncStore) CreateSpace(ctx context.Context, user string) (storage.Space, error) {
	sp, err := s.Store.CreateSpace(ctx, user)
	return failTruncSpace{sp}, err
}

type failTruncSpace struct{ storage.Space }

func (s failTruncSpace) OpenUpload(ctx context.Context, target string) (storage.Upload, error) {
	up, err := s.Space.OpenUpload(ctx, target)
	return failTruncUpload{up}, err
}

type failTruncUpload struct{ storage.Upload }

var errEIO = errors.New("input/output error")

func (failTruncUpload) Truncate(int64) error { return errEIO }

// TestOpenUploadStorageFailure: a partial that cannot be cut (a disk
// error) fails the request, and nothing else.
func TestOpenUploadStorageFailure(t *testing.T) {
	s := newTestService(t)
	sess := loggedIn(t, s, "tia")
	s.store = failTruncStore{s.store}
	if _, err := s.OpenUpload(context.Background(), sess, "f", 10, UploadRestart); !errors.Is(err, errEIO) {
		t.Fatalf("OpenUpload = %v, want the disk's error", err)
	}
}

// TestRecordOfChangedFile: a file without a record is hashed while it is
// sent, and the digest kept; if the file is changed in place meanwhile (by
// something other than the server), that digest must not be taken for the
// changed file's.
func TestRecordOfChangedFile(t *testing.T) {
	dir := t.TempDir()
	local, err := storage.NewLocal(filepath.Join(dir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	s := newServiceOn(t, dir, local)
	sess := loggedIn(t, s, "zed")
	ctx := context.Background()

	path := filepath.Join(dir, "files", "zed", "f.bin")
	if err := os.WriteFile(path, randomData(1<<20, 1), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := s.OpenDownload(ctx, sess, "f.bin", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("appended"))
	f.Close()
	d.WriteTo(io.Discard)
	d.Close()

	now, _ := os.ReadFile(path)
	want := digest.Sum(now)
	_, sum, _ := download(t, s, sess, "f.bin", 0, nil)
	if !bytes.Equal(sum, want[:]) {
		t.Errorf("the next download sends digest %x; the file's is %x", sum[:6], want[:6])
	}
}

// slowReader gives 8 KiB every 200 ms: a slow but live sender (40 KiB/s).
type slowReader struct{ left int }

func (s *slowReader) Read(p []byte) (int, error) {
	if s.left == 0 {
		return 0, io.EOF
	}
	time.Sleep(200 * time.Millisecond)
	n := min(len(p), 8<<10, s.left)
	s.left -= n
	return n, nil
}

// liveUpload starts, inside a synctest bubble, an upload of f.bin by
// user that keeps receiving bytes slowly; stop ends it.
func liveUpload(t *testing.T, user string) (s *Service, sess *Session, live *Upload, stop func()) {
	t.Helper()
	dir := t.TempDir()
	local, err := storage.NewLocal(filepath.Join(dir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	s = newServiceOn(t, dir, local)
	sess = loggedIn(t, s, user)
	const size = 1 << 20
	live, err = s.OpenUpload(context.Background(), sess, "f.bin", size, UploadResume)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := live.Stream(0, &slowReader{left: size}); done <- err }()
	return s, sess, live, func() {
		live.cancel(errors.New("test over"))
		<-done
		live.Close()
	}
}

// TestSlowUploadIsAlive: an upload whose bytes keep coming, slowly, is not
// taken over by a newer attempt at the same path, even though the copy
// fills a whole buffer before it writes.
func TestSlowUploadIsAlive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, sess, live, stop := liveUpload(t, "sly")
		defer stop()
		time.Sleep(3 * time.Second) // fake time: past the stall limit, with bytes still coming
		other, err := s.OpenUpload(context.Background(), sess, "f.bin", 1<<20, UploadResume)
		if err != nil {
			t.Fatal(err)
		}
		other.Close()
		if errors.Is(context.Cause(live.Context()), ErrTakenOver) {
			t.Error("a live upload was taken over")
		}
	})
}

// TestDiscardOfALiveUploadIsBusy: discarding an upload another request is
// streaming answers busy (PROTOCOL.md: upload_discard) and leaves the
// streaming one alone.
func TestDiscardOfALiveUploadIsBusy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, sess, live, stop := liveUpload(t, "vera")
		defer stop()
		time.Sleep(time.Second) // fake time
		if err := s.DiscardUpload(context.Background(), sess, "f.bin"); !errors.Is(err, ErrBusy) {
			t.Errorf("discard of a live upload: %v, want ErrBusy", err)
		}
		if cause := context.Cause(live.Context()); cause != nil {
			t.Errorf("the live upload was ended: %v", cause)
		}
	})
}
