// Package storetest is the conformance suite every storage.Store must pass.
// It drives a store through the storage interfaces only, so the local store
// and any later one (S3, say) are held to the same behaviour.
package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"netdisk/internal/storage"
)

// Run runs the whole suite; newStore must return an empty store, and clean
// it up with t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) storage.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, store storage.Store)
	}{
		{"Spaces", testSpaces},
		{"Mkdir", testMkdir},
		{"StatAndList", testStatAndList},
		{"Remove", testRemove},
		{"Rename", testRename},
		{"Open", testOpen},
		{"HostilePaths", testHostilePaths},
		{"LongName", testLongName},
		{"UploadResume", testUploadResume},
		{"UploadOldVersionReadable", testOldVersionReadable},
		{"UploadBusy", testUploadBusy},
		{"UploadCommitRefused", testCommitRefused},
		{"UploadDiscard", testDiscard},
		{"UploadTruncate", testTruncate},
		{"UploadAfterRelease", testAfterRelease},
		{"Digest", testDigest},
		{"Usage", testUsage},
		{"ExpireUploads", testExpireUploads},
		{"ConcurrentCommits", testConcurrentCommits},
		{"Available", testAvailable},
		{"CommitAll", testCommitAll},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, newStore(t))
		})
	}
}

// openSpace opens (creating) user's folder for the rest of the test.
func openSpace(t *testing.T, store storage.Store, user string) storage.Space {
	t.Helper()
	sp, err := store.Space(user, true)
	if err != nil {
		t.Fatalf("Space(%q): %v", user, err)
	}
	t.Cleanup(func() { sp.Close() })
	return sp
}

// put stores content at name through a committed upload.
func put(t *testing.T, sp storage.Space, name, content string) {
	t.Helper()
	up, err := sp.TempUpload(name)
	if err != nil {
		t.Fatalf("TempUpload(%q): %v", name, err)
	}
	defer up.Close()
	if _, err := io.WriteString(up, content); err != nil {
		t.Fatalf("writing %q: %v", name, err)
	}
	if err := up.Commit(nil, time.Time{}); err != nil {
		t.Fatalf("Commit(%q): %v", name, err)
	}
}

// get returns the content of the file name.
func get(t *testing.T, sp storage.Space, name string) string {
	t.Helper()
	f, err := sp.Open(name)
	if err != nil {
		t.Fatalf("Open(%q): %v", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("reading %q: %v", name, err)
	}
	return string(b)
}

// mkdir makes the folders named, with parents.
func mkdir(t *testing.T, sp storage.Space, names ...string) {
	t.Helper()
	for _, name := range names {
		if err := sp.Mkdir(name, true); err != nil {
			t.Fatalf("Mkdir(%q): %v", name, err)
		}
	}
}

// wantErr fails unless err matches target (nil for success).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	switch {
	case target == nil && err != nil:
		t.Errorf("%s: %v, want success", what, err)
	case target != nil && !errors.Is(err, target):
		t.Errorf("%s: %v, want %v", what, err, target)
	}
}

// names returns the names in infos.
func names(infos []storage.Info) []string {
	var out []string
	for _, info := range infos {
		out = append(out, info.Name)
	}
	return out
}

// testAvailable: a store that holds files has room to report.
func testAvailable(t *testing.T, store storage.Store) {
	n, err := store.Available()
	if err != nil {
		t.Fatalf("Available: %v", err)
	}
	if n <= 0 {
		t.Fatalf("Available = %d on a store the tests can write to", n)
	}
}

// testCommitAll: a batch commit stores each upload as its own Commit would,
// and one refused upload does not stop the others.
func testCommitAll(t *testing.T, store storage.Store) {
	sp := openSpace(t, store, "alice")
	if err := sp.Mkdir("dir", false); err != nil {
		t.Fatal(err)
	}
	var ups []storage.Upload
	var digests [][]byte
	var mtimes []time.Time
	when := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range 12 {
		target := fmt.Sprintf("f%02d", i)
		if i == 5 {
			target = "dir" // a folder: this one must fail
		}
		up := openUpload(t, sp, target)
		write(t, up, fmt.Sprintf("content %d", i))
		ups = append(ups, up)
		digests = append(digests, bytes.Repeat([]byte{byte(i)}, 32))
		mtimes = append(mtimes, when)
	}
	errs := store.CommitAll(ups, digests, mtimes)
	for i, err := range errs {
		if i == 5 {
			if !errors.Is(err, storage.ErrIsDir) {
				t.Errorf("commit onto a folder: %v", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("upload %d: %v", i, err)
			continue
		}
		f, err := sp.Open(fmt.Sprintf("f%02d", i))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(f)
		info := f.Info()
		f.Close()
		if string(got) != fmt.Sprintf("content %d", i) || !info.ModTime.Equal(when) {
			t.Errorf("f%02d = %q, mtime %v", i, got, info.ModTime)
		}
	}
	if info, err := sp.Stat("dir"); err != nil || !info.IsDir {
		t.Errorf("the folder was replaced: %+v %v", info, err)
	}
	for _, up := range ups {
		up.Close()
	}
}
