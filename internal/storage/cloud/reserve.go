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
func (sp *space) Reserve(ctx context.Context, need storage.Usage, fits func(total, reserved storage.Usage) error) (func(), error) {
	if err := sp.check(ctx, "reserve", ".", false); err != nil {
		return nil, err
	}
	var id int64
	err := sp.change(ctx, func(tx pgx.Tx) error {
		var used, reserved storage.Usage
		var uploads int64
		err := tx.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM netdisk_nodes WHERE space = $1 AND parent IS NOT NULL),
			(SELECT COALESCE(sum(size), 0) FROM netdisk_nodes WHERE space = $1 AND NOT dir)::bigint,
			(SELECT COALESCE(sum(size), 0) FROM netdisk_blobs WHERE space = $1 AND kind = 'upload')::bigint,
			(SELECT COALESCE(sum(bytes), 0) FROM netdisk_reservations WHERE space = $1 AND held_until > now())::bigint,
			(SELECT COALESCE(sum(entries), 0) FROM netdisk_reservations WHERE space = $1 AND held_until > now())::bigint`,
			sp.id).Scan(&used.Entries, &used.Bytes, &uploads, &reserved.Bytes, &reserved.Entries)
		if err != nil {
			return err
		}
		used.Bytes += uploads + sp.st.tailBytes(sp.id, 0)
		total := storage.Usage{Bytes: used.Bytes + reserved.Bytes, Entries: used.Entries + reserved.Entries}
		if err := fits(total, reserved); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO netdisk_reservations (space, bytes, entries, holder, held_until)
			VALUES ($1, $2, $3, $4, now() + $5::interval) RETURNING id`,
			sp.id, need.Bytes, need.Entries, sp.st.me, sp.st.cfg.Lease).Scan(&id)
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
