package writeback

import (
	"os"
	"path/filepath"
	"testing"
)

// TestAdvance: requests cover what was written, once per Every bytes, and
// a truncation moves the mark back.
func TestAdvance(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := New(f, 0)
	chunk := make([]byte, 1<<20)
	var end int64
	for range 20 {
		n, err := f.Write(chunk)
		if err != nil {
			t.Fatal(err)
		}
		end += int64(n)
		tr.Advance(end)
		if tr.started > end || end-tr.started >= Every {
			t.Fatalf("at %d, writeback requested up to %d", end, tr.started)
		}
	}
	if tr.started != 16<<20 {
		t.Errorf("after 20 MiB, writeback requested up to %d, want 16 MiB", tr.started)
	}
	tr.Advance(1 << 20)
	if tr.started != 1<<20 {
		t.Errorf("after a truncation to 1 MiB, the mark is %d", tr.started)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
}
