package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"netdisk/internal/digest"
)

// userDir is where the local store keeps user's files in a test service.
func userDir(t *testing.T, s *Service, user string) string {
	t.Helper()
	c, ok := s.store.(*countingStore)
	if !ok {
		t.Fatal("not a test service")
	}
	type dirOf interface{ Dir() string }
	return filepath.Join(c.Store.(dirOf).Dir(), user)
}

// TestUnicodeTwins: a name made outside netdisk in another Unicode form
// blocks its NFC twin (upload, mkdir, move); once it is gone (removed
// outside netdisk too), the twin is allowed.
func TestUnicodeTwins(t *testing.T) {
	s := newTestService(t)
	sess := loggedIn(t, s, "tina")
	ctx := context.Background()
	if err := s.Mkdir(ctx, sess, "photos", false); err != nil {
		t.Fatal(err)
	}
	nfd := norm.NFD.String("café.txt")
	nfc := norm.NFC.String("café.txt")
	upload(t, s, sess, "photos/ok.txt", []byte("x")) // the folder is remembered from here on
	outside := filepath.Join(userDir(t, s, "tina"), "photos", nfd)
	if err := os.WriteFile(outside, []byte("made by hand"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := s.OpenUpload(ctx, sess, "photos/"+nfc, 1, UploadOnce)
	if !errors.Is(err, ErrNameCollision) {
		t.Fatalf("upload of the NFC twin: %v, want ErrNameCollision", err)
	}
	if err := s.Mkdir(ctx, sess, "photos/"+nfc, false); !errors.Is(err, ErrNameCollision) {
		t.Errorf("mkdir of the NFC twin: %v", err)
	}
	if err := s.Rename(ctx, sess, "photos/ok.txt", "photos/"+nfc); !errors.Is(err, ErrNameCollision) {
		t.Errorf("mv onto the NFC twin: %v", err)
	}
	if err := os.Remove(outside); err != nil {
		t.Fatal(err)
	}
	upload(t, s, sess, "photos/"+nfc, []byte("now allowed"))
}

// TestTwinCheckReadsFolderOnce: filling a folder with non-ASCII names
// reads it for twins once, not once per name.
func TestTwinCheckReadsFolderOnce(t *testing.T) {
	s, store := newCountingService(t)
	sess := loggedIn(t, s, "uma")
	ctx := context.Background()
	if err := s.Mkdir(ctx, sess, "相册", false); err != nil {
		t.Fatal(err)
	}
	before := store.lists.Load()
	var pending []*Pending
	var ups []*Upload
	for i := range 300 {
		data := []byte(fmt.Sprintf("照片 %d", i))
		u, err := s.OpenUpload(ctx, sess, fmt.Sprintf("相册/照片%03d.jpg", i), int64(len(data)), UploadOnce)
		if err != nil {
			t.Fatal(err)
		}
		u.Stream(0, bytes.NewReader(data))
		sum := digest.Sum(data)
		pending = append(pending, u.Queue(sum[:], time.Time{})) // pipelined, as a client does
		ups = append(ups, u)
	}
	for i, p := range pending {
		if err := p.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		ups[i].Close()
	}
	if n := store.lists.Load() - before; n > 2 {
		t.Errorf("300 uploads into one folder read it %d times for twins; want once", n)
	}
}

// BenchmarkUploadNames measures small uploads into one growing folder with
// ASCII names and with Chinese names: the twin check makes the second cost
// no more than the first.
func BenchmarkUploadNames(b *testing.B) {
	for _, kind := range []struct {
		name string
		path func(i int) string
	}{
		{"ascii", func(i int) string { return fmt.Sprintf("photos/photo%07d.jpg", i) }},
		{"chinese", func(i int) string { return fmt.Sprintf("photos/照片%07d.jpg", i) }},
	} {
		b.Run(kind.name, func(b *testing.B) {
			s := newTestService(b)
			sess := loggedIn(b, s, "bench")
			ctx := context.Background()
			s.Mkdir(ctx, sess, "photos", false)
			data := []byte("content")
			sum := digest.Sum(data)
			i := 0
			for b.Loop() {
				u, err := s.OpenUpload(ctx, sess, kind.path(i), int64(len(data)), UploadOnce)
				if err != nil {
					b.Fatal(err)
				}
				u.Stream(0, bytes.NewReader(data))
				if err := u.Commit(ctx, sum[:], time.Time{}); err != nil {
					b.Fatal(err)
				}
				u.Close()
				i++
			}
		})
	}
}
