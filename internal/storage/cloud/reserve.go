package cloud

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"netdisk/internal/storage"
)

var _ storage.Reserving = (*space)(nil)

// Reserve checks need against the folder's usage and every live promise
// of any server, and records the promise, in one transaction that holds
// the lock on the user's tree: two servers can never both be promised the
// last of a quota. The promise is renewed with this store's leases and
// lapses if this server dies.
//
// An upload's promise counts only what the upload has not stored yet:
// its stored bytes count in the folder's usage already, and its bytes
// in memory (on whichever server) are still within the promise.
func (sp *space) Reserve(ctx context.Context, need storage.Usage, up storage.Upload, fits func(total, reserved storage.Usage) error) (func(), error) {
	if err := sp.check(ctx, "reserve", ".", false); err != nil {
		return nil, err
	}
	var blob *int64
	var base int64
	if u, ok := up.(*upload); ok && u.sp.st == sp.st {
		u.mu.Lock()
		blob, base = &u.blob, u.stored
		u.mu.Unlock()
	}
	var id int64
	err := sp.change(ctx, func(tx pgx.Tx) error {
		var used, reserved storage.Usage
		var uploads int64
		err := tx.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM netdisk_nodes WHERE space = $1 AND parent IS NOT NULL),
			(SELECT COALESCE(sum(size), 0) FROM netdisk_nodes WHERE space = $1 AND NOT dir)::bigint,
			(SELECT COALESCE(sum(size), 0) FROM netdisk_blobs WHERE space = $1 AND kind = 'upload')::bigint,
			(SELECT COALESCE(sum(GREATEST(r.bytes - COALESCE(b.size - r.base, 0), 0)), 0)
				FROM netdisk_reservations r LEFT JOIN netdisk_blobs b ON b.id = r.blob
				WHERE r.space = $1 AND r.held_until > now())::bigint,
			(SELECT COALESCE(sum(entries), 0) FROM netdisk_reservations WHERE space = $1 AND held_until > now())::bigint`,
			sp.id).Scan(&used.Entries, &used.Bytes, &uploads, &reserved.Bytes, &reserved.Entries)
		if err != nil {
			return err
		}
		used.Bytes += uploads
		total := storage.Usage{Bytes: used.Bytes + reserved.Bytes, Entries: used.Entries + reserved.Entries}
		if err := fits(total, reserved); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO netdisk_reservations (space, bytes, entries, blob, base, holder, held_until)
			VALUES ($1, $2, $3, $4, $5, $6, now() + $7::interval) RETURNING id`,
			sp.id, need.Bytes, need.Entries, blob, base, sp.st.me, sp.st.cfg.Lease).Scan(&id)
	})
	if err != nil {
		return nil, err
	}
	sp.st.mu.Lock()
	sp.st.promised[id] = true
	sp.st.mu.Unlock()
	return func() { sp.st.unpromise(id) }, nil
}

// unpromise removes a promise. If the database cannot be reached, the
// promise is no longer renewed and lapses with the lease.
func (s *Store) unpromise(id int64) {
	s.mu.Lock()
	live := s.promised[id]
	delete(s.promised, id)
	s.mu.Unlock()
	if !live {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.db.Exec(ctx, `DELETE FROM netdisk_reservations WHERE id = $1`, id); err != nil {
		s.logger.Warn("removing a promise of room; it lapses with its lease", "err", err)
	}
}
