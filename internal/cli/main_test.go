package cli

import (
	"os"
	"testing"

	"netdisk/internal/pgtest"
	"netdisk/internal/s3test"
)

// TestMain stops the PostgreSQL cluster and the S3 server that the cloud
// tests started, once every test is done.
func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	s3test.Stop()
	os.Exit(code)
}
