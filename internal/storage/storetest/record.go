package storetest

import (
	"bytes"
	"io"
	"testing"
	"time"

	"netdisk/internal/storage"
)

// testRecord: a record kept at commit comes back with the file, a new
// version without one has none, and an oversized one is refused.
func testRecord(t *testing.T, store storage.Store) {
	ctx := t.Context()
	sp := openSpace(t, store, "alice")
	record := bytes.Repeat([]byte{0xab}, 2100) // about what the service keeps
	up := openUpload(t, sp, "f")
	write(t, up, "content")
	if err := commit(ctx, store, up, make([]byte, storage.MaxRecord+1), time.Time{}); err == nil {
		t.Errorf("Commit with a record of MaxRecord+1 bytes succeeded")
	}
	if err := commit(ctx, store, up, record, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got, ok := readRecord(t, sp, "f"); !ok || !bytes.Equal(got, record) {
		t.Errorf("Record() = %d bytes, %v; want the %d bytes kept", len(got), ok, len(record))
	}
	put(t, store, sp, "f", "replaced without a record")
	if got, ok := readRecord(t, sp, "f"); ok {
		t.Errorf("Record() = %x after a commit without one", got)
	}
	// An empty record is a record.
	up = openUpload(t, sp, "g")
	write(t, up, "g")
	if err := commit(ctx, store, up, []byte{}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got, ok := readRecord(t, sp, "g"); !ok || len(got) != 0 {
		t.Errorf("Record() = %x, %v; want an empty record", got, ok)
	}
}

// testSetRecord: a record kept later (for a file committed without one)
// comes back for that version only.
func testSetRecord(t *testing.T, store storage.Store) {
	ctx := t.Context()
	sp := openSpace(t, store, "alice")
	put(t, store, sp, "f", "first")
	f, err := sp.Open(ctx, "f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.SetRecord(make([]byte, storage.MaxRecord+1)); err == nil {
		t.Errorf("SetRecord of MaxRecord+1 bytes succeeded")
	}
	if err := f.SetRecord([]byte("record of first")); err != nil {
		t.Fatal(err)
	}
	if got, ok := f.Record(); !ok || string(got) != "record of first" {
		t.Errorf("Record() on the same handle = %q, %v", got, ok)
	}
	if got, ok := readRecord(t, sp, "f"); !ok || string(got) != "record of first" {
		t.Errorf("Record() reopened = %q, %v", got, ok)
	}
	// A handle on the old version must not label the new one.
	put(t, store, sp, "f", "second")
	if err := f.SetRecord([]byte("record of first, again")); err != nil {
		t.Fatal(err)
	}
	if got, ok := readRecord(t, sp, "f"); ok {
		t.Errorf("the new version has the old version's record %q", got)
	}
	if b, _ := io.ReadAll(f); string(b) != "first" {
		t.Errorf("old handle reads %q", b)
	}
}

// readRecord opens name and returns its record.
func readRecord(t *testing.T, sp storage.Space, name string) ([]byte, bool) {
	t.Helper()
	f, err := sp.Open(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return f.Record()
}
