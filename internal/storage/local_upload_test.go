package storage_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestLocalRecord(t *testing.T) {
	store, sp, home := localSpace(t)
	record := []byte("the digest record of content")
	readRecord := func(name string) ([]byte, bool) {
		t.Helper()
		f, err := sp.Open(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		return f.Record()
	}
	tests := []struct {
		name   string
		behind func(path string) error // what is done behind the store's back
		valid  bool
	}{
		{"untouched", func(string) error { return nil }, true},
		{"rewritten", func(p string) error { return os.WriteFile(p, []byte("CONTENT"), 0o600) }, false},
		{"appended", func(p string) error {
			f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteString("!")
			return err
		}, false},
		{"touched", func(p string) error {
			return os.Chtimes(p, time.Time{}, time.Now().Add(time.Hour))
		}, false},
		{"old sha256 record only", func(p string) error {
			if err := unix.Removexattr(p, "user.netdisk.record"); err != nil {
				return err
			}
			return unix.Setxattr(p, "user.netdisk.sha256", make([]byte, 48), 0)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			put(t, store, sp, "f", "content", record)
			if err := tt.behind(filepath.Join(home, "f")); err != nil {
				t.Fatal(err)
			}
			got, ok := readRecord("f")
			if ok != tt.valid || (ok && string(got) != string(record)) {
				t.Errorf("Record() = %q, %v; want valid %v", got, ok, tt.valid)
			}
		})
	}
}

// partialPath is where the local store keeps the resumable partial of target.
func partialPath(home, target string) string {
	sum := sha256.Sum256([]byte(target))
	return filepath.Join(home, ".netdisk", "uploads", hex.EncodeToString(sum[:])+".part")
}

func TestLocalUploadLayout(t *testing.T) {
	ctx := t.Context()
	_, sp, home := localSpace(t)
	up, err := sp.OpenUpload(ctx, "dir/f")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(up, "abc")
	up.Close()
	part := partialPath(home, "dir/f")
	if b, err := os.ReadFile(part); err != nil || string(b) != "abc" {
		t.Errorf("partial %s = %q, %v", part, b, err)
	}
	record, err := os.ReadFile(strings.TrimSuffix(part, ".part") + ".json")
	if err != nil || !strings.Contains(string(record), `"target":"dir/f"`) {
		t.Errorf("record = %s, %v", record, err)
	}
}

func TestLocalExpireOld(t *testing.T) {
	ctx := t.Context()
	store, sp, home := localSpace(t)
	long := time.Now().Add(-48 * time.Hour)
	for _, target := range []string{"old", "fresh"} {
		up, err := sp.OpenUpload(ctx, target)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(up, target)
		up.Close()
	}
	held, err := sp.OpenUpload(ctx, "held")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	io.WriteString(held, "held")
	tmp, err := sp.TempUpload(ctx, "live-temp")
	if err != nil {
		t.Fatal(err)
	}
	defer tmp.Close()
	// A temporary partial left behind by a crash.
	leftover := filepath.Join(home, ".netdisk", "tmp", "crashed.part")
	if err := os.WriteFile(leftover, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	tmps, _ := filepath.Glob(filepath.Join(home, ".netdisk", "tmp", "*.part"))
	old := append(tmps, partialPath(home, "old"), partialPath(home, "held"))
	for _, p := range old {
		if err := os.Chtimes(p, long, long); err != nil {
			t.Fatal(err)
		}
	}

	n, err := store.ExpireUploads(ctx, time.Now().Add(-time.Hour))
	if err != nil || n != 2 {
		t.Errorf("ExpireUploads = %d, %v; want 2 (old and the leftover temp)", n, err)
	}
	ups, err := sp.Uploads(ctx)
	if err != nil || len(ups) != 2 || ups[0].Target != "fresh" || ups[1].Target != "held" {
		t.Errorf("Uploads() = %+v, %v; want fresh and held", ups, err)
	}
	if _, err := os.Stat(leftover); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("leftover temp partial: %v, want removed", err)
	}
	if _, err := os.Stat(strings.TrimSuffix(partialPath(home, "old"), ".part") + ".json"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("record of the expired partial: %v, want removed", err)
	}
	io.WriteString(tmp, "!")
	if err := commit(store, tmp, nil); err != nil {
		t.Errorf("live temp upload after expiry: %v", err)
	}
}

// TestLocalStateTiedToPartial: a partial changed behind the store's back,
// however soon after the store's last write, loses its state (which would
// otherwise vouch for bytes that are not there any more).
func TestLocalStateTiedToPartial(t *testing.T) {
	_, sp, home := localSpace(t)
	for i := range 20 { // many tries: a coarse clock would let some through
		target := fmt.Sprintf("f%d", i)
		up, err := sp.OpenUpload(t.Context(), target)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(up, "0123456789")
		up.SetState([]byte("state"))
		if err := up.Close(); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(partialPath(home, target), os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteAt([]byte("X"), 3) // same size, right away
		f.Close()
		up, err = sp.OpenUpload(t.Context(), target)
		if err != nil {
			t.Fatal(err)
		}
		if up.State() != nil {
			t.Errorf("try %d: a partial changed behind the store's back kept its state", i)
		}
		up.Close()
	}
	// Untouched, it comes back.
	up, _ := sp.OpenUpload(t.Context(), "g")
	io.WriteString(up, "abc")
	up.SetState([]byte("state of abc"))
	up.Close()
	up, _ = sp.OpenUpload(t.Context(), "g")
	defer up.Close()
	if string(up.State()) != "state of abc" {
		t.Errorf("untouched partial: State %q", up.State())
	}
}
