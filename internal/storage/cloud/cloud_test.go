package cloud_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"netdisk/internal/cloudtest"
	"netdisk/internal/pgtest"
	"netdisk/internal/s3test"
	"netdisk/internal/storage"
	"netdisk/internal/storage/cloud"
	"netdisk/internal/storage/storetest"
)

func TestMain(m *testing.M) { cloudtest.Main(m) }

// where is one test's database and bucket.
type where struct {
	db *pgxpool.Pool
	s3 s3test.Endpoint
}

// newWhere makes a fresh database and bucket for t.
func newWhere(t *testing.T) where {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), pgtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return where{db: pool, s3: s3test.New(t)}
}

// open opens a store on w, closed at the end of the test.
func (w where) open(t *testing.T, tune func(*cloud.Config)) *cloud.Store {
	t.Helper()
	cfg := cloud.Config{
		DB:         w.db,
		S3:         s3test.Client(w.s3),
		Bucket:     w.s3.Bucket,
		ChunkSize:  64 << 10, // small, so tests cross chunk boundaries
		SweepEvery: -1,
	}
	if tune != nil {
		tune(&cfg)
	}
	st, err := cloud.Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestCloud(t *testing.T) {
	opened := map[storage.Store]where{}
	storetest.Run(t, storetest.Config{
		New: func(t *testing.T) storage.Store {
			w := newWhere(t)
			st := w.open(t, nil)
			opened[st] = w
			return st
		},
		Reopen: func(t *testing.T, store storage.Store) storage.Store {
			store.Close()
			w := opened[store]
			st := w.open(t, nil)
			opened[st] = w
			return st
		},
	})
}
