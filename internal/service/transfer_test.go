package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"netdisk/internal/digest"
)

// loggedIn registers name and returns a session.
func loggedIn(t testing.TB, s *Service, name string) *Session {
	t.Helper()
	ctx := context.Background()
	if err := s.Register(ctx, name, name+"'s password", "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	sess, err := s.Login(ctx, name, name+"'s password", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return sess
}

func randomData(n int, seed uint64) []byte {
	b := make([]byte, n)
	rng := rand.New(rand.NewPCG(seed, 7))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// upload stores data at path through the whole lifecycle.
func upload(t *testing.T, s *Service, sess *Session, path string, data []byte) {
	t.Helper()
	ctx := context.Background()
	u, err := s.OpenUpload(ctx, sess, path, int64(len(data)), UploadOnce)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if n, err := u.Stream(0, bytes.NewReader(data)); n != int64(len(data)) || err != nil {
		t.Fatalf("Stream = %d, %v", n, err)
	}
	sum := digest.Sum(data)
	if err := u.Commit(ctx, sum[:], time.Time{}); err != nil {
		t.Fatal(err)
	}
}

// download returns the file at path, its digest and where it started.
func download(t *testing.T, s *Service, sess *Session, path string, offset int64, prefix []byte) ([]byte, []byte, *Download) {
	t.Helper()
	d, err := s.OpenDownload(context.Background(), sess, path, offset, prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var buf bytes.Buffer
	if _, err := d.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), d.Digest(), d
}

// TestUploadResumeReadsNothing: an interrupted upload resumes from the
// digest state kept with its partial: the server neither reads nor hashes
// the bytes it holds again, and the result is the exact file.
func TestUploadResumeReadsNothing(t *testing.T) {
	s, store := newCountingService(t)
	sess := loggedIn(t, s, "rhea")
	ctx := context.Background()
	data := randomData(5<<20+123, 1)
	u, err := s.OpenUpload(ctx, sess, "big.bin", int64(len(data)), UploadResume)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := u.Stream(0, bytes.NewReader(data[:3<<20+7])); n != 3<<20+7 || err != nil {
		t.Fatalf("first part: %d, %v", n, err)
	}
	u.Close() // the connection broke

	u, err = s.OpenUpload(ctx, sess, "big.bin", int64(len(data)), UploadResume)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	want := digest.Sum(data[:3<<20+7])
	if u.Held() != 3<<20+7 || !bytes.Equal(u.HeldDigest(), want[:]) {
		t.Fatalf("Held %d, HeldDigest %x; want %d, %x", u.Held(), u.HeldDigest(), 3<<20+7, want)
	}
	if n := store.partialReads.Load(); n != 0 {
		t.Errorf("resuming read %d bytes of the partial back; want none", n)
	}
	if _, err := u.Stream(u.Held(), bytes.NewReader(data[u.Held():])); err != nil {
		t.Fatal(err)
	}
	sum := digest.Sum(data)
	if err := u.Commit(ctx, sum[:], time.Time{}); err != nil {
		t.Fatal(err)
	}
	got, gotSum, _ := download(t, s, sess, "big.bin", 0, nil)
	if !bytes.Equal(got, data) || !bytes.Equal(gotSum, sum[:]) {
		t.Errorf("stored file differs from the upload")
	}
}

// TestUploadStreamRules: offsets other than 0 and the bytes held are
// refused; 0 starts over; a short stream is not an error but cannot be
// committed; a wrong digest drops the partial and keeps the old version.
func TestUploadStreamRules(t *testing.T) {
	s := newTestService(t)
	sess := loggedIn(t, s, "sam")
	ctx := context.Background()
	upload(t, s, sess, "f", []byte("old version"))
	data := []byte("the new version of f")
	u, err := s.OpenUpload(ctx, sess, "f", int64(len(data)), UploadResume)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if _, err := u.Stream(5, bytes.NewReader(data)); !errors.Is(err, ErrBadRequest) {
		t.Errorf("Stream at 5 with nothing held: %v, want ErrBadRequest", err)
	}
	if n, err := u.Stream(0, bytes.NewReader(data[:4])); n != 4 || err != nil {
		t.Fatalf("Stream(0, 4 bytes) = %d, %v", n, err)
	}
	if err := u.Commit(ctx, make([]byte, 32), time.Time{}); !errors.Is(err, ErrBadRequest) {
		t.Errorf("Commit of 4 of %d bytes: %v, want ErrBadRequest", len(data), err)
	}
	if n, err := u.Stream(4, bytes.NewReader(data[4:])); n != int64(len(data)-4) || err != nil {
		t.Fatalf("Stream(4, rest) = %d, %v", n, err)
	}
	wrong := digest.Sum([]byte("something else"))
	if err := u.Commit(ctx, wrong[:], time.Time{}); !errors.Is(err, ErrChecksumMismatch) {
		t.Fatalf("Commit with a wrong digest: %v", err)
	}
	if got, _, _ := download(t, s, sess, "f", 0, nil); string(got) != "old version" {
		t.Errorf("f = %q after a refused commit", got)
	}
	if ups, _ := s.Uploads(ctx, sess); len(ups) != 0 {
		t.Errorf("Uploads = %v; the partial of a mismatched upload must go", ups)
	}
	// More bytes than the file holds are not taken.
	u2, err := s.OpenUpload(ctx, sess, "g", 3, UploadOnce)
	if err != nil {
		t.Fatal(err)
	}
	defer u2.Close()
	r := strings.NewReader("abcdef")
	if n, err := u2.Stream(0, r); n != 3 || err != nil || r.Len() != 3 {
		t.Errorf("Stream of a 3-byte file from 6 bytes: %d, %v, %d left", n, err, r.Len())
	}
}

// blockingReader gives its bytes, then blocks until closed: a client that
// sent part of a file and went silent.
type blockingReader struct {
	data   []byte
	closed chan struct{}
	once   sync.Once
}

func (r *blockingReader) Read(p []byte) (int, error) {
	if len(r.data) > 0 {
		n := copy(p, r.data)
		r.data = r.data[n:]
		return n, nil
	}
	<-r.closed
	return 0, errors.New("read interrupted")
}

func (r *blockingReader) Close() { r.once.Do(func() { close(r.closed) }) }

// TestTakeoverCancelsStalledUpload: a newer upload of the same path takes
// over from one that has received nothing for a while, through the old
// one's Context (a front door stops its read with context.AfterFunc), and
// resumes the bytes it held.
func TestTakeoverCancelsStalledUpload(t *testing.T) {
	synctest.Test(t, testTakeoverCancelsStalledUpload)
}

func testTakeoverCancelsStalledUpload(t *testing.T) {
	s := newTestService(t)
	sess := loggedIn(t, s, "tom")
	ctx := context.Background()
	data := randomData(1<<20, 2)

	old, err := s.OpenUpload(ctx, sess, "f.bin", int64(len(data)), UploadResume)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	body := &blockingReader{data: data[:300<<10], closed: make(chan struct{})}
	context.AfterFunc(old.Context(), body.Close) // what the TCP front door does
	streamed := make(chan error, 1)
	go func() {
		_, err := old.Stream(0, body)
		streamed <- err
	}()

	start := time.Now()
	newer, err := s.OpenUpload(ctx, sess, "f.bin", int64(len(data)), UploadResume)
	if err != nil {
		t.Fatal(err)
	}
	defer newer.Close()
	if err := <-streamed; !errors.Is(err, ErrTakenOver) {
		t.Errorf("the stalled upload's Stream: %v, want ErrTakenOver", err)
	}
	if cause := context.Cause(old.Context()); !errors.Is(cause, ErrTakenOver) {
		t.Errorf("the stalled upload's Context ended with %v", cause)
	}
	if took := time.Since(start); took < stalledAfter {
		t.Errorf("taken over after %v, before the holder had stalled for %v", took, stalledAfter)
	}
	// What the old upload had written when it stopped (its last read was
	// cut short) is held, with its digest.
	if held := newer.Held(); held <= 0 || held > 300<<10 {
		t.Errorf("the newer upload holds %d bytes, want what the old one wrote of 300 KiB", held)
	}
	want := digest.Sum(data[:newer.Held()])
	if !bytes.Equal(newer.HeldDigest(), want[:]) {
		t.Errorf("HeldDigest differs from the digest of the bytes held")
	}
	if _, err := newer.Stream(newer.Held(), bytes.NewReader(data[newer.Held():])); err != nil {
		t.Fatal(err)
	}
	sum := digest.Sum(data)
	if err := newer.Commit(ctx, sum[:], time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Stream(0, bytes.NewReader(data)); !errors.Is(err, ErrTakenOver) {
		t.Errorf("using the old upload afterwards: %v, want ErrTakenOver", err)
	}
}

// TestTakeoverOfAReservation: an upload opened (put_open) but never
// streamed lets go of its partial at once when taken over, and a live
// upload is not taken over: the newer one gets a partial of its own.
func TestTakeoverOfAReservation(t *testing.T) {
	synctest.Test(t, testTakeoverOfAReservation)
}

func testTakeoverOfAReservation(t *testing.T) {
	s := newTestService(t)
	sess := loggedIn(t, s, "uma")
	ctx := context.Background()
	reserved, err := s.OpenUpload(ctx, sess, "r.bin", 10, UploadResume)
	if err != nil {
		t.Fatal(err)
	}
	defer reserved.Close()
	reserved.holder.progress.Store(time.Now().Add(-time.Minute).UnixNano()) // idle for a minute
	newer, err := s.OpenUpload(ctx, sess, "r.bin", 10, UploadResume)
	if err != nil {
		t.Fatal(err)
	}
	defer newer.Close()
	if newer.temp || !errors.Is(context.Cause(reserved.Context()), ErrTakenOver) {
		t.Errorf("newer upload temp=%v; reserved upload's cause %v", newer.temp, context.Cause(reserved.Context()))
	}
	if _, err := reserved.Stream(0, strings.NewReader("0123456789")); !errors.Is(err, ErrTakenOver) {
		t.Errorf("the reservation after takeover: %v", err)
	}

	// A live holder keeps its partial: the newer upload gets its own.
	live, err := s.OpenUpload(ctx, sess, "l.bin", 10, UploadResume)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				live.holder.progress.Store(time.Now().UnixNano()) // bytes keep arriving
			}
		}
	})
	other, err := s.OpenUpload(ctx, sess, "l.bin", 10, UploadResume)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if !other.temp || live.Context().Err() != nil {
		t.Errorf("a live holder was taken over (other temp=%v, live ctx %v)", other.temp, live.Context().Err())
	}
}

// TestGroupCommit: uploads queued together are committed in shared
// batches, in the order they were queued.
func TestGroupCommit(t *testing.T) {
	s, store := newCountingService(t)
	sess := loggedIn(t, s, "una")
	ctx := context.Background()
	var pending []*Pending
	var ups []*Upload
	for i := range 200 {
		content := []byte(fmt.Sprintf("version %d", i))
		u, err := s.OpenUpload(ctx, sess, "same.txt", int64(len(content)), UploadOnce)
		if err != nil {
			t.Fatal(err)
		}
		ups = append(ups, u)
		if _, err := u.Stream(0, bytes.NewReader(content)); err != nil {
			t.Fatal(err)
		}
		sum := digest.Sum(content)
		pending = append(pending, u.Queue(sum[:], time.Time{}))
	}
	for i, p := range pending {
		if err := p.Wait(ctx); err != nil {
			t.Fatalf("upload %d: %v", i, err)
		}
		ups[i].Close()
	}
	if got, _, _ := download(t, s, sess, "same.txt", 0, nil); string(got) != "version 199" {
		t.Errorf("same.txt = %q, want the last queued", got)
	}
	if n := store.commits.Load(); n >= 200 || store.largestBatch.Load() < 2 {
		t.Errorf("%d commits for 200 uploads, largest batch %d: not grouped", n, store.largestBatch.Load())
	}
	if n := s.uploadsOpen("una"); n != 0 {
		t.Errorf("%d uploads counted open after all commits", n)
	}
}

// TestDownloadResumeCheck: a resumed download continues only when the
// receiver's prefix matches, and the check reads at most one span of the
// file (the marks kept at upload cover the rest).
func TestDownloadResumeCheck(t *testing.T) {
	s, store := newCountingService(t)
	sess := loggedIn(t, s, "vic")
	data := randomData(9<<20+77, 3)
	upload(t, s, sess, "f.bin", data)
	span := int64(16 << 10)
	for span*64 <= int64(len(data)) {
		span *= 2 // where the marks end up for this size
	}
	for _, offset := range []int64{1, 16 << 10, 3<<20 + 5, int64(len(data)) - 1, int64(len(data))} {
		t.Run(fmt.Sprint(offset), func(t *testing.T) {
			prefix := digest.Sum(data[:offset])
			before := store.fileReads.Load()
			got, sum, d := download(t, s, sess, "f.bin", offset, prefix[:])
			if d.Offset != offset || d.Restarted != "" {
				t.Fatalf("Offset %d, Restarted %q; want a resume at %d", d.Offset, d.Restarted, offset)
			}
			if !bytes.Equal(got, data[offset:]) {
				t.Errorf("sent bytes differ from the file's [%d:]", offset)
			}
			want := digest.Sum(data)
			if !bytes.Equal(sum, want[:]) {
				t.Errorf("Digest differs")
			}
			if read := store.fileReads.Load() - before; read > span {
				t.Errorf("the prefix check read %d bytes; at most one span (%d)", read, span)
			}
		})
	}
	t.Run("wrong prefix", func(t *testing.T) {
		bad := digest.Sum([]byte("not the prefix"))
		got, _, d := download(t, s, sess, "f.bin", 1000, bad[:])
		if d.Offset != 0 || d.Restarted == "" || !bytes.Equal(got, data) {
			t.Errorf("Offset %d, Restarted %q, %d bytes; want the whole file", d.Offset, d.Restarted, len(got))
		}
	})
	t.Run("longer than the file", func(t *testing.T) {
		_, _, d := download(t, s, sess, "f.bin", int64(len(data))+1, make([]byte, 32))
		if d.Offset != 0 || !strings.Contains(d.Restarted, "shorter") {
			t.Errorf("Offset %d, Restarted %q", d.Offset, d.Restarted)
		}
	})
}

// TestDownloadRecordsDigestOnce: a file stored without a record (by an
// earlier version) is hashed while it is sent, and recorded: the next
// download sends the recorded digest without hashing.
func TestDownloadRecordsDigestOnce(t *testing.T) {
	s, _ := newCountingService(t)
	sess := loggedIn(t, s, "wes")
	ctx := context.Background()
	data := randomData(2<<20, 4)
	sp, err := s.store.CreateSpace(ctx, "wes")
	if err != nil {
		t.Fatal(err)
	}
	up, err := sp.TempUpload(ctx, "old.bin")
	if err != nil {
		t.Fatal(err)
	}
	up.Write(data)
	if errs := s.store.Commit(ctx, []storageCommit{{Upload: up}}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	sp.Close()
	want := digest.Sum(data)
	for i := range 2 {
		d, err := s.OpenDownload(ctx, sess, "old.bin", 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		hashing := d.hash != nil
		if _, err := d.WriteTo(io.Discard); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(d.Digest(), want[:]) {
			t.Errorf("download %d: digest %x, want %x", i, d.Digest(), want)
		}
		d.Close()
		if hashing != (i == 0) {
			t.Errorf("download %d hashed the file: %v", i, hashing)
		}
	}
}

// TestErrorsAreTheServices: errors of the store come out as the service's
// sentinels, with messages naming the user's path and nothing of the
// server's.
func TestErrorsAreTheServices(t *testing.T) {
	s := newTestService(t)
	sess := loggedIn(t, s, "xia")
	ctx := context.Background()
	upload(t, s, sess, "file", []byte("x"))
	if err := s.Mkdir(ctx, sess, "dir", false); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"mkdir existing", s.Mkdir(ctx, sess, "dir", false), ErrExists},
		{"mkdir missing parent", s.Mkdir(ctx, sess, "no/dir", false), ErrNotFound},
		{"mkdir under a file", s.Mkdir(ctx, sess, "file/x", true), ErrNotDir},
		{"rm missing", s.Remove(ctx, sess, "nothing", false), ErrNotFound},
		{"rm full folder", func() error {
			upload(t, s, sess, "dir/in", []byte("y"))
			return s.Remove(ctx, sess, "dir", false)
		}(), ErrNotEmpty},
		{"mv onto existing", s.Rename(ctx, sess, "file", "dir"), ErrExists},
		{"stat missing", func() error { _, err := s.Stat(ctx, sess, "gone"); return err }(), ErrNotFound},
		{"open a folder", func() error { _, err := s.OpenDownload(ctx, sess, "dir", 0, nil); return err }(), ErrIsDir},
		{"upload onto a folder", func() error { _, err := s.OpenUpload(ctx, sess, "dir", 1, UploadOnce); return err }(), ErrIsDir},
		{"discard nothing", s.DiscardUpload(ctx, sess, "nothing"), ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.want) {
				t.Fatalf("%v; want %v", tt.err, tt.want)
			}
			if !isServiceError(tt.err) {
				t.Errorf("%v is not one of the service's errors", tt.err)
			}
			if msg := tt.err.Error(); strings.Contains(msg, ".netdisk") || strings.Contains(msg, "/tmp") {
				t.Errorf("message %q shows a server path", msg)
			}
		})
	}
}

// TestLoginGivesUpWithItsContext: a login whose connection went away (its
// context ended) while it waited for an argon2 slot stops without
// checking the password, and is not counted as a failed attempt.
func TestLoginGivesUpWithItsContext(t *testing.T) {
	s := newTestService(t)
	loggedIn(t, s, "yan")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 10 { // more than the failures a user is allowed
		if _, err := s.Login(ctx, "yan", "yan's password", "10.0.0.9"); !errors.Is(err, context.Canceled) {
			t.Fatalf("Login with an ended context: %v", err)
		}
	}
	if _, err := s.Login(context.Background(), "yan", "yan's password", "10.0.0.9"); err != nil {
		t.Errorf("login after abandoned attempts: %v (they must not count as failures)", err)
	}
}
