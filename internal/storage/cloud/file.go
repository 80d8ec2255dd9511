package cloud

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"

	"netdisk/internal/storage"
)

// chunk is one object of a blob.
type chunk struct {
	off, size int64
	key       string
}

// chunksOf returns the chunks of blob in order.
func chunksOf(ctx context.Context, q querier, blob int64) ([]chunk, error) {
	rows, err := q.Query(ctx, `SELECT off, size, key FROM netdisk_chunks WHERE blob = $1 ORDER BY off`, blob)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []chunk
	for rows.Next() {
		var c chunk
		if err := rows.Scan(&c.off, &c.size, &c.key); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// find returns the index of the chunk holding byte off, or len(chunks).
func find(chunks []chunk, off int64) int {
	return sort.Search(len(chunks), func(i int) bool { return chunks[i].off+chunks[i].size > off })
}

// readChunks reads len(p) bytes (or to the end of the chunks) at off.
func readChunks(ctx context.Context, o objects, chunks []chunk, p []byte, off int64) (int, error) {
	done := 0
	for i := find(chunks, off); done < len(p) && i < len(chunks); i++ {
		c := chunks[i]
		at := off + int64(done) - c.off
		n := min(int64(len(p)-done), c.size-at)
		body, err := o.get(ctx, c.key, at, n)
		if err != nil {
			return done, err
		}
		m, err := io.ReadFull(body, p[done:done+int(n)])
		body.Close()
		done += m
		if err != nil {
			return done, fmt.Errorf("reading an object: %w", err)
		}
	}
	return done, nil
}

// file is an open file: the version (blob) that was current when opened,
// which stays readable for the grace period whatever replaces it.
type file struct {
	sp     *space
	n      node
	name   string
	chunks []chunk
	off    int64

	// body streams the chunk being read sequentially, from bodyAt.
	body   io.ReadCloser
	bodyAt int64
	bodyTo int64 // where the body ends
	// ahead is the GET of the next chunk, started when this one was
	// opened, so that reading on does not wait for its first byte.
	ahead  *ahead
	closed bool
}

// ahead is a chunk's GET under way.
type ahead struct {
	at   int64 // the chunk's offset in the file
	done chan struct{}
	body io.ReadCloser
	err  error
}

// startAhead starts the GET of chunk i, whole.
func (f *file) startAhead(i int) {
	c := f.chunks[i]
	a := &ahead{at: c.off, done: make(chan struct{})}
	go func() {
		defer close(a.done)
		a.body, a.err = f.sp.st.obj.get(context.Background(), c.key, 0, c.size)
	}()
	f.ahead = a
}

// dropAhead waits for the GET under way, if any, and lets go of it.
func (f *file) dropAhead() {
	if a := f.ahead; a != nil {
		f.ahead = nil
		<-a.done
		if a.body != nil {
			a.body.Close()
		}
	}
}

func (sp *space) Open(ctx context.Context, name string) (storage.File, error) {
	if err := sp.check(ctx, "open", name, false); err != nil {
		return nil, err
	}
	n, err := sp.resolve(ctx, sp.st.db, split(name))
	if err == nil && n.dir {
		err = storage.ErrIsDir
	}
	if err != nil {
		return nil, storage.PathError("open", name, err)
	}
	chunks, err := chunksOf(ctx, sp.st.db, n.blob)
	if err != nil {
		return nil, storage.PathError("open", name, err)
	}
	return &file{sp: sp, n: n, name: name, chunks: chunks}, nil
}

func (f *file) Info() storage.Info { return f.n.info(f.name) }

func (f *file) Record() ([]byte, bool) { return f.n.record, f.n.record != nil }

// SetRecord keeps record with this version, if it is still the file's.
func (f *file) SetRecord(record []byte) error {
	if len(record) > storage.MaxRecord {
		return fmt.Errorf("record of %d bytes: at most %d", len(record), storage.MaxRecord)
	}
	tag, err := f.sp.st.db.Exec(context.Background(), `UPDATE netdisk_nodes SET record = $1 WHERE id = $2 AND blob = $3`, record, f.n.id, f.n.blob)
	if err == nil && tag.RowsAffected() == 1 {
		f.n.record = slices.Clone(record)
	}
	return err
}

func (f *file) ReadAt(p []byte, off int64) (int, error) {
	if f.closed {
		return 0, errors.New("file closed")
	}
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= f.n.size {
		return 0, io.EOF
	}
	want := min(int64(len(p)), f.n.size-off)
	n, err := readChunks(context.Background(), f.sp.st.obj, f.chunks, p[:want], off)
	if err == nil && n < len(p) {
		err = io.EOF
	}
	return n, err
}

func (f *file) Read(p []byte) (int, error) {
	if f.closed {
		return 0, errors.New("file closed")
	}
	if f.off >= f.n.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if f.body == nil || f.bodyAt != f.off || f.bodyAt >= f.bodyTo {
		if err := f.openBody(); err != nil {
			return 0, err
		}
	}
	n, err := f.body.Read(p[:min(int64(len(p)), f.bodyTo-f.bodyAt)])
	f.off += int64(n)
	f.bodyAt += int64(n)
	if errors.Is(err, io.EOF) {
		err = nil
		if n == 0 {
			err = io.ErrUnexpectedEOF
		}
	}
	return n, err
}

// openBody starts streaming the chunk that holds f.off, from there to its
// end (the GET started ahead of it, if the read went on where the last
// chunk ended), and starts the GET of the chunk after it.
func (f *file) openBody() error {
	f.dropBody()
	i := find(f.chunks, f.off)
	if i == len(f.chunks) {
		return io.ErrUnexpectedEOF
	}
	c := f.chunks[i]
	var body io.ReadCloser
	var err error
	if a := f.ahead; a != nil && a.at == f.off {
		f.ahead = nil
		<-a.done
		body, err = a.body, a.err
	} else {
		f.dropAhead()
		body, err = f.sp.st.obj.get(context.Background(), c.key, f.off-c.off, c.off+c.size-f.off)
	}
	if err != nil {
		return err
	}
	f.body, f.bodyAt, f.bodyTo = body, f.off, c.off+c.size
	if i+1 < len(f.chunks) {
		f.startAhead(i + 1)
	}
	return nil
}

func (f *file) dropBody() {
	if f.body != nil {
		f.body.Close()
		f.body = nil
	}
}

func (f *file) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += f.off
	case io.SeekEnd:
		offset += f.n.size
	default:
		return 0, errors.New("bad whence")
	}
	if offset < 0 {
		return 0, errors.New("negative offset")
	}
	f.off = offset
	return offset, nil
}

// WriteTo writes the rest of the file, from the current offset, to w: one
// streamed GET per chunk, the next one started ahead.
func (f *file) WriteTo(w io.Writer) (int64, error) {
	var done int64
	buf := make([]byte, 64<<10)
	for f.off < f.n.size {
		n, err := f.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			done += int64(m)
			if werr != nil {
				return done, werr
			}
		}
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

func (f *file) Close() error {
	f.dropBody()
	f.dropAhead()
	f.closed = true
	return nil
}
