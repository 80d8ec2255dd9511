package sessions

import (
	"context"
	"fmt"
	"time"
)

// Failed-login counts shared by several servers. The service keeps its
// own limiter (which also holds back attempts in flight and queues them
// fairly); these counts are what each server tells the others, so that
// guesses spread over several servers meet one limit. Keys are the
// limiter's: "u:<user>" and "a:<address>".

// Blocked returns, for each of keys blocked until a time still to come,
// that time.
func (p *Postgres) Blocked(ctx context.Context, keys []string) (map[string]time.Time, error) {
	rows, err := p.db.Query(ctx, `SELECT key, blocked FROM netdisk_login_failures
		WHERE key = ANY($1) AND blocked > now()`, keys)
	if err != nil {
		return nil, fmt.Errorf("reading failed logins: %w", err)
	}
	defer rows.Close()
	out := make(map[string]time.Time)
	for rows.Next() {
		var key string
		var until time.Time
		if err := rows.Scan(&key, &until); err != nil {
			return nil, err
		}
		out[key] = until
	}
	return out, rows.Err()
}

// Failed counts one failure of each of keys, forgetting a key's failures
// when its last one is older than window, and returns each key's count.
func (p *Postgres) Failed(ctx context.Context, keys []string, window time.Duration) ([]int, error) {
	counts := make([]int, len(keys))
	for i, key := range keys {
		err := p.db.QueryRow(ctx, `INSERT INTO netdisk_login_failures (key, count, last) VALUES ($1, 1, now())
			ON CONFLICT (key) DO UPDATE SET
				count = CASE WHEN netdisk_login_failures.last < now() - $2::interval THEN 1 ELSE netdisk_login_failures.count + 1 END,
				last = now()
			RETURNING count`, key, window).Scan(&counts[i])
		if err != nil {
			return nil, fmt.Errorf("counting a failed login: %w", err)
		}
	}
	return counts, nil
}

// Block records that key is blocked until, unless it is blocked longer.
func (p *Postgres) Block(ctx context.Context, key string, until time.Time) error {
	_, err := p.db.Exec(ctx, `UPDATE netdisk_login_failures SET blocked = $2
		WHERE key = $1 AND (blocked IS NULL OR blocked < $2)`, key, until)
	if err != nil {
		return fmt.Errorf("blocking logins: %w", err)
	}
	return nil
}

// Clear forgets key's failures (a successful login).
func (p *Postgres) Clear(ctx context.Context, key string) error {
	if _, err := p.db.Exec(ctx, `DELETE FROM netdisk_login_failures WHERE key = $1`, key); err != nil {
		return fmt.Errorf("clearing failed logins: %w", err)
	}
	return nil
}

// purgeFailures removes counts whose window has long passed.
func (p *Postgres) purgeFailures(ctx context.Context) error {
	_, err := p.db.Exec(ctx, `DELETE FROM netdisk_login_failures
		WHERE last < now() - interval '1 day' AND (blocked IS NULL OR blocked < now())`)
	return err
}
