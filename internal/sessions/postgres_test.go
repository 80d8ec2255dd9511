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

// TestPostgresFailureCounts: counts grow per key, start again once the
// window has passed since the last failure, and clear; a block stands
// until its time and is never shortened.
func TestPostgresFailureCounts(t *testing.T) {
	ctx := context.Background()
	st := openPostgres(t, pool(t))
	defer st.Close(ctx)
	keys := []string{"u:alice", "a:10.0.0.1"}
	for want := 1; want <= 3; want++ {
		counts, err := st.Failed(ctx, keys, time.Hour)
		if err != nil || counts[0] != want || counts[1] != want {
			t.Fatalf("Failed = %v, %v; want %d each", counts, err, want)
		}
	}
	if counts, _ := st.Failed(ctx, keys[:1], 0); counts[0] != 1 {
		t.Fatalf("a count past its window = %d; want 1 (started again)", counts[0])
	}
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
	if err := st.Block(ctx, "a:10.0.0.1", until); err != nil {
		t.Fatal(err)
	}
	st.Block(ctx, "a:10.0.0.1", until.Add(-time.Minute)) // shorter: ignored
	blocked, err := st.Blocked(ctx, keys)
	if err != nil || len(blocked) != 1 || !blocked["a:10.0.0.1"].Equal(until) {
		t.Fatalf("Blocked = %v, %v; want the address until %v", blocked, err, until)
	}
	if err := st.Clear(ctx, "a:10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if blocked, _ := st.Blocked(ctx, keys); len(blocked) != 0 {
		t.Fatalf("Blocked after Clear = %v", blocked)
	}
}
