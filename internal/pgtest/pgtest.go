package pgtest

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"netdisk/internal/testsrv"
)

// statementTimeout bounds each CREATE DATABASE and DROP DATABASE.
const statementTimeout = 30 * time.Second

var (
	// shared is the cluster, started by the first New, stopped by Stop.
	shared = testsrv.Shared[*cluster]{Name: "pgtest", Start: startCluster, Halt: (*cluster).stop}

	// databases counts the databases made, for their names.
	databases atomic.Int64
)

// Main runs the package's tests, then stops the cluster if one was
// started, and exits with the tests' code. Call it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops the cluster if one was started (SIGINT to its postgres
// process, then SIGKILL if it has not exited in time) and removes its
// folder. Main calls it; a TestMain that runs the tests itself (to stop
// other harnesses too) calls it after m.Run.
func Stop() { shared.Stop() }

// New returns the connection URL of a new, empty database on the shared
// cluster, in the form pgx and libpq take:
//
//	postgres:///t_1_0a1b2c3d?host=%2Ftmp%2Fpgtest-…%2Fsock&sslmode=disable&user=postgres
//
// The cluster is started at the first call (half a second here, mostly
// initdb); each later call takes some 30 ms. The database is dropped at the test's clean-up,
// along with any connections still open to it.
func New(t testing.TB) string {
	t.Helper()
	c, err := shared.Get()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	name := fmt.Sprintf("t_%d_%s", databases.Add(1), testsrv.RandomHex(4))

	ctx, cancel := context.WithTimeout(t.Context(), statementTimeout)
	defer cancel()
	if err := c.exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: creating database %s: %v", name, err)
	}
	t.Cleanup(func() {
		// The test's own context is done by now: clean up under a new one.
		ctx, cancel := context.WithTimeout(context.Background(), statementTimeout)
		defer cancel()
		if err := c.exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("pgtest: dropping database %s: %v", name, err)
		}
	})
	return c.url(name)
}

// exec runs one statement on the cluster's "postgres" database over a
// connection of its own, so concurrent New calls do not share one.
func (c *cluster) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, c.url("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}
