// Package storetest is the conformance suite every storage.Store must pass.
// It drives a store through the storage interfaces only, so the local store
// and any later one (S3, say) are held to the same behaviour.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"netdisk/internal/storage"
)

// Config describes the store under test.
type Config struct {
	// New returns an empty store, cleaned up with t.Cleanup.
	New func(t *testing.T) storage.Store
	// Reopen closes store and opens it again on the same data, as a
	// restarted server would.
	Reopen func(t *testing.T, store storage.Store) storage.Store
	// NoAtomicFolderRename is set for a store that cannot rename a
	// folder in one step (a concurrent reader may see it half moved); the
	// suite then does not check that.
	NoAtomicFolderRename bool
}

// Run runs the whole suite.
func Run(t *testing.T, cfg Config) {
	tests := []struct {
		name string
		run  func(t *testing.T, store storage.Store)
	}{
		{"Spaces", testSpaces},
		{"RetireSpace", testRetireSpace},
		{"Mkdir", testMkdir},
		{"StatAndList", testStatAndList},
		{"ListPages", testListPages},
		{"Remove", testRemove},
		{"Rename", testRename},
		{"Open", testOpen},
		{"WriteTo", testWriteTo},
		{"HostilePaths", testHostilePaths},
		{"LongName", testLongName},
		{"UploadResume", testUploadResume},
		{"UploadOldVersionReadable", testOldVersionReadable},
		{"UploadBusy", testUploadBusy},
		{"UploadCommitRefused", testCommitRefused},
		{"UploadDiscard", testDiscard},
		{"UploadTruncate", testTruncate},
		{"UploadAfterRelease", testAfterRelease},
		{"UploadState", testUploadState},
		{"UploadReadFrom", testUploadReadFrom},
		{"Record", testRecord},
		{"SetRecord", testSetRecord},
		{"Usage", testUsage},
		{"Extent", testExtent},
		{"ExpireUploads", testExpireUploads},
		{"ConcurrentCommits", testConcurrentCommits},
		{"Available", testAvailable},
		{"CommitBatch", testCommitBatch},
		{"Cancelled", testCancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, cfg.New(t))
		})
	}
	t.Run("Reopen", func(t *testing.T) { testReopen(t, cfg) })
	if !cfg.NoAtomicFolderRename {
		t.Run("AtomicFolderRename", func(t *testing.T) { testAtomicFolderRename(t, cfg.New(t)) })
	}
}

// openSpace opens (creating) user's folder for the rest of the test.
func openSpace(t *testing.T, store storage.Store, user string) storage.Space {
	t.Helper()
	sp, err := store.CreateSpace(t.Context(), user)
	if err != nil {
		t.Fatalf("CreateSpace(%q): %v", user, err)
	}
	t.Cleanup(func() { sp.Close() })
	return sp
}

// commit commits one upload with its record and modification time.
func commit(ctx context.Context, store storage.Store, up storage.Upload, record []byte, mtime time.Time) error {
	return store.Commit(ctx, []storage.Commit{{Upload: up, Record: record, MTime: mtime}})[0]
}

// put stores content at name through a committed upload.
func put(t *testing.T, store storage.Store, sp storage.Space, name, content string) {
	t.Helper()
	ctx := t.Context()
	up, err := sp.TempUpload(ctx, name)
	if err != nil {
		t.Fatalf("TempUpload(%q): %v", name, err)
	}
	defer up.Close()
	if _, err := io.WriteString(up, content); err != nil {
		t.Fatalf("writing %q: %v", name, err)
	}
	if err := commit(ctx, store, up, nil, time.Time{}); err != nil {
		t.Fatalf("Commit(%q): %v", name, err)
	}
}

// get returns the content of the file name.
func get(t *testing.T, sp storage.Space, name string) string {
	t.Helper()
	f, err := sp.Open(t.Context(), name)
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
		if err := sp.MkdirAll(t.Context(), name); err != nil {
			t.Fatalf("MkdirAll(%q): %v", name, err)
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
	ctx := t.Context()
	c, err := store.Available(ctx)
	if err != nil {
		t.Fatalf("Available: %v", err)
	}
	if c.Bytes <= 0 || c.Inodes == 0 {
		t.Fatalf("Available = %+v on a store the tests can write to", c)
	}
}

// testCommitBatch: a batch commit stores each upload as a commit of its
// own would, and one refused upload does not stop the others.
func testCommitBatch(t *testing.T, store storage.Store) {
	ctx := t.Context()
	sp := openSpace(t, store, "alice")
	if err := sp.Mkdir(ctx, "dir"); err != nil {
		t.Fatal(err)
	}
	var commits []storage.Commit
	when := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range 12 {
		target := fmt.Sprintf("f%02d", i)
		if i == 5 {
			target = "dir" // a folder: this one must fail
		}
		up := openUpload(t, sp, target)
		write(t, up, fmt.Sprintf("content %d", i))
		commits = append(commits, storage.Commit{Upload: up, Record: bytes.Repeat([]byte{byte(i)}, 40), MTime: when})
	}
	errs := store.Commit(ctx, commits)
	if len(errs) != len(commits) {
		t.Fatalf("Commit returned %d errors for %d commits", len(errs), len(commits))
	}
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
		f, err := sp.Open(ctx, fmt.Sprintf("f%02d", i))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(f)
		info := f.Info()
		record, ok := f.Record()
		f.Close()
		if string(got) != fmt.Sprintf("content %d", i) || !info.ModTime.Equal(when) {
			t.Errorf("f%02d = %q, mtime %v", i, got, info.ModTime)
		}
		if !ok || !bytes.Equal(record, commits[i].Record) {
			t.Errorf("f%02d record = %x, %v; want %x", i, record, ok, commits[i].Record)
		}
	}
	if info, err := sp.Stat(ctx, "dir"); err != nil || !info.IsDir {
		t.Errorf("the folder was replaced: %+v %v", info, err)
	}
	if ups := uploadTargets(t, sp); len(ups) != 1 || ups["dir"] != int64(len("content 5")) {
		t.Errorf("Uploads() = %v; want only the refused one kept", ups)
	}
	if errs := store.Commit(ctx, nil); len(errs) != 0 {
		t.Errorf("Commit(nil) = %v", errs)
	}
}

// ListAll returns every entry of dir, sorted by name.
func ListAll(ctx context.Context, sp storage.Space, dir string) ([]storage.Info, error) {
	var all []storage.Info
	err := sp.List(ctx, dir, func(page []storage.Info) error {
		if len(page) == 0 || len(page) > storage.ListPage {
			return fmt.Errorf("List handed over a page of %d entries", len(page))
		}
		all = append(all, page...)
		return nil
	})
	slices.SortFunc(all, func(a, b storage.Info) int { return strings.Compare(a.Name, b.Name) })
	return all, err
}

// NamesOf returns the names of dir's entries, sorted.
func NamesOf(ctx context.Context, sp storage.Space, dir string) ([]string, error) {
	infos, err := ListAll(ctx, sp, dir)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, i := range infos {
		out = append(out, i.Name)
	}
	if len(out) == 0 {
		out = nil
	}
	return out, nil
}
