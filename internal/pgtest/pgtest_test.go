package pgtest_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"netdisk/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// connect opens a connection to url, closed at the test's clean-up.
func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatalf("connecting to %s: %v", url, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestNewGivesSeparateEmptyDatabases(t *testing.T) {
	t.Parallel()
	urlA, urlB := pgtest.New(t), pgtest.New(t)
	if urlA == urlB {
		t.Fatalf("two New calls gave the same URL %s", urlA)
	}
	a, b := connect(t, urlA), connect(t, urlB)

	var nameA, nameB string
	if err := a.QueryRow(t.Context(), "SELECT current_database()").Scan(&nameA); err != nil {
		t.Fatal(err)
	}
	if err := b.QueryRow(t.Context(), "SELECT current_database()").Scan(&nameB); err != nil {
		t.Fatal(err)
	}
	if nameA == nameB {
		t.Fatalf("both URLs reach database %s", nameA)
	}

	var tables int
	if err := a.QueryRow(t.Context(), "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Fatalf("new database %s has %d tables; want none", nameA, tables)
	}

	if _, err := a.Exec(t.Context(), "CREATE TABLE files (name text PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		conn *pgx.Conn
		want bool
	}{
		{nameA, a, true},
		{nameB, b, false},
	} {
		var found bool
		if err := c.conn.QueryRow(t.Context(), "SELECT to_regclass('public.files') IS NOT NULL").Scan(&found); err != nil {
			t.Fatal(err)
		}
		if found != c.want {
			t.Errorf("table files in %s: %v; want %v", c.name, found, c.want)
		}
	}
}

// TestConcurrentUpdatesRespectLimit shows a real server with real
// isolation: concurrent conditional increments, each re-checked against
// the row as the previous one left it, stop exactly at the limit.
func TestConcurrentUpdatesRespectLimit(t *testing.T) {
	t.Parallel()
	const workers, tries, limit = 8, 20, 100
	pool, err := pgxpool.New(t.Context(), pgtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := pool.Exec(t.Context(), "CREATE TABLE quota (used int NOT NULL); INSERT INTO quota VALUES (0)"); err != nil {
		t.Fatal(err)
	}

	var granted atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range tries {
				tag, err := pool.Exec(t.Context(), "UPDATE quota SET used = used + 1 WHERE used + 1 <= $1", limit)
				if err != nil {
					errs <- err
					return
				}
				granted.Add(tag.RowsAffected())
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	var used int
	if err := pool.QueryRow(t.Context(), "SELECT used FROM quota").Scan(&used); err != nil {
		t.Fatal(err)
	}
	if used != limit || granted.Load() != limit {
		t.Fatalf("after %d increments against a limit of %d: used = %d, updates granted = %d; want %d and %d",
			workers*tries, limit, used, granted.Load(), limit, limit)
	}
}

func TestDatabaseDroppedAtCleanup(t *testing.T) {
	t.Parallel()
	var dropped string
	t.Run("user", func(t *testing.T) {
		// This clean-up runs after New's (they run last-in first-out), so
		// the connection is still open when the database is dropped.
		var conn *pgx.Conn
		t.Cleanup(func() {
			if conn != nil {
				conn.Close(context.Background())
			}
		})
		url := pgtest.New(t)
		var err error
		if conn, err = pgx.Connect(t.Context(), url); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRow(t.Context(), "SELECT current_database()").Scan(&dropped); err != nil {
			t.Fatal(err)
		}
	})

	other := connect(t, pgtest.New(t))
	var exists bool
	if err := other.QueryRow(t.Context(), "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", dropped).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Fatalf("database %s still exists after its test's clean-up", dropped)
	}
}
