package sessions_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"netdisk/internal/pgtest"
	"netdisk/internal/sessions"
	"netdisk/internal/sessions/sessionstest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// pool connects to a fresh database and closes the pool at the end.
func pool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	db, err := pgxpool.New(context.Background(), pgtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

func openPostgres(t *testing.T, db *pgxpool.Pool) *sessions.Postgres {
	t.Helper()
	st, err := sessions.OpenPostgres(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestPostgres(t *testing.T) {
	sessionstest.Run(t, func(t *testing.T) sessionstest.Opener {
		db := pool(t)
		return func(t *testing.T) sessions.Store { return openPostgres(t, db) }
	})
}

// TestPostgresSharedByTwoStores: two stores on one database, as two
// servers: a session made through one is used through the other, and an
// end of the user's sessions through either ends it on both; Purge
// removes expired rows.
func TestPostgresSharedByTwoStores(t *testing.T) {
	ctx := context.Background()
	db := pool(t)
	a, b := openPostgres(t, db), openPostgres(t, db)
	defer a.Close(ctx)
	defer b.Close(ctx)
	_, key := sessions.NewToken()
	now := time.Now().UTC()
	s := sessions.Session{Key: key, User: "alice", Account: "x", Created: now, Expires: now.Add(time.Hour)}
	gen, _ := b.Generation(ctx, "alice")
	if ok, err := a.Create(ctx, s, gen); !ok || err != nil {
		t.Fatalf("Create through A = %v, %v", ok, err)
	}
	if _, ok, err := b.Use(ctx, key); !ok || err != nil {
		t.Fatalf("Use through B = %v, %v", ok, err)
	}
	if n, err := b.EndUser(ctx, "alice"); n != 1 || err != nil {
		t.Fatalf("EndUser through B = %d, %v", n, err)
	}
	if _, ok, _ := a.Use(ctx, key); ok {
		t.Fatal("a session ended through B is still good through A")
	}
	_, expiredKey := sessions.NewToken()
	gen, _ = a.Generation(ctx, "bob")
	a.Create(ctx, sessions.Session{Key: expiredKey, User: "bob", Account: "y", Created: now.Add(-2 * time.Hour), Expires: now.Add(-time.Hour)}, gen)
	if n, err := b.Purge(ctx); n != 1 || err != nil {
		t.Fatalf("Purge = %d, %v; want 1", n, err)
	}
}
