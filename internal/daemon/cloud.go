package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5/pgxpool"

	"netdisk/internal/storage/cloud"
)

// DefaultPostgresConns is how many connections to PostgreSQL a server
// keeps at most, unless --pg-url says (pool_max_conns=N).
const DefaultPostgresConns = 32

// openCloud connects to the database and the bucket of c and opens the
// cloud store on them.
func openCloud(c *Cloud, logger *slog.Logger) (*pgxpool.Pool, *s3.Client, *cloud.Store, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pcfg, err := pgxpool.ParseConfig(c.PostgresURL)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("the PostgreSQL URL (--pg-url): %w", err)
	}
	if !strings.Contains(c.PostgresURL, "pool_max_conns") {
		// pgx's default, the number of CPUs (at least 4), is too few for
		// a server whose every request touches the database; the URL's
		// pool_max_conns overrides this.
		pcfg.MaxConns = DefaultPostgresConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, nil, nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	client := cloud.NewS3Client(c.S3)
	st, err := cloud.Open(ctx, cloud.Config{
		DB:       pool,
		S3:       client,
		Bucket:   c.Bucket,
		Prefix:   c.Prefix,
		Grace:    c.Grace,
		Capacity: c.Capacity,
		Logger:   logger,
	})
	if err != nil {
		pool.Close()
		return nil, nil, nil, err
	}
	logger.Info("cloud store", "s3", c.S3.Endpoint, "bucket", c.Bucket, "prefix", c.Prefix, "postgres", pcfg.ConnConfig.Host)
	return pool, client, st, nil
}
