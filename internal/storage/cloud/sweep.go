package cloud

import (
	"context"
	"time"
)

// sweeper runs Sweep every cfg.SweepEvery.
func (s *Store) sweeper() {
	t := time.NewTicker(s.cfg.SweepEvery)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		if n, err := s.Sweep(s.ctx); err != nil && s.ctx.Err() == nil {
			s.logger.Warn("sweeping the bucket", "err", err)
		} else if n > 0 {
			s.logger.Debug("swept the bucket", "objects", n)
		}
	}
}

// sweepBatch bounds the rows one round of Sweep takes, so each round's
// work and memory stay small whatever is waiting.
const sweepBatch = 500

// Sweep removes the objects of dropped blobs whose grace period is over,
// and objects a crash left without a chunk row, and reports how many
// objects it removed. Any number of servers may sweep at once: rows are
// claimed with SKIP LOCKED. It also deletes the rows of promises of room
// that lapsed (their server died).
func (s *Store) Sweep(ctx context.Context) (int, error) {
	if _, err := s.db.Exec(ctx, `DELETE FROM netdisk_reservations WHERE held_until < now()`); err != nil {
		return 0, err
	}
	removed := 0
	for {
		n, more, err := s.sweepBlobs(ctx)
		removed += n
		if err != nil {
			return removed, err
		}
		if !more {
			break
		}
	}
	for {
		n, more, err := s.sweepPending(ctx)
		removed += n
		if err != nil || !more {
			return removed, err
		}
	}
}

// sweepBlobs removes one batch of dropped blobs past their grace period.
func (s *Store) sweepBlobs(ctx context.Context) (int, bool, error) {
	tx, err := s.db.Begin(ctx)
	if err != nil {
		return 0, false, err
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `SELECT id FROM netdisk_blobs WHERE kind = 'dropped' AND purge_after <= now()
		ORDER BY purge_after LIMIT $1 FOR UPDATE SKIP LOCKED`, sweepBatch)
	if err != nil {
		return 0, false, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, false, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ids) == 0 {
		return 0, false, err
	}
	keys, err := column(ctx, tx, `SELECT key FROM netdisk_chunks WHERE blob = ANY($1)`, ids)
	if err != nil {
		return 0, false, err
	}
	if err := s.obj.remove(ctx, keys); err != nil {
		return 0, false, err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM netdisk_blobs WHERE id = ANY($1)`, ids); err != nil {
		return 0, false, err
	}
	return len(keys), len(ids) == sweepBatch, tx.Commit(ctx)
}

// sweepPending removes one batch of objects recorded as being written
// long ago and never taken by a chunk.
func (s *Store) sweepPending(ctx context.Context) (int, bool, error) {
	tx, err := s.db.Begin(ctx)
	if err != nil {
		return 0, false, err
	}
	defer tx.Rollback(ctx)
	keys, err := column(ctx, tx, `SELECT key FROM netdisk_pending WHERE since <= now() - $1::interval
		LIMIT $2 FOR UPDATE SKIP LOCKED`, pendingAge, sweepBatch)
	if err != nil || len(keys) == 0 {
		return 0, false, err
	}
	if err := s.obj.remove(ctx, keys); err != nil {
		return 0, false, err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM netdisk_pending WHERE key = ANY($1)`, keys); err != nil {
		return 0, false, err
	}
	return len(keys), len(keys) == sweepBatch, tx.Commit(ctx)
}

// column returns the one text column of a query's rows.
func column(ctx context.Context, q querier, sql string, args ...any) ([]string, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
