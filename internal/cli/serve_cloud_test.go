package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"netdisk/internal/config"
)

// --store s3 needs its settings, never takes a password on the command
// line, and reads the S3 keys from a file or the environment.
func TestCloudConfig(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys")
	os.WriteFile(keys, []byte("AKID\nSECRET\n"), 0o600)
	base := func() config.Settings {
		s := config.Defaults()
		s.Store, s.PGURL, s.S3Endpoint, s.S3Bucket, s.S3Credentials = "s3", "postgres://netdisk@db/netdisk", "http://127.0.0.1:9000", "files", keys
		return s
	}
	c, err := cloudConfig(base())
	if err != nil || c.S3.AccessKey != "AKID" || c.S3.SecretKey != "SECRET" || c.Bucket != "files" {
		t.Fatalf("cloudConfig = %+v, %v", c, err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	for _, tc := range []struct {
		change func(*config.Settings)
		want   string
	}{
		{func(s *config.Settings) { s.PGURL, s.S3Bucket = "", "" }, "needs --pg-url, --s3-bucket"},
		{func(s *config.Settings) { s.PGURL = "postgres://netdisk:hunter2@db/netdisk" }, "holds a password"},
		{func(s *config.Settings) { s.PGURL = "host=db user=netdisk password=hunter2" }, "holds a password"},
		{func(s *config.Settings) { s.S3Endpoint = "s3.example.com" }, "want http(s)://host[:port]"},
		{func(s *config.Settings) { s.S3Credentials = "" }, "AWS_ACCESS_KEY_ID"},
	} {
		s := base()
		tc.change(&s)
		if _, err := cloudConfig(s); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("cloudConfig: %v, want %q", err, tc.want)
		}
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "ENVID")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET")
	s := base()
	s.S3Credentials = ""
	if c, err := cloudConfig(s); err != nil || c.S3.AccessKey != "ENVID" {
		t.Errorf("keys from the environment: %+v, %v", c, err)
	}
}
