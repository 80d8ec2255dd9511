package users

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ObjectConfig says where a registry shared by several servers keeps its
// workbook: an object in an S3-compatible bucket, and the PostgreSQL
// database whose advisory lock serializes the servers' rewrites.
type ObjectConfig struct {
	S3     *s3.Client
	Bucket string
	Key    string // the workbook's object key, e.g. "netdisk/users.xlsx"
	DB     *pgxpool.Pool
}

// OpenObject loads the registry from the workbook kept as an object, or
// starts empty if there is none yet, like Open.
//
// Several servers' registries may share the object. Each rewrites it only
// while holding a PostgreSQL advisory lock, after looking at it again, and
// writes it with If-Match on the ETag it last saw (If-None-Match: * for
// the first), so none ever overwrites a workbook it did not see. Each
// stores its version mark in the object's metadata too: a workbook whose
// metadata and content marks agree was written by a registry and is taken
// as it stands; any other (an administrator's edit, downloaded, changed
// and uploaded again) is merged row by row as on local disk. Every
// WatchInterval, and before every rewrite, each server revalidates its
// copy with If-None-Match, which costs one request answered 304.
func OpenObject(cfg ObjectConfig, logger *slog.Logger) (*Registry, error) {
	return openObject(cfg, logger, testHooks{})
}

func openObject(cfg ObjectConfig, logger *slog.Logger, hooks testHooks) (*Registry, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.S3 == nil || cfg.DB == nil || cfg.Bucket == "" || cfg.Key == "" {
		return nil, errors.New("opening user registry: S3, Bucket, Key and DB are required")
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "netdisk users.xlsx\x00%s\x00%s", cfg.Bucket, cfg.Key)
	p := &objectPlace{cfg: cfg, lockKey: int64(h.Sum64()), hooks: hooks}
	ctx, cancel := context.WithTimeout(context.Background(), objectTimeout)
	defer cancel()
	err := pgx.BeginFunc(ctx, cfg.DB, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", p.lockKey); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, marksTable)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("opening user registry: %w", err)
	}
	return openAt(p, logger, hooks)
}

// objectPlace keeps the workbook as an object (see OpenObject).
type objectPlace struct {
	cfg     ObjectConfig
	lockKey int64  // of the advisory lock
	etag    string // of the version last written or read; "" if none exists
	hooks   testHooks
}

// marksTable records the mark of the workbook a registry wrote last. A
// workbook whose mark is that one is adopted as it stands; any other (an
// administrator's upload, or an old version copied back in the bucket
// with its metadata) is read as an edit, against the version it came
// from.
const marksTable = `CREATE TABLE IF NOT EXISTS netdisk_registry_marks (
	place text PRIMARY KEY,
	mark  text NOT NULL
)`

// markKey is the metadata key of the version mark a registry writes.
const markKey = "netdisk-version"

// objectTimeout bounds each request to the bucket and the wait for the
// lock: the writer goroutine has no caller's context to end it.
const objectTimeout = time.Minute

func (p *objectPlace) String() string { return "s3://" + p.cfg.Bucket + "/" + p.cfg.Key }

func (p *objectPlace) look() (seen, error) {
	ctx, cancel := context.WithTimeout(context.Background(), objectTimeout)
	defer cancel()
	in := &s3.GetObjectInput{Bucket: &p.cfg.Bucket, Key: &p.cfg.Key}
	if p.etag != "" {
		in.IfNoneMatch = aws.String(p.etag)
	}
	out, err := p.cfg.S3.GetObject(ctx, in)
	switch status := statusOf(err); {
	case err == nil:
	case status == http.StatusNotModified:
		return seen{res: unchanged}, nil
	case status == http.StatusNotFound:
		if p.etag == "" {
			return seen{res: unchanged}, nil
		}
		p.etag = ""
		return seen{res: gone}, nil
	default:
		return seen{}, fmt.Errorf("reading %s: %w", p, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, maxWorkbook+1))
	if err != nil {
		return seen{}, fmt.Errorf("reading %s: %w", p, err)
	}
	if len(data) > maxWorkbook {
		return seen{}, fmt.Errorf("reading %s: larger than %d MiB", p, maxWorkbook>>20)
	}
	etag := aws.ToString(out.ETag)
	if etag == p.etag { // a server that ignores If-None-Match
		return seen{res: unchanged}, nil
	}
	p.etag = etag
	mark := out.Metadata[markKey]
	if mark != "" {
		var last string
		err := p.cfg.DB.QueryRow(ctx, `SELECT mark FROM netdisk_registry_marks WHERE place = $1`, p.String()).Scan(&last)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			p.etag = "" // look again next time
			return seen{}, fmt.Errorf("reading the mark of %s: %w", p, err)
		}
		if mark != last {
			mark = "" // not the latest a registry wrote: an edit
		}
	}
	return seen{res: edited, data: data, mark: mark}, nil
}

// maxWorkbook bounds the workbook read into memory (100,000 users take
// about 12 MiB).
const maxWorkbook = 256 << 20

func (p *objectPlace) write(fn func(io.Writer) error, mark string) ([]byte, bool, error) {
	var buf bytes.Buffer
	if err := fn(&buf); err != nil {
		return nil, false, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), objectTimeout)
	defer cancel()
	in := &s3.PutObjectInput{
		Bucket: &p.cfg.Bucket, Key: &p.cfg.Key,
		Body:          bytes.NewReader(buf.Bytes()),
		ContentLength: aws.Int64(int64(buf.Len())),
		ContentType:   aws.String("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
		Metadata:      map[string]string{markKey: mark},
	}
	if p.etag != "" {
		in.IfMatch = aws.String(p.etag)
	} else {
		in.IfNoneMatch = aws.String("*")
	}
	if p.hooks.beforeRename != nil {
		if err := p.hooks.beforeRename(); err != nil {
			return nil, false, err
		}
	}
	out, err := p.cfg.S3.PutObject(ctx, in)
	switch status := statusOf(err); {
	case err == nil:
	case status == http.StatusPreconditionFailed, status == http.StatusConflict:
		return nil, false, errConflict
	default:
		return nil, false, fmt.Errorf("writing %s: %w", p, err)
	}
	p.etag = aws.ToString(out.ETag)
	// Under the lock, so the mark recorded is the workbook's in place.
	_, err = p.cfg.DB.Exec(ctx, `INSERT INTO netdisk_registry_marks (place, mark) VALUES ($1, $2)
		ON CONFLICT (place) DO UPDATE SET mark = EXCLUDED.mark`, p.String(), mark)
	if err != nil {
		return nil, true, fmt.Errorf("recording the mark of %s: %w", p, err)
	}
	return nil, true, nil
}

func (p *objectPlace) keepAside(data []byte, suffix string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), objectTimeout)
	defer cancel()
	key := p.cfg.Key + suffix
	_, err := p.cfg.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &p.cfg.Bucket, Key: &key, Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data))),
	})
	return "s3://" + p.cfg.Bucket + "/" + key, err
}

// lock takes the advisory lock on a connection of its own, so that the
// lock goes with the connection if this server dies holding it.
func (p *objectPlace) lock() (func(), error) {
	ctx, cancel := context.WithTimeout(context.Background(), objectTimeout)
	defer cancel()
	conn, err := p.cfg.DB.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("locking users.xlsx: %w", err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", p.lockKey); err != nil {
		// Given up while waiting, the connection may still get the
		// lock: close it rather than hand it back to the pool.
		conn.Conn().Close(context.Background())
		conn.Release()
		return nil, fmt.Errorf("locking users.xlsx: %w", err)
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), objectTimeout)
		defer cancel()
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", p.lockKey); err != nil {
			// The connection's state is unknown: close it, which
			// releases the lock, rather than hand it back to the pool.
			conn.Conn().Close(ctx)
		}
		conn.Release()
	}, nil
}

// statusOf returns the HTTP status of a failed S3 request, or 0.
func statusOf(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}
