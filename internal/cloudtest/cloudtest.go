// Package cloudtest is test support for tests of the s3 store: the
// TestMain of a package whose tests start a PostgreSQL cluster (pgtest)
// and an S3-compatible server (s3test), which stops both once every test
// is done, and a store of a test's own beside a server's. Nothing in the
// product imports it.
package cloudtest

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"netdisk/internal/pgtest"
	"netdisk/internal/s3test"
	"netdisk/internal/storage/cloud"
)

// Main runs the tests, stops what pgtest and s3test started, and exits:
//
//	func TestMain(m *testing.M) { cloudtest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	s3test.Stop()
	os.Exit(code)
}

// OpenStore opens a cloud store of the test's own on the database and
// bucket a server uses, to write or read there behind the server's back
// as another tool would; it returns the store's pool too (for statements
// of the test's own). Both are closed at the end of the test.
func OpenStore(t testing.TB, postgresURL string, s3 cloud.S3Settings, bucket, prefix string) (*cloud.Store, *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	db, err := pgxpool.New(ctx, postgresURL)
	if err != nil {
		t.Fatal(err)
	}
	st, err := cloud.Open(ctx, cloud.Config{DB: db, S3: cloud.NewS3Client(s3), Bucket: bucket, Prefix: prefix, SweepEvery: -1})
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		st.Close()
		db.Close()
	})
	return st, db
}
