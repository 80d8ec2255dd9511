package sessions

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"
)

// LockName waits until no server holds name (an account name being
// registered or removed), or ctx ends, and takes it: a PostgreSQL
// advisory lock on a connection of its own, which goes with the
// connection if this server dies holding it.
//
// Each name held keeps a connection of the pool until unlock; what runs
// under it needs connections too (users.xlsx's lock, the folder's
// transaction). So at most a quarter of the pool's connections are held
// for names at once, and more registrations wait their turn here rather
// than starve the pool.
func (p *Postgres) LockName(ctx context.Context, name string) (func(), error) {
	select {
	case p.names <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	unlock, err := p.lockName(ctx, name)
	if err != nil {
		<-p.names
		return nil, err
	}
	return func() { unlock(); <-p.names }, nil
}

func (p *Postgres) lockName(ctx context.Context, name string) (func(), error) {
	h := fnv.New64a()
	fmt.Fprintf(h, "netdisk account name\x00%s", name)
	key := int64(h.Sum64())
	conn, err := p.db.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("locking the name %s: %w", name, err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		// Cancelled while waiting, the connection may still get the
		// lock: close it rather than hand it back to the pool.
		conn.Conn().Close(context.Background())
		conn.Release()
		return nil, fmt.Errorf("locking the name %s: %w", name, err)
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", key); err != nil {
			conn.Conn().Close(ctx) // which lets go of the lock
		}
		conn.Release()
	}, nil
}
