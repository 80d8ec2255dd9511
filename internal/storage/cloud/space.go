package cloud

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"netdisk/internal/storage"
)

// querier is what both the pool and a transaction offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// space is one user's folder.
type space struct {
	st     *Store
	user   string
	id     int64
	root   int64
	closed atomic.Bool
}

var errClosed = errors.New("folder closed")

// MaxName is the longest name of a file or folder, in bytes: what the
// common file systems allow, so that any tree can be copied to a disk.
const MaxName = 255

// node is one row of the tree.
type node struct {
	id     int64
	dir    bool
	size   int64
	mtime  time.Time
	blob   int64 // 0 for a folder
	record []byte
}

func (n node) info(name string) storage.Info {
	return storage.Info{Name: name, IsDir: n.dir, Regular: !n.dir, Size: n.size, ModTime: n.mtime, ID: uint64(n.id)}
}

// split turns a checked path into its names; "." has none.
func split(name string) []string {
	if name == "." {
		return nil
	}
	return strings.Split(name, "/")
}

// walkSQL follows names ($2) down from the node $1 as far as they exist,
// in one statement, and returns the deepest node reached and its depth.
const walkSQL = `WITH RECURSIVE walk AS (
	SELECT id, dir, size, mtime, blob, record, 0 AS depth FROM netdisk_nodes WHERE id = $1
	UNION ALL
	SELECT c.id, c.dir, c.size, c.mtime, c.blob, c.record, w.depth + 1
	FROM walk w JOIN netdisk_nodes c ON c.parent = w.id AND c.name = ($2::text[])[w.depth + 1]
	WHERE w.dir AND w.depth < cardinality($2::text[])
)
SELECT id, dir, size, mtime, COALESCE(blob, 0), record, depth FROM walk ORDER BY depth DESC LIMIT 1`

// walk returns the deepest node of names that exists and how many names
// it took.
func (sp *space) walk(ctx context.Context, q querier, names []string) (node, int, error) {
	var n node
	var depth int
	if names == nil {
		names = []string{}
	}
	err := q.QueryRow(ctx, walkSQL, sp.root, names).Scan(&n.id, &n.dir, &n.size, &n.mtime, &n.blob, &n.record, &depth)
	return n, depth, err
}

// resolve returns the node at names: fs.ErrNotExist if it is missing,
// ErrNotDir if a file stands where a folder is needed on the way.
func (sp *space) resolve(ctx context.Context, q querier, names []string) (node, error) {
	n, depth, err := sp.walk(ctx, q, names)
	switch {
	case err != nil:
		return node{}, err
	case depth == len(names):
		return n, nil
	case !n.dir:
		return node{}, storage.ErrNotDir
	default:
		return node{}, fs.ErrNotExist
	}
}

// resolveDir is resolve for a folder: ErrNotDir if names is a file.
func (sp *space) resolveDir(ctx context.Context, q querier, names []string) (node, error) {
	n, err := sp.resolve(ctx, q, names)
	if err == nil && !n.dir {
		return node{}, storage.ErrNotDir
	}
	return n, err
}

// check refuses a bad path, an ended context and a closed folder.
func (sp *space) check(ctx context.Context, op, name string, entry bool) error {
	var err error
	if entry {
		err = storage.CheckEntry(ctx, op, name)
	} else {
		err = storage.CheckPath(ctx, op, name)
	}
	if err != nil {
		return err
	}
	for part := range strings.SplitSeq(name, "/") {
		if len(part) > MaxName {
			return storage.PathError(op, name, fmt.Errorf("%w: a name longer than %d bytes", storage.ErrInvalidPath, MaxName))
		}
	}
	if sp.closed.Load() {
		return storage.PathError(op, name, errClosed)
	}
	return nil
}

// change runs fn in a transaction that holds the lock on this user's
// tree.
func (sp *space) change(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, sp.st.db, func(tx pgx.Tx) error {
		if err := lockSpace(ctx, tx, sp.id); err != nil {
			return err
		}
		return fn(tx)
	})
}

func lockSpace(ctx context.Context, tx pgx.Tx, id int64) error {
	_, err := tx.Exec(ctx, `SELECT 1 FROM netdisk_spaces WHERE id = $1 FOR UPDATE`, id)
	return err
}

// touch sets a folder's modification time to now, as a change of its
// entries does on a disk.
func touch(ctx context.Context, q querier, dir int64) error {
	_, err := q.Exec(ctx, `UPDATE netdisk_nodes SET mtime = now() WHERE id = $1`, dir)
	return err
}

func (sp *space) Stat(ctx context.Context, name string) (storage.Info, error) {
	if err := sp.check(ctx, "stat", name, false); err != nil {
		return storage.Info{}, err
	}
	n, err := sp.resolve(ctx, sp.st.db, split(name))
	if err != nil {
		return storage.Info{}, storage.PathError("stat", name, err)
	}
	return n.info(name), nil
}

// List hands over the entries of dir by pages in name order: each page is
// one query from where the last ended, so a listing holds no database
// connection while fn runs.
func (sp *space) List(ctx context.Context, dir string, fn func(page []storage.Info) error) error {
	if err := sp.check(ctx, "list", dir, false); err != nil {
		return err
	}
	d, err := sp.resolveDir(ctx, sp.st.db, split(dir))
	if err != nil {
		return storage.PathError("list", dir, err)
	}
	after := ""
	page := make([]storage.Info, 0, storage.ListPage)
	for {
		page = page[:0]
		rows, err := sp.st.db.Query(ctx, `SELECT id, name, dir, size, mtime FROM netdisk_nodes
			WHERE parent = $1 AND name > $2 ORDER BY name LIMIT $3`, d.id, after, storage.ListPage)
		if err != nil {
			return storage.PathError("list", dir, err)
		}
		for rows.Next() {
			var n node
			var name string
			if err := rows.Scan(&n.id, &name, &n.dir, &n.size, &n.mtime); err != nil {
				rows.Close()
				return storage.PathError("list", dir, err)
			}
			page = append(page, n.info(name))
			after = name
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return storage.PathError("list", dir, err)
		}
		if len(page) == 0 {
			return nil
		}
		if err := fn(page); err != nil {
			return err
		}
		if len(page) < storage.ListPage {
			return nil
		}
	}
}

func (sp *space) Mkdir(ctx context.Context, name string) error {
	if err := sp.check(ctx, "mkdir", name, false); err != nil {
		return err
	}
	if name == "." {
		return storage.PathError("mkdir", name, fs.ErrExist)
	}
	names := split(name)
	err := sp.change(ctx, func(tx pgx.Tx) error {
		parent, err := sp.resolveDir(ctx, tx, names[:len(names)-1])
		if err != nil {
			return err
		}
		return mkdirIn(ctx, tx, sp.id, parent.id, names[len(names)-1])
	})
	if err != nil {
		return storage.PathError("mkdir", name, err)
	}
	return nil
}

// mkdirIn makes the folder name in parent: fs.ErrExist if the name is
// taken.
func mkdirIn(ctx context.Context, tx pgx.Tx, space, parent int64, name string) error {
	tag, err := tx.Exec(ctx, `INSERT INTO netdisk_nodes (space, parent, name, dir, mtime)
		VALUES ($1, $2, $3, true, now()) ON CONFLICT (parent, name) DO NOTHING`, space, parent, name)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fs.ErrExist
	}
	return touch(ctx, tx, parent)
}

func (sp *space) MkdirAll(ctx context.Context, name string) error {
	if err := sp.check(ctx, "mkdir", name, false); err != nil {
		return err
	}
	names := split(name)
	err := sp.change(ctx, func(tx pgx.Tx) error {
		n, depth, err := sp.walk(ctx, tx, names)
		if err != nil {
			return err
		}
		if !n.dir {
			if depth == len(names) {
				return fs.ErrExist
			}
			return storage.ErrNotDir
		}
		parent := n.id
		for _, part := range names[depth:] {
			if err := tx.QueryRow(ctx, `INSERT INTO netdisk_nodes (space, parent, name, dir, mtime)
				VALUES ($1, $2, $3, true, now()) RETURNING id`, sp.id, parent, part).Scan(&parent); err != nil {
				return err
			}
		}
		if depth < len(names) {
			return touch(ctx, tx, n.id)
		}
		return nil
	})
	if err != nil {
		return storage.PathError("mkdir", name, err)
	}
	return nil
}

func (sp *space) Remove(ctx context.Context, name string) error {
	return sp.remove(ctx, "remove", name, false)
}

func (sp *space) RemoveAll(ctx context.Context, name string) error {
	return sp.remove(ctx, "remove", name, true)
}

// subtreeSQL is the ids of node $1 and everything under it.
const subtreeSQL = `WITH RECURSIVE sub AS (
	SELECT id FROM netdisk_nodes WHERE id = $1
	UNION ALL
	SELECT c.id FROM sub JOIN netdisk_nodes c ON c.parent = sub.id
) `

func (sp *space) remove(ctx context.Context, op, name string, all bool) error {
	if err := sp.check(ctx, op, name, true); err != nil {
		return err
	}
	names := split(name)
	grace := sp.st.cfg.Grace
	err := sp.change(ctx, func(tx pgx.Tx) error {
		parent, err := sp.resolveDir(ctx, tx, names[:len(names)-1])
		if err != nil {
			return err
		}
		n, err := sp.resolve(ctx, tx, names)
		if err != nil {
			return err
		}
		if n.dir && !all {
			var children bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM netdisk_nodes WHERE parent = $1)`, n.id).Scan(&children); err != nil {
				return err
			}
			if children {
				return storage.ErrNotEmpty
			}
		}
		// The files' blobs are kept for the grace period (downloads under
		// way), then swept.
		if _, err := tx.Exec(ctx, subtreeSQL+`UPDATE netdisk_blobs SET kind = 'dropped', purge_after = now() + $2::interval
			WHERE id IN (SELECT n.blob FROM netdisk_nodes n JOIN sub ON n.id = sub.id WHERE n.blob IS NOT NULL)`, n.id, grace); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, subtreeSQL+`DELETE FROM netdisk_nodes WHERE id IN (SELECT id FROM sub)`, n.id); err != nil {
			return err
		}
		return touch(ctx, tx, parent.id)
	})
	if err != nil {
		return storage.PathError(op, name, err)
	}
	return nil
}

func (sp *space) Rename(ctx context.Context, from, to string) error {
	if err := sp.check(ctx, "rename", from, true); err != nil {
		return err
	}
	if err := sp.check(ctx, "rename", to, true); err != nil {
		return err
	}
	fromNames, toNames := split(from), split(to)
	err := sp.change(ctx, func(tx pgx.Tx) error {
		n, err := sp.resolve(ctx, tx, fromNames)
		if err != nil {
			return err
		}
		oldParent, err := sp.resolveDir(ctx, tx, fromNames[:len(fromNames)-1])
		if err != nil {
			return err
		}
		newParent, err := sp.resolveDir(ctx, tx, toNames[:len(toNames)-1])
		if err != nil {
			return err
		}
		if n.dir {
			// Is the new parent the folder itself or inside it?
			var inside bool
			err := tx.QueryRow(ctx, `WITH RECURSIVE up AS (
					SELECT id, parent FROM netdisk_nodes WHERE id = $1
					UNION ALL
					SELECT p.id, p.parent FROM up JOIN netdisk_nodes p ON p.id = up.parent
				) SELECT EXISTS (SELECT 1 FROM up WHERE id = $2)`, newParent.id, n.id).Scan(&inside)
			if err != nil {
				return err
			}
			if inside {
				return fmt.Errorf("%w: a folder cannot move into itself", storage.ErrInvalidPath)
			}
		}
		if _, err := sp.resolve(ctx, tx, toNames); err == nil {
			return fs.ErrExist
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE netdisk_nodes SET parent = $1, name = $2 WHERE id = $3`, newParent.id, toNames[len(toNames)-1], n.id)
		if isUnique(err) {
			return fs.ErrExist
		}
		if err != nil {
			return err
		}
		if err := touch(ctx, tx, oldParent.id); err != nil {
			return err
		}
		return touch(ctx, tx, newParent.id)
	})
	if err != nil {
		return storage.LinkError("rename", from, to, err)
	}
	return nil
}

func (sp *space) Usage(ctx context.Context) (storage.Usage, error) {
	if err := sp.check(ctx, "usage", ".", false); err != nil {
		return storage.Usage{}, err
	}
	var u storage.Usage
	var uploads int64
	err := sp.st.db.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM netdisk_nodes WHERE space = $1 AND parent IS NOT NULL),
		(SELECT COALESCE(sum(size), 0) FROM netdisk_nodes WHERE space = $1 AND NOT dir)::bigint,
		(SELECT COALESCE(sum(size), 0) FROM netdisk_blobs WHERE space = $1 AND kind = 'upload')::bigint`, sp.id).Scan(&u.Entries, &u.Bytes, &uploads)
	if err != nil {
		return storage.Usage{}, storage.PathError("usage", ".", err)
	}
	u.Bytes += uploads + sp.st.tailBytes(sp.id, 0)
	return u, nil
}

func (sp *space) Extent(ctx context.Context, dir string, stopDepth, stopLength int) (int, int, error) {
	if err := sp.check(ctx, "extent", dir, false); err != nil {
		return 0, 0, err
	}
	d, err := sp.resolveDir(ctx, sp.st.db, split(dir))
	if err != nil {
		return 0, 0, storage.PathError("extent", dir, err)
	}
	var depth, length int
	err = sp.st.db.QueryRow(ctx, `WITH RECURSIVE t AS (
			SELECT id, 1 AS depth, octet_length(name) AS len FROM netdisk_nodes WHERE parent = $1
			UNION ALL
			SELECT c.id, t.depth + 1, t.len + 1 + octet_length(c.name)
			FROM t JOIN netdisk_nodes c ON c.parent = t.id
			WHERE t.depth <= $2 OR t.len <= $3
		) SELECT COALESCE(max(depth), 0), COALESCE(max(len), 0) FROM t`, d.id, stopDepth, stopLength).Scan(&depth, &length)
	if err != nil {
		return 0, 0, storage.PathError("extent", dir, err)
	}
	return depth, length, nil
}

func (sp *space) Close() error {
	sp.closed.Store(true)
	return nil
}
