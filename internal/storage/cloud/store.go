package cloud

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"netdisk/internal/storage"
)

//go:embed schema.sql
var schema string

// Defaults for Config.
const (
	DefaultChunkSize    = 8 << 20
	DefaultBufferMemory = 512 << 20
	DefaultGrace        = 24 * time.Hour
	DefaultLease        = 30 * time.Second
	DefaultSweep        = 10 * time.Minute
)

// pendingAge is how old a record of an object being written must be
// before the sweep takes it for the leftover of a crash: far longer than
// any one chunk's PUT.
const pendingAge = time.Hour

// Config is what a Store is opened with. DB, S3 and Bucket are required.
type Config struct {
	DB     *pgxpool.Pool
	S3     *s3.Client
	Bucket string
	// Prefix is put before every object key (e.g. "netdisk/"), so that the
	// bucket can hold other things too.
	Prefix string
	// ChunkSize is the most bytes one object holds; an upload keeps up to
	// this much in memory. Default DefaultChunkSize.
	ChunkSize int
	// BufferMemory bounds the bytes all uploads keep in memory before
	// they are stored (see bufferPool). Default DefaultBufferMemory.
	BufferMemory int64
	// Grace is how long a replaced or removed file's objects are kept, so
	// downloads under way finish and a backup of the database taken
	// meanwhile still finds them. Default DefaultGrace.
	Grace time.Duration
	// Lease is how long a held upload stays held after its server stops
	// renewing it. Default DefaultLease.
	Lease time.Duration
	// SweepEvery is how often dropped blobs and leftover objects are
	// removed; negative: never (a test calls Sweep). Default DefaultSweep.
	SweepEvery time.Duration
	// Capacity is the most bytes the store may hold, file versions kept
	// for the grace period and unfinished uploads included; 0: no bound
	// but MaxFile per file.
	Capacity int64
	Logger   *slog.Logger
}

// MaxFile is the largest file the store takes (S3's largest object, which
// users of S3 know).
const MaxFile = 5 << 40

// usedEvery is how long the bytes the store holds, summed for Available,
// are reused before they are summed again: the sum reads every blob's row.
const usedEvery = 10 * time.Second

// Store is the cloud storage.Store.
type Store struct {
	db     *pgxpool.Pool
	obj    objects
	cfg    Config
	me     string // this store's name as a holder of uploads
	logger *slog.Logger

	mu   sync.Mutex
	held map[int64]bool // blobs held by this store: their leases are renewed
	// promised holds the reservations (promises of room) this store made:
	// renewed with the leases.
	promised map[int64]bool
	tails    map[int64]*tail // bytes written to uploads of this store but not stored yet
	buffers  bufferPool

	usedMu sync.Mutex // guards used and usedAt, and lets one summing run at a time
	used   int64      // bytes of every blob, as summed at usedAt
	usedAt time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// tail counts the bytes of one upload kept in memory, for Usage and
// Uploads.
type tail struct {
	space int64
	bytes int64
}

var _ storage.Store = (*Store)(nil)

// Open creates what is missing of the schema and returns the store. It
// starts the lease renewal and, unless cfg.SweepEvery is negative, the
// sweep; Close stops them.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.DB == nil || cfg.S3 == nil || cfg.Bucket == "" {
		return nil, errors.New("cloud: DB, S3 and Bucket are required")
	}
	if cfg.ChunkSize <= 0 {
		cfg.ChunkSize = DefaultChunkSize
	}
	if cfg.BufferMemory <= 0 {
		cfg.BufferMemory = DefaultBufferMemory
	}
	if cfg.Grace <= 0 {
		cfg.Grace = DefaultGrace
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.SweepEvery == 0 {
		cfg.SweepEvery = DefaultSweep
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	err := pgx.BeginFunc(ctx, cfg.DB, func(tx pgx.Tx) error {
		// Two servers starting at once must not both create a table.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(7463267)"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, schema)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("preparing the database: %w", err)
	}
	s := &Store{
		db:       cfg.DB,
		obj:      objects{c: cfg.S3, bucket: cfg.Bucket, prefix: cfg.Prefix},
		cfg:      cfg,
		me:       randomName(),
		logger:   cfg.Logger,
		held:     make(map[int64]bool),
		promised: make(map[int64]bool),
		tails:    make(map[int64]*tail),
	}
	s.buffers.left = cfg.BufferMemory
	if err := s.obj.check(ctx); err != nil {
		return nil, err
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Go(s.renewLeases)
	if cfg.SweepEvery > 0 {
		s.wg.Go(s.sweeper)
	}
	return s, nil
}

// Close stops the background work and lets go of the uploads still held
// (others may take them at once). The database pool stays open: it is the
// caller's.
func (s *Store) Close() error {
	s.cancel()
	s.wg.Wait()
	s.mu.Lock()
	ids := make([]int64, 0, len(s.held))
	for id := range s.held {
		ids = append(ids, id)
	}
	s.held = map[int64]bool{}
	s.mu.Unlock()
	if len(ids) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := s.db.Exec(ctx, `UPDATE netdisk_blobs SET holder = NULL WHERE id = ANY($1) AND holder = $2`, ids, s.me)
		return err
	}
	return nil
}

// Space opens the folder of an existing user.
func (s *Store) Space(ctx context.Context, user string) (storage.Space, error) {
	if err := s.checkUser(ctx, "open space", user); err != nil {
		return nil, err
	}
	sp := &space{st: s, user: user}
	err := s.db.QueryRow(ctx, `SELECT id, root FROM netdisk_spaces WHERE owner = $1 AND root IS NOT NULL`, user).Scan(&sp.id, &sp.root)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, storage.PathError("open space", user, fs.ErrNotExist)
	}
	if err != nil {
		return nil, storage.PathError("open space", user, err)
	}
	return sp, nil
}

// CreateSpace opens the folder of user, making it first if missing.
func (s *Store) CreateSpace(ctx context.Context, user string) (storage.Space, error) {
	if err := s.checkUser(ctx, "create space", user); err != nil {
		return nil, err
	}
	sp := &space{st: s, user: user}
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO netdisk_spaces (owner) VALUES ($1) ON CONFLICT (owner) DO NOTHING`, user); err != nil {
			return err
		}
		var root *int64
		if err := tx.QueryRow(ctx, `SELECT id, root FROM netdisk_spaces WHERE owner = $1 FOR UPDATE`, user).Scan(&sp.id, &root); err != nil {
			return err
		}
		if root != nil {
			sp.root = *root
			return nil
		}
		err := tx.QueryRow(ctx, `INSERT INTO netdisk_nodes (space, name, dir, mtime) VALUES ($1, '', true, now()) RETURNING id`, sp.id).Scan(&sp.root)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE netdisk_spaces SET root = $1 WHERE id = $2`, sp.root, sp.id)
		return err
	})
	if err != nil {
		return nil, storage.PathError("create space", user, err)
	}
	return sp, nil
}

// RetireSpace renames the folder of user to a name no user can have; its
// files stay where they are until an administrator removes them.
func (s *Store) RetireSpace(ctx context.Context, user string) (string, error) {
	if err := s.checkUser(ctx, "retire space", user); err != nil {
		return "", err
	}
	where := fmt.Sprintf(".retired/%s-%s-%s", user, time.Now().UTC().Format("20060102T150405"), randomName()[:8])
	tag, err := s.db.Exec(ctx, `UPDATE netdisk_spaces SET owner = $1 WHERE owner = $2`, where, user)
	if err != nil {
		return "", storage.PathError("retire space", user, err)
	}
	if tag.RowsAffected() == 0 {
		return "", storage.PathError("retire space", user, fs.ErrNotExist)
	}
	return where, nil
}

func (s *Store) checkUser(ctx context.Context, op, user string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := storage.CheckUser(user); err != nil {
		return err
	}
	return nil
}

// Available reports MaxFile, or less as the store nears its Capacity. The
// bytes held are summed at most every usedEvery, so a burst of uploads
// may overrun the capacity by what it stores meanwhile.
func (s *Store) Available(ctx context.Context) (storage.Capacity, error) {
	if err := ctx.Err(); err != nil {
		return storage.Capacity{}, err
	}
	if s.cfg.Capacity <= 0 {
		return storage.Capacity{Bytes: MaxFile, Inodes: -1}, nil
	}
	s.usedMu.Lock()
	defer s.usedMu.Unlock()
	if time.Since(s.usedAt) > usedEvery {
		var used int64
		if err := s.db.QueryRow(ctx, `SELECT COALESCE(sum(size), 0)::bigint FROM netdisk_blobs`).Scan(&used); err != nil {
			return storage.Capacity{}, err
		}
		s.used, s.usedAt = used, time.Now()
	}
	return storage.Capacity{Bytes: min(MaxFile, max(s.cfg.Capacity-s.used, 0)), Inodes: -1}, nil
}

// ExpireUploads drops the unfinished uploads not written to since before
// and not held; their objects go at the next sweep.
func (s *Store) ExpireUploads(ctx context.Context, before time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	tag, err := s.db.Exec(ctx, `UPDATE netdisk_blobs SET kind = 'dropped', purge_after = now()
		WHERE kind = 'upload' AND updated < $1 AND (holder IS NULL OR held_until < now())`, before)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

// renewLeases keeps the uploads this store holds held.
func (s *Store) renewLeases() {
	t := time.NewTicker(s.cfg.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		ids := slices.Collect(maps.Keys(s.held))
		promised := slices.Collect(maps.Keys(s.promised))
		s.mu.Unlock()
		if len(ids) > 0 {
			_, err := s.db.Exec(s.ctx, `UPDATE netdisk_blobs SET held_until = now() + $1::interval
				WHERE id = ANY($2) AND holder = $3`, s.cfg.Lease, ids, s.me)
			if err != nil && s.ctx.Err() == nil {
				s.logger.Warn("renewing the leases of uploads", "count", len(ids), "err", err)
			}
		}
		if len(promised) > 0 {
			_, err := s.db.Exec(s.ctx, `UPDATE netdisk_reservations SET held_until = now() + $1::interval
				WHERE id = ANY($2)`, s.cfg.Lease, promised)
			if err != nil && s.ctx.Err() == nil {
				s.logger.Warn("renewing promises of room", "count", len(promised), "err", err)
			}
		}
	}
}

// hold and release track the blobs whose lease this store renews.
func (s *Store) hold(id int64) {
	s.mu.Lock()
	s.held[id] = true
	s.mu.Unlock()
}

func (s *Store) release(id int64) {
	s.mu.Lock()
	delete(s.held, id)
	delete(s.tails, id)
	s.mu.Unlock()
}

// addTail counts n more (or, negative, fewer) bytes of blob in memory.
func (s *Store) addTail(blob, space, n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tails[blob]
	if t == nil {
		t = &tail{space: space}
		s.tails[blob] = t
	}
	t.bytes += n
}

// tailBytes returns the bytes in memory of blob, or of all uploads to
// space when blob is 0.
func (s *Store) tailBytes(space, blob int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if blob != 0 {
		if t := s.tails[blob]; t != nil {
			return t.bytes
		}
		return 0
	}
	var n int64
	for _, t := range s.tails {
		if t.space == space {
			n += t.bytes
		}
	}
	return n
}

// randomName returns 16 random hex digits.
func randomName() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// isUnique reports a unique key refused.
func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}
