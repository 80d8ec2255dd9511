package cloud

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"netdisk/internal/storage"
)

var errReleased = errors.New("upload already committed, closed or discarded")

// errLost is what a write or commit of an upload meets when another
// server took the upload over (its holder stopped renewing the lease).
var errLost = fmt.Errorf("%w: the upload was taken over", storage.ErrBusy)

// upload is a blob being written.
type upload struct {
	sp        *space
	ctx       context.Context
	blob      int64
	target    string
	resumable bool

	// mu guards chunks, stored and the length of buf: the service may
	// read back what was written (ReadAt) while more is being written.
	mu      sync.Mutex
	chunks  []chunk // stored already
	granted int     // the most bytes buf may hold (bufferPool); 0 until the first write
	stored  int64   // bytes in chunks
	buf     []byte  // the bytes after them, not stored yet
	state   []byte  // the state kept with the stored bytes, if it still holds
	newSt   []byte  // what SetState gave, for Close
	stSet   bool
	changed bool // bytes written or cut since opened
	done    bool
}

var _ io.ReaderFrom = (*upload)(nil)

// OpenUpload opens the resumable upload of target: held by this store
// until released, unless another store holds it (ErrBusy).
func (sp *space) OpenUpload(ctx context.Context, target string) (storage.Upload, error) {
	if err := sp.check(ctx, "open upload", target, true); err != nil {
		return nil, err
	}
	st := sp.st
	u := &upload{sp: sp, ctx: context.WithoutCancel(ctx), target: target, resumable: true}
	err := pgx.BeginFunc(ctx, st.db, func(tx pgx.Tx) error {
		var held bool
		var state []byte
		var stateSize *int64
		err := tx.QueryRow(ctx, `SELECT id, size, state, state_size, holder IS NOT NULL AND held_until > now()
			FROM netdisk_blobs WHERE space = $1 AND target = $2 AND kind = 'upload' AND resumable FOR UPDATE`,
			sp.id, target).Scan(&u.blob, &u.stored, &state, &stateSize, &held)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			err = tx.QueryRow(ctx, `INSERT INTO netdisk_blobs (space, kind, target, resumable, holder, held_until)
				VALUES ($1, 'upload', $2, true, $3, now() + $4::interval) RETURNING id`, sp.id, target, st.me, st.cfg.Lease).Scan(&u.blob)
			if isUnique(err) {
				return storage.ErrBusy // opened elsewhere this instant
			}
			return err
		case err != nil:
			return err
		case held:
			return storage.ErrBusy
		}
		if stateSize != nil && *stateSize == u.stored {
			u.state = state
		}
		if _, err := tx.Exec(ctx, `UPDATE netdisk_blobs SET holder = $1, held_until = now() + $2::interval WHERE id = $3`, st.me, st.cfg.Lease, u.blob); err != nil {
			return err
		}
		u.chunks, err = chunksOf(ctx, tx, u.blob)
		return err
	})
	if err != nil {
		return nil, storage.PathError("open upload", target, err)
	}
	st.hold(u.blob)
	return u, nil
}

// TempUpload starts an upload that cannot be resumed.
func (sp *space) TempUpload(ctx context.Context, target string) (storage.Upload, error) {
	if err := sp.check(ctx, "open upload", target, true); err != nil {
		return nil, err
	}
	st := sp.st
	u := &upload{sp: sp, ctx: context.WithoutCancel(ctx), target: target}
	err := st.db.QueryRow(ctx, `INSERT INTO netdisk_blobs (space, kind, target, holder, held_until)
		VALUES ($1, 'upload', $2, $3, now() + $4::interval) RETURNING id`, sp.id, target, st.me, st.cfg.Lease).Scan(&u.blob)
	if err != nil {
		return nil, storage.PathError("open upload", target, err)
	}
	st.hold(u.blob)
	return u, nil
}

func (u *upload) Target() string { return u.target }

func (u *upload) Size() int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.stored + int64(len(u.buf))
}

func (u *upload) State() []byte { return u.state }

func (u *upload) SetState(state []byte) {
	if len(state) <= storage.MaxState {
		u.newSt, u.stSet = slices.Clone(state), true
	}
}

func (u *upload) Write(p []byte) (int, error) {
	if u.done {
		return 0, errReleased
	}
	done := 0
	for done < len(p) {
		size := u.allowance()
		if len(u.buf) >= size { // a Truncate may bring back more than the allowance
			if err := u.flush(); err != nil {
				return done, err
			}
		}
		u.mu.Lock()
		n := min(len(p)-done, size-len(u.buf))
		if len(u.buf)+n > cap(u.buf) {
			// Grow by doubling, never past the allowance: small files
			// keep small buffers.
			grown := make([]byte, len(u.buf), min(size, max(2*cap(u.buf), len(u.buf)+n, 64<<10)))
			copy(grown, u.buf)
			u.buf = grown
		}
		u.buf = append(u.buf, p[done:done+n]...)
		full := len(u.buf) == size
		u.mu.Unlock()
		u.sp.st.addTail(u.blob, u.sp.id, int64(n))
		done += n
		u.changed = true
		u.state = nil
		if full {
			if err := u.flush(); err != nil {
				return done, err
			}
		}
	}
	return done, nil
}

// ReadFrom appends what r holds, a chunk's worth at a time.
func (u *upload) ReadFrom(r io.Reader) (int64, error) {
	if u.done {
		return 0, errReleased
	}
	var done int64
	for {
		size := u.allowance()
		if len(u.buf) >= size { // a Truncate may bring back more than the allowance
			if err := u.flush(); err != nil {
				return done, err
			}
		}
		u.mu.Lock()
		if cap(u.buf) < size {
			u.buf = append(make([]byte, 0, size), u.buf...)
		}
		free := u.buf[len(u.buf):size] // nobody reads there meanwhile
		u.mu.Unlock()
		n, err := r.Read(free)
		if n > 0 {
			u.mu.Lock()
			u.buf = u.buf[:len(u.buf)+n]
			full := len(u.buf) == size
			u.mu.Unlock()
			u.sp.st.addTail(u.blob, u.sp.id, int64(n))
			done += int64(n)
			u.changed = true
			u.state = nil
			if full {
				if ferr := u.flush(); ferr != nil {
					return done, ferr
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return done, nil
		}
		if err != nil {
			return done, err
		}
	}
}

// flush stores the bytes in memory as the next chunk.
func (u *upload) flush() error {
	if len(u.buf) == 0 {
		return nil
	}
	st := u.sp.st
	ctx := u.ctx
	c := chunk{off: u.stored, size: int64(len(u.buf)), key: fmt.Sprintf("c/%d/%d-%s", u.blob, u.stored, randomName())}
	if _, err := st.db.Exec(ctx, `INSERT INTO netdisk_pending (key) VALUES ($1)`, c.key); err != nil {
		return err
	}
	if err := st.obj.put(ctx, c.key, u.buf); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, st.db, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE netdisk_blobs SET size = $1, updated = now(), held_until = now() + $2::interval
			WHERE id = $3 AND holder = $4`, c.off+c.size, st.cfg.Lease, u.blob, st.me)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errLost
		}
		if _, err := tx.Exec(ctx, `INSERT INTO netdisk_chunks (blob, off, size, key) VALUES ($1, $2, $3, $4)`, u.blob, c.off, c.size, c.key); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM netdisk_pending WHERE key = $1`, c.key)
		return err
	})
	if err != nil {
		return err
	}
	st.addTail(u.blob, u.sp.id, -c.size)
	u.mu.Lock()
	u.chunks = append(u.chunks, c)
	u.stored += c.size
	u.buf = u.buf[:0]
	u.mu.Unlock()
	if u.granted < st.cfg.ChunkSize {
		// A small allowance is given back at each chunk, and a new one
		// taken at the next write: the pool may have room again.
		u.dropBuffer()
	}
	return nil
}

func (u *upload) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	u.mu.Lock()
	chunks, stored := u.chunks, u.stored
	done := 0
	if off+int64(len(p)) > stored { // the part in memory, copied under the lock
		start := max(off, stored)
		if at := start - stored; at < int64(len(u.buf)) {
			copy(p[start-off:], u.buf[at:])
		}
	}
	held := stored + int64(len(u.buf))
	u.mu.Unlock()
	if off < stored {
		want := min(int64(len(p)), stored-off)
		n, err := readChunks(u.ctx, u.sp.st.obj, chunks, p[:want], off)
		if err != nil {
			return n, err
		}
	}
	done = int(max(0, min(int64(len(p)), held-off)))
	if done < len(p) {
		return done, io.EOF
	}
	return done, nil
}

// Truncate cuts the upload to size: the chunks past it go, and the part
// of the chunk it falls in comes back into memory.
func (u *upload) Truncate(size int64) error {
	if u.done {
		return errReleased
	}
	if size < 0 || size > u.Size() {
		return fmt.Errorf("truncating an upload of %d bytes to %d", u.Size(), size)
	}
	u.state, u.changed = nil, true
	st := u.sp.st
	if size >= u.stored {
		st.addTail(u.blob, u.sp.id, size-u.Size())
		u.mu.Lock()
		u.buf = u.buf[:size-u.stored]
		u.mu.Unlock()
		return nil
	}
	i := find(u.chunks, size)
	keep := u.chunks[i].off
	head := make([]byte, size-keep, max(size-keep, int64(u.allowance())))
	if _, err := readChunks(u.ctx, st.obj, u.chunks, head, keep); err != nil {
		return err
	}
	gone := u.chunks[i:]
	err := pgx.BeginFunc(u.ctx, st.db, func(tx pgx.Tx) error {
		tag, err := tx.Exec(u.ctx, `UPDATE netdisk_blobs SET size = $1, updated = now(), state = NULL, state_size = NULL
			WHERE id = $2 AND holder = $3`, keep, u.blob, st.me)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errLost
		}
		for _, c := range gone {
			// The cut objects go with the next sweep, as leftovers.
			if _, err := tx.Exec(u.ctx, `INSERT INTO netdisk_pending (key, since) VALUES ($1, now() - $2::interval)`, c.key, pendingAge); err != nil {
				return err
			}
		}
		_, err = tx.Exec(u.ctx, `DELETE FROM netdisk_chunks WHERE blob = $1 AND off >= $2`, u.blob, keep)
		return err
	})
	if err != nil {
		return err
	}
	st.addTail(u.blob, u.sp.id, int64(len(head))-int64(len(u.buf)))
	u.mu.Lock()
	u.chunks, u.stored, u.buf = u.chunks[:i], keep, head
	u.mu.Unlock()
	return nil
}

// Close keeps a resumable upload (what is in memory is stored first) and
// drops a temporary one.
func (u *upload) Close() error {
	if u.done {
		return nil
	}
	if !u.resumable {
		return u.Discard()
	}
	st := u.sp.st
	u.done = true
	defer st.release(u.blob)
	defer u.dropBuffer()
	if err := u.flush(); err != nil {
		st.db.Exec(u.ctx, `UPDATE netdisk_blobs SET holder = NULL WHERE id = $1 AND holder = $2`, u.blob, st.me)
		return err
	}
	var err error
	switch {
	case u.stSet:
		_, err = st.db.Exec(u.ctx, `UPDATE netdisk_blobs SET holder = NULL, updated = now(), state = $1, state_size = $2
			WHERE id = $3 AND holder = $4`, u.newSt, u.stored, u.blob, st.me)
	case u.changed:
		_, err = st.db.Exec(u.ctx, `UPDATE netdisk_blobs SET holder = NULL, updated = now(), state = NULL, state_size = NULL
			WHERE id = $1 AND holder = $2`, u.blob, st.me)
	default:
		_, err = st.db.Exec(u.ctx, `UPDATE netdisk_blobs SET holder = NULL, updated = now() WHERE id = $1 AND holder = $2`, u.blob, st.me)
	}
	return err
}

// Discard drops the upload; its objects go at the next sweep.
func (u *upload) Discard() error {
	if u.done {
		return nil
	}
	u.done = true
	st := u.sp.st
	defer st.release(u.blob)
	defer u.dropBuffer()
	_, err := st.db.Exec(u.ctx, `UPDATE netdisk_blobs SET kind = 'dropped', purge_after = now(), holder = NULL
		WHERE id = $1 AND holder = $2`, u.blob, st.me)
	return err
}

func (sp *space) Uploads(ctx context.Context) ([]storage.UploadInfo, error) {
	if err := sp.check(ctx, "list uploads", ".", false); err != nil {
		return nil, err
	}
	rows, err := sp.st.db.Query(ctx, `SELECT id, target, size, updated FROM netdisk_blobs
		WHERE space = $1 AND kind = 'upload' AND resumable ORDER BY target`, sp.id)
	if err != nil {
		return nil, storage.PathError("list uploads", ".", err)
	}
	defer rows.Close()
	var out []storage.UploadInfo
	for rows.Next() {
		var id int64
		var u storage.UploadInfo
		if err := rows.Scan(&id, &u.Target, &u.Size, &u.Updated); err != nil {
			return nil, storage.PathError("list uploads", ".", err)
		}
		u.Size += sp.st.tailBytes(sp.id, id)
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, storage.PathError("list uploads", ".", err)
	}
	return out, nil
}

func (sp *space) DiscardUpload(ctx context.Context, target string) error {
	if err := sp.check(ctx, "discard upload", target, true); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, sp.st.db, func(tx pgx.Tx) error {
		var id int64
		var held bool
		err := tx.QueryRow(ctx, `SELECT id, holder IS NOT NULL AND held_until > now() FROM netdisk_blobs
			WHERE space = $1 AND target = $2 AND kind = 'upload' AND resumable FOR UPDATE`, sp.id, target).Scan(&id, &held)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return fs.ErrNotExist
		case err != nil:
			return err
		case held:
			return storage.ErrBusy
		}
		_, err = tx.Exec(ctx, `UPDATE netdisk_blobs SET kind = 'dropped', purge_after = now() WHERE id = $1`, id)
		return err
	})
	if err != nil {
		return storage.PathError("discard upload", target, err)
	}
	return nil
}

// Commit makes each upload its target's new version. The uploads' last
// bytes are stored first; then one transaction (a savepoint each) points
// the targets at them, so the batch costs one durable write of the
// database.
func (s *Store) Commit(ctx context.Context, commits []storage.Commit) []error {
	errs := make([]error, len(commits))
	ups := make([]*upload, len(commits))
	var todo []int
	for i, c := range commits {
		u, ok := c.Upload.(*upload)
		switch {
		case !ok || u.sp.st != s:
			errs[i] = errors.New("commit: an upload of another store")
		case u.done:
			errs[i] = storage.PathError("commit", u.target, errReleased)
		case len(c.Record) > storage.MaxRecord:
			errs[i] = storage.PathError("commit", u.target, fmt.Errorf("record of %d bytes", len(c.Record)))
		default:
			if err := ctx.Err(); err != nil {
				errs[i] = err
			} else if err := u.flush(); err != nil {
				errs[i] = storage.PathError("commit", u.target, err)
			} else {
				ups[i] = u
				todo = append(todo, i)
			}
		}
	}
	if len(todo) == 0 {
		return errs
	}
	// Lock the users' trees in one order, so two batches cannot deadlock.
	slices.SortStableFunc(todo, func(a, b int) int { return cmp.Compare(ups[a].sp.id, ups[b].sp.id) })
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		locked := int64(0)
		for _, i := range todo {
			u := ups[i]
			if u.sp.id != locked {
				if err := lockSpace(ctx, tx, u.sp.id); err != nil {
					return err
				}
				locked = u.sp.id
			}
			sub, err := tx.Begin(ctx)
			if err != nil {
				return err
			}
			if err := s.commitOne(ctx, sub, u, commits[i]); err != nil {
				if rerr := sub.Rollback(ctx); rerr != nil {
					return rerr
				}
				errs[i] = storage.PathError("commit", u.target, err)
				continue
			}
			if err := sub.Commit(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	for _, i := range todo {
		switch {
		case err != nil:
			errs[i] = storage.PathError("commit", ups[i].target, err)
		case errs[i] == nil:
			ups[i].done = true
			ups[i].dropBuffer()
			s.release(ups[i].blob)
		}
	}
	return errs
}

// commitOne points the target of u at u's blob, in tx.
func (s *Store) commitOne(ctx context.Context, tx pgx.Tx, u *upload, c storage.Commit) error {
	names := split(u.target)
	parent, err := u.sp.resolveDir(ctx, tx, names[:len(names)-1])
	if err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `UPDATE netdisk_blobs SET kind = 'file', target = NULL, resumable = false, holder = NULL,
		state = NULL, state_size = NULL WHERE id = $1 AND holder = $2 AND kind = 'upload'`, u.blob, s.me)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return errLost
	}
	mtime := c.MTime
	if mtime.IsZero() {
		mtime = time.Now()
	}
	name := path.Base(u.target)
	var old struct {
		id   int64
		dir  bool
		blob *int64
	}
	err = tx.QueryRow(ctx, `SELECT id, dir, blob FROM netdisk_nodes WHERE parent = $1 AND name = $2`, parent.id, name).Scan(&old.id, &old.dir, &old.blob)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		_, err = tx.Exec(ctx, `INSERT INTO netdisk_nodes (space, parent, name, dir, size, mtime, blob, record)
			VALUES ($1, $2, $3, false, $4, $5, $6, $7)`, u.sp.id, parent.id, name, u.stored, mtime, u.blob, c.Record)
		if err != nil {
			return err
		}
		return touch(ctx, tx, parent.id)
	case err != nil:
		return err
	case old.dir:
		return storage.ErrIsDir
	}
	if old.blob != nil {
		if _, err := tx.Exec(ctx, `UPDATE netdisk_blobs SET kind = 'dropped', purge_after = now() + $1::interval WHERE id = $2`, s.cfg.Grace, *old.blob); err != nil {
			return err
		}
	}
	_, err = tx.Exec(ctx, `UPDATE netdisk_nodes SET size = $1, mtime = $2, blob = $3, record = $4 WHERE id = $5`, u.stored, mtime, u.blob, c.Record, old.id)
	return err
}
