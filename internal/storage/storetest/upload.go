package storetest

import (
	"errors"
	"io"
	"io/fs"
	"testing"
	"time"

	"netdisk/internal/storage"
)

// openUpload opens the resumable upload of target.
func openUpload(t *testing.T, sp storage.Space, target string) storage.Upload {
	t.Helper()
	up, err := sp.OpenUpload(t.Context(), target)
	if err != nil {
		t.Fatalf("OpenUpload(%q): %v", target, err)
	}
	t.Cleanup(func() { up.Close() })
	return up
}

// write appends s to up.
func write(t *testing.T, up storage.Upload, s string) {
	t.Helper()
	if n, err := io.WriteString(up, s); n != len(s) || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
}

// uploadTargets returns the targets of the resumable uploads and their sizes.
func uploadTargets(t *testing.T, sp storage.Space) map[string]int64 {
	t.Helper()
	ups, err := sp.Uploads(t.Context())
	if err != nil {
		t.Fatalf("Uploads: %v", err)
	}
	out := make(map[string]int64)
	for _, u := range ups {
		out[u.Target] = u.Size
	}
	return out
}

func testUploadResume(t *testing.T, store storage.Store) {
	ctx := t.Context()
	sp := openSpace(t, store, "alice")
	mkdir(t, sp, "dir")
	const whole = "the first half|and the second half"
	half := whole[:15]

	up := openUpload(t, sp, "dir/f.txt")
	if up.Target() != "dir/f.txt" || up.Size() != 0 {
		t.Fatalf("new upload: Target %q, Size %d", up.Target(), up.Size())
	}
	write(t, up, half)
	if err := up.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := sp.Stat(ctx, "dir/f.txt"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("target exists before Commit: %v", err)
	}
	before := time.Now().Add(-time.Minute)
	ups, err := sp.Uploads(ctx)
	if err != nil || len(ups) != 1 || ups[0].Target != "dir/f.txt" || ups[0].Size != int64(len(half)) || ups[0].Updated.Before(before) {
		t.Fatalf("Uploads() = %+v, %v", ups, err)
	}

	up = openUpload(t, sp, "dir/f.txt")
	if up.Size() != int64(len(half)) {
		t.Fatalf("resumed Size() = %d, want %d", up.Size(), len(half))
	}
	held := make([]byte, up.Size())
	if n, err := up.ReadAt(held, 0); n != len(held) || (err != nil && err != io.EOF) || string(held) != half {
		t.Fatalf("ReadAt = %d, %v, %q; want %q", n, err, held, half)
	}
	write(t, up, whole[len(half):])
	if up.Size() != int64(len(whole)) {
		t.Errorf("Size() = %d after append, want %d", up.Size(), len(whole))
	}
	mtime := time.Date(2020, 5, 17, 10, 0, 0, 0, time.UTC)
	if err := commit(ctx, store, up, nil, mtime); err != nil {
		t.Fatal(err)
	}
	if got := get(t, sp, "dir/f.txt"); got != whole {
		t.Errorf("committed %q, want %q", got, whole)
	}
	if info, err := sp.Stat(ctx, "dir/f.txt"); err != nil || !info.ModTime.Equal(mtime) {
		t.Errorf("Stat = %+v, %v; want ModTime %v", info, err, mtime)
	}
	if ups := uploadTargets(t, sp); len(ups) != 0 {
		t.Errorf("Uploads() = %v after Commit, want none", ups)
	}
	// Committing an existing target replaces it; a fresh upload starts empty.
	up = openUpload(t, sp, "dir/f.txt")
	if up.Size() != 0 {
		t.Errorf("upload after Commit starts at %d bytes", up.Size())
	}
	write(t, up, "v2")
	if err := commit(ctx, store, up, nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, sp, "dir/f.txt"); got != "v2" {
		t.Errorf("recommitted %q, want v2", got)
	}
}

func testOldVersionReadable(t *testing.T, store storage.Store) {
	ctx := t.Context()
	sp := openSpace(t, store, "alice")
	put(t, store, sp, "f", "old version")
	old, err := sp.Open(ctx, "f")
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	put(t, store, sp, "f", "the new one")
	if b, err := io.ReadAll(old); err != nil || string(b) != "old version" {
		t.Errorf("old version reads %q, %v", b, err)
	}
	if got := get(t, sp, "f"); got != "the new one" {
		t.Errorf("new version reads %q", got)
	}
}

func testUploadBusy(t *testing.T, store storage.Store) {
	ctx := t.Context()
	sp := openSpace(t, store, "alice")
	first := openUpload(t, sp, "f")
	write(t, first, "first")

	_, err := sp.OpenUpload(ctx, "f")
	wantErr(t, "second OpenUpload", err, storage.ErrBusy)
	wantErr(t, "DiscardUpload while held", sp.DiscardUpload(ctx, "f"), storage.ErrBusy)
	other := openUpload(t, sp, "g") // other targets are not held
	other.Close()

	tmp, err := sp.TempUpload(ctx, "f")
	if err != nil {
		t.Fatalf("TempUpload while busy: %v", err)
	}
	defer tmp.Close()
	if tmp.Size() != 0 {
		t.Errorf("TempUpload starts at %d bytes", tmp.Size())
	}
	write(t, tmp, "temp")
	if err := commit(ctx, store, tmp, nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, sp, "f"); got != "temp" {
		t.Errorf("f = %q, want temp", got)
	}
	if ups := uploadTargets(t, sp); len(ups) != 2 || ups["f"] != 5 {
		t.Errorf("Uploads() = %v; want f (5 bytes) and g, temp ones not listed", ups)
	}

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again := openUpload(t, sp, "f")
	if again.Size() != 5 {
		t.Errorf("after Close, OpenUpload resumes at %d, want 5", again.Size())
	}
}

func testCommitRefused(t *testing.T, store storage.Store) {
	ctx := t.Context()
	sp := openSpace(t, store, "alice")
	mkdir(t, sp, "dir/inner")

	up := openUpload(t, sp, "dir")
	write(t, up, "data")
	wantErr(t, "Commit onto a folder", commit(ctx, store, up, nil, time.Time{}), storage.ErrIsDir)
	if info, err := sp.Stat(ctx, "dir"); err != nil || !info.IsDir {
		t.Errorf("folder after refused Commit: %+v, %v", info, err)
	}
	if ups := uploadTargets(t, sp); ups["dir"] != 4 {
		t.Errorf("Uploads() = %v; want the partial kept", ups)
	}
	// The upload is still usable: the folder goes, the retry succeeds.
	if err := sp.RemoveAll(ctx, "dir"); err != nil {
		t.Fatal(err)
	}
	if err := commit(ctx, store, up, nil, time.Time{}); err != nil {
		t.Fatalf("retried Commit: %v", err)
	}
	if got := get(t, sp, "dir"); got != "data" {
		t.Errorf("dir = %q", got)
	}

	up = openUpload(t, sp, "missing/f")
	write(t, up, "data")
	mtime := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	wantErr(t, "Commit with a missing parent", commit(ctx, store, up, nil, mtime), fs.ErrNotExist)
	if up.Size() != 4 {
		t.Errorf("Size() = %d after refused Commit", up.Size())
	}
	if err := up.Close(); err != nil {
		t.Fatal(err)
	}
	ups, err := sp.Uploads(ctx)
	if err != nil || len(ups) != 1 || ups[0].Target != "missing/f" || ups[0].Size != 4 {
		t.Errorf("Uploads() = %+v, %v; want missing/f kept", ups, err)
	} else if ups[0].Updated.Before(time.Now().Add(-time.Hour)) {
		t.Errorf("refused Commit left the partial dated %v, so it would expire", ups[0].Updated)
	}

	mkdir(t, sp, "folder")
	tmp2, err := sp.TempUpload(ctx, "folder")
	if err != nil {
		t.Fatal(err)
	}
	defer tmp2.Close()
	wantErr(t, "temp Commit onto a folder", commit(ctx, store, tmp2, nil, time.Time{}), storage.ErrIsDir)
}

func testDiscard(t *testing.T, store storage.Store) {
	ctx := t.Context()
	sp := openSpace(t, store, "alice")
	up := openUpload(t, sp, "a")
	write(t, up, "aaa")
	if err := up.Discard(); err != nil {
		t.Fatal(err)
	}
	if ups := uploadTargets(t, sp); len(ups) != 0 {
		t.Errorf("Uploads() = %v after Discard", ups)
	}
	if up := openUpload(t, sp, "a"); up.Size() != 0 {
		t.Errorf("after Discard, OpenUpload resumes at %d", up.Size())
	} else {
		up.Close()
	}

	up = openUpload(t, sp, "b")
	write(t, up, "bbb")
	up.Close()
	wantErr(t, "DiscardUpload", sp.DiscardUpload(ctx, "b"), nil)
	wantErr(t, "DiscardUpload again", sp.DiscardUpload(ctx, "b"), fs.ErrNotExist)
	wantErr(t, "DiscardUpload of nothing", sp.DiscardUpload(ctx, "never"), fs.ErrNotExist)
	if ups := uploadTargets(t, sp); len(ups) != 1 {
		t.Errorf("Uploads() = %v; want only a", ups)
	}
	if _, err := sp.Stat(ctx, "b"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("discarded upload became a file: %v", err)
	}
}

func testTruncate(t *testing.T, store storage.Store) {
	ctx := t.Context()
	sp := openSpace(t, store, "alice")
	up := openUpload(t, sp, "f")
	write(t, up, "0123456789")
	if err := up.Truncate(11); err == nil {
		t.Errorf("Truncate beyond Size succeeded")
	}
	if err := up.Truncate(-1); err == nil {
		t.Errorf("Truncate(-1) succeeded")
	}
	if err := up.Truncate(4); err != nil {
		t.Fatal(err)
	}
	if up.Size() != 4 {
		t.Errorf("Size() = %d after Truncate(4)", up.Size())
	}
	write(t, up, "xy")
	if err := up.Close(); err != nil {
		t.Fatal(err)
	}
	up = openUpload(t, sp, "f")
	if up.Size() != 6 {
		t.Errorf("resumed Size() = %d, want 6", up.Size())
	}
	if err := commit(ctx, store, up, nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, sp, "f"); got != "0123xy" {
		t.Errorf("f = %q, want 0123xy", got)
	}
}

// testAfterRelease checks that a released upload refuses further use and
// that releasing twice is harmless, so callers can always defer Close.
func testAfterRelease(t *testing.T, store storage.Store) {
	ctx := t.Context()
	sp := openSpace(t, store, "alice")
	up := openUpload(t, sp, "f")
	write(t, up, "x")
	if err := commit(ctx, store, up, nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := up.Write([]byte("more")); err == nil {
		t.Errorf("Write after Commit succeeded")
	}
	if err := commit(ctx, store, up, nil, time.Time{}); err == nil {
		t.Errorf("second Commit succeeded")
	}
	for name, release := range map[string]func() error{"Close": up.Close, "Discard": up.Discard} {
		if err := release(); err != nil {
			t.Errorf("%s after Commit: %v", name, err)
		}
	}
	if got := get(t, sp, "f"); got != "x" {
		t.Errorf("f = %q after releasing a committed upload", got)
	}
	if err := sp.Close(); err != nil {
		t.Errorf("Space.Close: %v", err)
	}
	if _, err := sp.Stat(ctx, "f"); err == nil {
		t.Errorf("Stat after Space.Close succeeded")
	}
}
