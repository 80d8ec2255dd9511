package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// writers runs each test through both entry points.
var writers = []struct {
	name  string
	write func(path string, data []byte, perm os.FileMode) error
}{
	{"Write", Write},
	{"WriteFunc", func(path string, data []byte, perm os.FileMode) error {
		return WriteFunc(path, perm, func(w io.Writer) error {
			// In two pieces, as a streaming encoder would.
			half := len(data) / 2
			if _, err := w.Write(data[:half]); err != nil {
				return err
			}
			_, err := w.Write(data[half:])
			return err
		})
	}},
}

// writeOld creates path with content and mode, bypassing the package.
func writeOld(t *testing.T, path string, content []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, content, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // WriteFile's mode is subject to the umask
		t.Fatal(err)
	}
}

// checkFile fails unless path holds want with mode perm.
func checkFile(t *testing.T, path string, want []byte, perm os.FileMode) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("content = %q; want %q", got, want)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode() != perm {
		t.Errorf("mode = %v; want %v", info.Mode(), perm)
	}
}

// checkNoTemps fails if a temporary file is left in dir.
func checkNoTemps(t *testing.T, dir string) {
	t.Helper()
	leftovers, err := filepath.Glob(filepath.Join(dir, "*.tmp-*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %q", leftovers)
	}
}

func TestWrite(t *testing.T) {
	tests := []struct {
		name    string
		old     []byte      // nil: no file before
		oldMode os.FileMode // of old
		data    []byte
		perm    os.FileMode
	}{
		{name: "new private file", data: []byte("token"), perm: 0o600},
		{name: "new world-readable file", data: []byte("pins\n"), perm: 0o644},
		{name: "new empty file", data: []byte{}, perm: 0o600},
		{name: "replace, same mode", old: []byte("old"), oldMode: 0o600, data: []byte("new"), perm: 0o600},
		{name: "replace, tighter mode", old: []byte("old"), oldMode: 0o644, data: []byte("new"), perm: 0o600},
		{name: "replace, looser mode", old: []byte("old"), oldMode: 0o600, data: []byte("new"), perm: 0o640},
		{name: "replace longer with shorter", old: bytes.Repeat([]byte("x"), 1<<16), oldMode: 0o600, data: []byte("y"), perm: 0o600},
		{name: "replace with large", old: []byte("old"), oldMode: 0o600, data: bytes.Repeat([]byte("0123456789"), 100_000), perm: 0o600},
	}
	for _, w := range writers {
		for _, tt := range tests {
			t.Run(w.name+"/"+tt.name, func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "state.json")
				if tt.old != nil {
					writeOld(t, path, tt.old, tt.oldMode)
				}
				// A nil error also covers the folder fsync after the rename.
				if err := w.write(path, tt.data, tt.perm); err != nil {
					t.Fatalf("%s: %v", w.name, err)
				}
				checkFile(t, path, tt.data, tt.perm)
				checkNoTemps(t, dir)
			})
		}
	}
}

func TestWriteFailureKeepsOldFile(t *testing.T) {
	injected := errors.New("injected encoder failure")
	tests := []struct {
		name     string
		path     func(dir string) string
		write    func(io.Writer) error
		wantIs   error
		wantText string
	}{
		{
			name:     "write fails at once",
			write:    func(io.Writer) error { return injected },
			wantIs:   injected,
			wantText: "writing ",
		},
		{
			name: "write fails half way",
			write: func(w io.Writer) error {
				if _, err := w.Write([]byte("half of the new")); err != nil {
					return err
				}
				return injected
			},
			wantIs:   injected,
			wantText: "writing ",
		},
		{
			name:     "target is a folder",
			path:     func(dir string) string { return filepath.Join(dir, "sub") },
			write:    func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err },
			wantText: "renaming ",
		},
	}
	old := []byte("old content")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "state.json")
			writeOld(t, path, old, 0o640)
			if tt.path != nil {
				path = tt.path(dir)
				if err := os.Mkdir(path, 0o700); err != nil {
					t.Fatal(err)
				}
				// A non-empty folder cannot be replaced by a rename.
				writeOld(t, filepath.Join(path, "inside"), old, 0o640)
			}
			err := WriteFunc(path, 0o600, tt.write)
			if err == nil {
				t.Fatal("WriteFunc succeeded")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v does not wrap %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not name the step %q", err, tt.wantText)
			}
			checkFile(t, filepath.Join(dir, "state.json"), old, 0o640)
			checkNoTemps(t, dir)
		})
	}
}

func TestWriteMissingFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	for _, w := range writers {
		t.Run(w.name, func(t *testing.T) {
			err := w.write(filepath.Join(dir, "state.json"), []byte("new"), 0o600)
			if !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("error = %v; want one wrapping fs.ErrNotExist", err)
			}
			if !strings.Contains(err.Error(), dir) {
				t.Errorf("error %q does not name the folder %s", err, dir)
			}
		})
	}
}

func TestRemoveTemps(t *testing.T) {
	tests := []struct {
		name      string
		files     []string // created in the folder before RemoveTemps
		wantGone  []string
		wantKept  []string
		wantError bool
	}{
		{name: "nothing to do", files: []string{"state.json"}, wantKept: []string{"state.json"}},
		{
			name:     "crash leftovers",
			files:    []string{"state.json", "state.json.tmp-123456", "state.json.tmp-"},
			wantGone: []string{"state.json.tmp-", "state.json.tmp-123456"},
			wantKept: []string{"state.json"},
		},
		{
			name:     "other files' leftovers kept",
			files:    []string{"state.json.tmp-1", "other.json.tmp-1", "state.jsonx.tmp-1", "state.json.bak"},
			wantGone: []string{"state.json.tmp-1"},
			wantKept: []string{"other.json.tmp-1", "state.jsonx.tmp-1", "state.json.bak"},
		},
		{name: "folder missing", wantError: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.wantError {
				dir = filepath.Join(dir, "gone")
			}
			for _, name := range tt.files {
				writeOld(t, filepath.Join(dir, name), []byte("torn"), 0o600)
			}
			removed, err := RemoveTemps(filepath.Join(dir, "state.json"))
			if tt.wantError {
				if err == nil {
					t.Fatal("RemoveTemps succeeded on a missing folder")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, name := range tt.wantGone {
				want = append(want, filepath.Join(dir, name))
			}
			slices.Sort(removed)
			if !slices.Equal(removed, want) {
				t.Errorf("removed %q; want %q", removed, want)
			}
			for _, name := range tt.wantGone {
				if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s still there (%v)", name, err)
				}
			}
			for _, name := range tt.wantKept {
				if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
					t.Errorf("%s removed: %v", name, err)
				}
			}
		})
	}
}

// TestRemoveTempsAfterCrash keeps the very temporary file a Write was
// filling when it failed, as a process killed before its rename would leave
// it, and checks that RemoveTemps recognizes and removes it.
func TestRemoveTempsAfterCrash(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users.xlsx")
	if err := Write(path, []byte("committed"), 0o600); err != nil {
		t.Fatal(err)
	}
	crash := errors.New("crash")
	var leftover string
	err := WriteFunc(path, 0o600, func(w io.Writer) error {
		if _, err := io.WriteString(w, "torn"); err != nil {
			return err
		}
		temps, _ := filepath.Glob(filepath.Join(dir, "*.tmp-*"))
		if len(temps) != 1 {
			t.Errorf("temporary files while writing: %q; want one", temps)
			return crash
		}
		// A second link keeps the file when WriteFunc removes its name.
		leftover = temps[0] + "-crashed"
		if err := os.Link(temps[0], leftover); err != nil {
			t.Error(err)
		}
		return crash
	})
	if !errors.Is(err, crash) {
		t.Fatalf("WriteFunc = %v; want the crash", err)
	}
	removed, err := RemoveTemps(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removed, []string{leftover}) {
		t.Errorf("removed %q; want [%s]", removed, leftover)
	}
	checkFile(t, path, []byte("committed"), 0o600)
	checkNoTemps(t, dir)
}

// TestConcurrentWrites races writers of one path against readers: every
// read sees one writer's whole content, and so does the end state.
func TestConcurrentWrites(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sessions.json")
	const writers, size = 8, 64 << 10
	contents := make(map[string]bool)
	for i := range writers {
		contents[string(bytes.Repeat([]byte{byte('a' + i)}, size))] = true
	}
	if err := Write(path, bytes.Repeat([]byte{'-'}, size), 0o600); err != nil {
		t.Fatal(err)
	}
	contents[strings.Repeat("-", size)] = true

	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				got, err := os.ReadFile(path)
				if err != nil {
					t.Errorf("reading during writes: %v", err)
					return
				}
				if !contents[string(got)] {
					t.Errorf("read a torn file of %d bytes starting %q", len(got), got[:min(len(got), 8)])
					return
				}
			}
		})
	}
	var writersWG sync.WaitGroup
	for i := range writers {
		writersWG.Go(func() {
			for range 5 {
				data := bytes.Repeat([]byte{byte('a' + i)}, size)
				if err := Write(path, data, 0o600); err != nil {
					t.Errorf("writer %d: %v", i, err)
				}
			}
		})
	}
	writersWG.Wait()
	close(stop)
	wg.Wait()

	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] == '-' || !contents[string(got)] {
		t.Errorf("end state is not one writer's whole content: %d bytes starting %q", len(got), got[:min(len(got), 8)])
	}
	checkNoTemps(t, dir)
}

func ExampleWrite() {
	dir, err := os.MkdirTemp("", "atomicfile")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "sessions.json")
	if err := Write(path, []byte(`{"last_server":"disk.example:7070"}`), 0o600); err != nil {
		panic(err)
	}
	data, _ := os.ReadFile(path)
	fmt.Println(string(data))
	// Output: {"last_server":"disk.example:7070"}
}
