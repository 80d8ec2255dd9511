package cloud_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"netdisk/internal/storage"
	"netdisk/internal/storage/cloud"
)

// TestBufferMemoryBounded: uploads of one store keep at most
// BufferMemory in memory between them (plus the smallest allowance for
// each upload beyond): once the pool is spent, uploads store smaller
// chunks sooner, and read back whole; closed uploads give their
// allowance back.
func TestBufferMemoryBounded(t *testing.T) {
	w := newWhere(t)
	const chunk, pool, minBuffer = 1 << 20, 2 << 20, 256 << 10
	st := w.open(t, func(c *cloud.Config) { c.ChunkSize = chunk; c.BufferMemory = pool })
	ctx := t.Context()
	sp, err := st.CreateSpace(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	const n, each = 6, 700 << 10
	ups := make([]storage.Upload, n)
	data := make([][]byte, n)
	for i := range n {
		if ups[i], err = sp.OpenUpload(ctx, fmt.Sprintf("f%d", i)); err != nil {
			t.Fatal(err)
		}
		data[i] = make([]byte, each)
		for j := range data[i] {
			data[i][j] = byte(rand.Uint32())
		}
		if _, err := ups[i].Write(data[i]); err != nil {
			t.Fatal(err)
		}
	}
	held := func() (inMemory, smallChunks int64) {
		rows, err := w.db.Query(ctx, `SELECT b.target, b.size, (SELECT count(*) FROM netdisk_chunks c WHERE c.blob = b.id AND c.size < $1)
			FROM netdisk_blobs b WHERE b.kind = 'upload'`, chunk)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var target string
			var stored, small int64
			if err := rows.Scan(&target, &stored, &small); err != nil {
				t.Fatal(err)
			}
			inMemory += each - stored
			smallChunks += small
		}
		return inMemory, smallChunks
	}
	inMemory, small := held()
	// Two uploads got a whole chunk's allowance; four got the smallest.
	if limit := int64(pool + (n-2)*minBuffer); inMemory > limit {
		t.Fatalf("%d bytes kept in memory by %d uploads; want at most %d", inMemory, n, limit)
	}
	if small == 0 {
		t.Fatal("no upload stored a smaller chunk although the pool was spent")
	}
	for i := range n {
		if errs := st.Commit(ctx, []storage.Commit{{Upload: ups[i]}}); errs[0] != nil {
			t.Fatal(errs[0])
		}
		f, err := sp.Open(ctx, fmt.Sprintf("f%d", i))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(f)
		f.Close()
		if err != nil || !bytes.Equal(got, data[i]) {
			t.Fatalf("f%d reads back %d bytes (%v), not what was written", i, len(got), err)
		}
	}
	// The allowances came back: a new upload keeps a whole chunk again.
	up, err := sp.OpenUpload(ctx, "again")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	if _, err := up.Write(data[0]); err != nil {
		t.Fatal(err)
	}
	var stored int64
	if err := w.db.QueryRow(ctx, `SELECT size FROM netdisk_blobs WHERE target = 'again' AND kind = 'upload'`).Scan(&stored); err != nil || stored != 0 {
		t.Fatalf("a new upload after the others ended stored %d bytes (%v) of %d; want all in memory", stored, err, each)
	}
}

// TestReadAcrossChunks: a file of many chunks reads back whole whether
// read on (each chunk's GET started while the one before is read),
// after seeks back and forth, or by ReadAt; closing in the middle of it
// lets go of the GET started ahead.
func TestReadAcrossChunks(t *testing.T) {
	w := newWhere(t)
	const chunk = 1000
	st := w.open(t, func(c *cloud.Config) { c.ChunkSize = chunk })
	ctx := t.Context()
	sp, err := st.CreateSpace(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	data := make([]byte, 10*chunk+321)
	for i := range data {
		data[i] = byte(rand.Uint32())
	}
	up, err := sp.TempUpload(ctx, "f")
	if err != nil {
		t.Fatal(err)
	}
	up.Write(data)
	if errs := st.Commit(ctx, []storage.Commit{{Upload: up}}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	f, err := sp.Open(ctx, "f")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(io.LimitReader(f, int64(len(data))))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read on: %d bytes (%v), not what was written", len(got), err)
	}
	rs := f.(io.ReadSeeker)
	for _, at := range []int64{5 * chunk, 3*chunk + 17, 3*chunk + 17, 9*chunk - 1, 0, 7 * chunk} {
		if _, err := rs.Seek(at, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		part := make([]byte, 1500)
		n, err := io.ReadFull(rs, part)
		if want := min(int64(len(part)), int64(len(data))-at); int64(n) != want || !bytes.Equal(part[:n], data[at:at+want]) {
			t.Fatalf("after a seek to %d: %d bytes (%v), not the file's", at, n, err)
		}
	}
	f.Close()
	g, err := sp.Open(ctx, "f")
	if err != nil {
		t.Fatal(err)
	}
	io.CopyN(io.Discard, g, 2*chunk+10) // a GET is under way for the fourth chunk
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
}
