// Package cloudtest is test support for tests of the s3 store: the
// TestMain of a package whose tests start a PostgreSQL cluster (pgtest)
// and an S3-compatible server (s3test), which stops both once every test
// is done. Nothing in the product imports it.
package cloudtest

import (
	"os"
	"testing"

	"netdisk/internal/pgtest"
	"netdisk/internal/s3test"
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
