package sessions

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed schema.sql
var schema string

// schemaLock is the advisory lock that serializes creating the schema, so
// that servers started together do not race on CREATE TABLE IF NOT EXISTS.
const schemaLock = 7463268

// PurgeEvery is how often a Postgres store removes expired sessions.
const PurgeEvery = 10 * time.Minute

// Postgres is the Store that several servers share: the sessions are rows
// of a PostgreSQL table, so each request's check sees a password change
// or a kick made through any server at once.
type Postgres struct {
	db     *pgxpool.Pool
	logger *slog.Logger
	stop   context.CancelFunc
	wg     sync.WaitGroup
	names  chan struct{} // a place for each name held at once (LockName)
}

var _ Store = (*Postgres)(nil)

// OpenPostgres creates what is missing of the schema in db and returns
// the store. It removes expired sessions every PurgeEvery until Close.
func OpenPostgres(ctx context.Context, db *pgxpool.Pool, logger *slog.Logger) (*Postgres, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", schemaLock); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, schema)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("creating the sessions tables: %w", err)
	}
	bg, stop := context.WithCancel(context.Background())
	p := &Postgres{db: db, logger: logger, stop: stop, names: make(chan struct{}, max(1, db.Config().MaxConns/4))}
	p.wg.Go(func() { p.purgeLoop(bg) })
	return p, nil
}

func (p *Postgres) Generation(ctx context.Context, user string) (uint64, error) {
	var gen int64
	err := p.db.QueryRow(ctx, "SELECT gen FROM netdisk_session_ends WHERE username = $1", user).Scan(&gen)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading sessions: %w", err)
	}
	return uint64(gen), nil
}

func (p *Postgres) Create(ctx context.Context, s Session, gen uint64) (bool, error) {
	created := false
	err := pgx.BeginFunc(ctx, p.db, func(tx pgx.Tx) error {
		// The user's row is locked until commit, so an EndUser either
		// comes before (and the generation differs) or waits and then
		// ends this session too.
		if _, err := tx.Exec(ctx, "INSERT INTO netdisk_session_ends (username, gen) VALUES ($1, 0) ON CONFLICT DO NOTHING", s.User); err != nil {
			return err
		}
		var now int64
		if err := tx.QueryRow(ctx, "SELECT gen FROM netdisk_session_ends WHERE username = $1 FOR UPDATE", s.User).Scan(&now); err != nil {
			return err
		}
		if uint64(now) != gen {
			return nil
		}
		_, err := tx.Exec(ctx, `INSERT INTO netdisk_sessions (key, username, account, created, expires, last_used, door, addr)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			s.Key, s.User, s.Account, s.Created, s.Expires, nullTime(s.LastUsed), s.Door, s.Addr)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM netdisk_sessions WHERE key IN (
			SELECT key FROM netdisk_sessions WHERE username = $1 ORDER BY created DESC, key OFFSET $2)`, s.User, MaxPerUser)
		created = err == nil
		return err
	})
	if err != nil {
		return false, fmt.Errorf("saving a session: %w", err)
	}
	return created, nil
}

// Use reads the session and, at most every TouchEvery, writes its
// LastUsed in the same statement; a read alone writes nothing.
func (p *Postgres) Use(ctx context.Context, key string) (Session, bool, error) {
	rows, err := p.db.Query(ctx, `WITH touched AS (
			UPDATE netdisk_sessions SET last_used = now()
			WHERE key = $1 AND expires > now() AND (last_used IS NULL OR last_used < now() - $2::interval)
			RETURNING key, username, account, created, expires, last_used, door, addr)
		SELECT * FROM touched
		UNION ALL
		SELECT key, username, account, created, expires, last_used, door, addr FROM netdisk_sessions
		WHERE key = $1 AND expires > now() AND NOT EXISTS (SELECT FROM touched)`,
		key, TouchEvery.String())
	if err != nil {
		return Session{}, false, fmt.Errorf("reading a session: %w", err)
	}
	list, err := collect(rows)
	if err != nil || len(list) == 0 {
		return Session{}, false, err
	}
	return list[0], true, nil
}

func (p *Postgres) List(ctx context.Context, user string) ([]Session, error) {
	rows, err := p.db.Query(ctx, `SELECT key, username, account, created, expires, last_used, door, addr
		FROM netdisk_sessions WHERE ($1 = '' OR username = $1) AND expires > now()`, user)
	if err != nil {
		return nil, fmt.Errorf("listing sessions: %w", err)
	}
	list, err := collect(rows)
	sortSessions(list)
	return list, err
}

func (p *Postgres) End(ctx context.Context, key string) error {
	if _, err := p.db.Exec(ctx, "DELETE FROM netdisk_sessions WHERE key = $1", key); err != nil {
		return fmt.Errorf("ending a session: %w", err)
	}
	return nil
}

func (p *Postgres) EndUser(ctx context.Context, user string) (int, error) {
	var ended int64
	err := pgx.BeginFunc(ctx, p.db, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO netdisk_session_ends (username, gen) VALUES ($1, 1)
			ON CONFLICT (username) DO UPDATE SET gen = netdisk_session_ends.gen + 1`, user)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, "DELETE FROM netdisk_sessions WHERE username = $1", user)
		ended = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("ending the sessions of %s: %w", user, err)
	}
	return int(ended), nil
}

// Purge removes the sessions that have expired.
func (p *Postgres) Purge(ctx context.Context) (int, error) {
	tag, err := p.db.Exec(ctx, "DELETE FROM netdisk_sessions WHERE expires <= now()")
	if err != nil {
		return 0, fmt.Errorf("removing expired sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

func (p *Postgres) purgeLoop(ctx context.Context) {
	tick := time.NewTicker(PurgeEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if _, err := p.Purge(ctx); err != nil && ctx.Err() == nil {
			p.logger.Error("removing expired sessions", "err", err)
		}
		if err := p.purgeFailures(ctx); err != nil && ctx.Err() == nil {
			p.logger.Error("removing old counts of failed logins", "err", err)
		}
	}
}

// Close stops the purging; the pool stays open.
func (p *Postgres) Close(ctx context.Context) error {
	p.stop()
	p.wg.Wait()
	return nil
}

// collect reads rows of sessions.
func collect(rows pgx.Rows) ([]Session, error) {
	var out []Session
	for rows.Next() {
		var s Session
		var used *time.Time
		if err := rows.Scan(&s.Key, &s.User, &s.Account, &s.Created, &s.Expires, &used, &s.Door, &s.Addr); err != nil {
			rows.Close()
			return nil, err
		}
		s.Created, s.Expires = s.Created.UTC(), s.Expires.UTC()
		if used != nil {
			s.LastUsed = used.UTC()
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading sessions: %w", err)
	}
	return out, nil
}

// nullTime is t, or NULL for the zero time.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
