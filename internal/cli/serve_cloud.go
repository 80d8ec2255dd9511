package cli

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"netdisk/internal/config"
	"netdisk/internal/daemon"
	"netdisk/internal/storage/cloud"
)

// cloudConfig turns the s3 store's settings into the daemon's, with the
// S3 keys from the credentials file or the environment (never a setting
// of their own, so they stay out of command lines and --print-config).
func cloudConfig(s config.Settings) (*daemon.Cloud, error) {
	var missing []string
	for _, m := range []struct{ name, value string }{
		{"--pg-url", s.PGURL}, {"--s3-endpoint", s.S3Endpoint}, {"--s3-bucket", s.S3Bucket},
	} {
		if m.value == "" {
			missing = append(missing, m.name)
		}
	}
	if len(missing) > 0 {
		return nil, usageError{fmt.Sprintf("--store s3 needs %s", strings.Join(missing, ", "))}
	}
	if _, err := pgconn.ParseConfig(s.PGURL); err != nil {
		return nil, usageError{fmt.Sprintf("--pg-url: %v", err)}
	}
	if hasPassword(s.PGURL) {
		return nil, usageError{"--pg-url holds a password: give it in PGPASSWORD or a passfile (~/.pgpass) instead, where command lines, config files and --print-config do not show it"}
	}
	if u, err := url.Parse(s.S3Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageError{fmt.Sprintf("--s3-endpoint %q: want http(s)://host[:port]", s.S3Endpoint)}
	}
	access, secret, err := s3Keys(s.S3Credentials)
	if err != nil {
		return nil, err
	}
	return &daemon.Cloud{
		PostgresURL: s.PGURL,
		S3:          cloud.S3Settings{Endpoint: s.S3Endpoint, Region: s.S3Region, AccessKey: access, SecretKey: secret},
		Bucket:      s.S3Bucket,
		Prefix:      s.S3Prefix,
		Grace:       s.ObjectGrace,
		Capacity:    s.S3Capacity,
	}, nil
}

// s3Keys reads the access key and the secret from file, or else from
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
func s3Keys(file string) (access, secret string, err error) {
	if file == "" {
		access, secret = os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
		if access == "" || secret == "" {
			return "", "", errors.New("--store s3 needs the S3 keys: --s3-credentials FILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
		}
		return access, secret, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", "", fmt.Errorf("reading the S3 credentials: %w", err)
	}
	lines := strings.Fields(string(b))
	if len(lines) != 2 {
		return "", "", fmt.Errorf("%s: want the access key on the first line and the secret on the second", file)
	}
	return lines[0], lines[1], nil
}

// hasPassword reports a password written in a PostgreSQL URL or
// key=value connection string.
func hasPassword(conn string) bool {
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		u, err := url.Parse(conn)
		if err != nil {
			return false
		}
		if _, set := u.User.Password(); set {
			return true
		}
		return u.Query().Has("password")
	}
	for _, field := range strings.Fields(conn) {
		if k, _, ok := strings.Cut(field, "="); ok && strings.TrimSpace(k) == "password" {
			return true
		}
	}
	return false
}
