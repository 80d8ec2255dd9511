package daemon_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"netdisk/internal/client"
	"netdisk/internal/cloudtest"
	"netdisk/internal/daemon"
	"netdisk/internal/pgtest"
	"netdisk/internal/s3test"
	"netdisk/internal/storage/cloud"
)

func TestMain(m *testing.M) { cloudtest.Main(m) }

// A server on the cloud store keeps files in PostgreSQL and the bucket: a
// file put through one server start is listed and read back, byte for
// byte, through the next, over the real protocol.
func TestCloudStoreServes(t *testing.T) {
	e := s3test.New(t)
	c := &daemon.Cloud{
		PostgresURL: pgtest.New(t),
		S3:          cloud.S3Settings{Endpoint: e.URL, Region: e.Region, AccessKey: e.AccessKey, SecretKey: e.SecretKey},
		Bucket:      e.Bucket,
	}
	data := filepath.Join(t.TempDir(), "data")
	start := func() *daemon.Daemon {
		d, err := daemon.Start(daemon.Config{
			DataDir: data, Listen: "127.0.0.1:0", HTTP: "off", Plaintext: true,
			Logger: slog.New(slog.DiscardHandler), Cloud: c,
		})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	ctx := context.Background()
	dial := func(d *daemon.Daemon) *client.Client {
		cl, err := client.Dial(ctx, d.Addr.String(), client.Options{Plaintext: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cl.Close() })
		return cl
	}
	payload := make([]byte, 9<<20+123) // more than one chunk
	rand.Read(payload)
	local := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(local, payload, 0o644); err != nil {
		t.Fatal(err)
	}

	d := start()
	cl := dial(d)
	if err := cl.Register(ctx, "alice", "alice's password"); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Login(ctx, "alice", "alice's password"); err != nil {
		t.Fatal(err)
	}
	if err := cl.Mkdir(ctx, "docs", false); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(local)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := cl.Put(ctx, f, "docs/big.bin", client.PutOptions{}); err != nil {
		t.Fatalf("put: %v", err)
	}
	cl.Close()
	if err := d.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	d = start()
	defer d.Shutdown(ctx)
	cl = dial(d)
	if _, err := cl.Login(ctx, "alice", "alice's password"); err != nil {
		t.Fatal(err)
	}
	entries, err := cl.List(ctx, "docs")
	if err != nil || len(entries) != 1 || entries[0].Name != "big.bin" || entries[0].Size != int64(len(payload)) {
		t.Fatalf("ls docs = %+v, %v", entries, err)
	}
	var got bytes.Buffer
	if _, err := cl.Cat(ctx, "docs/big.bin", &got); err != nil {
		t.Fatalf("get: %v", err)
	}
	if !bytes.Equal(got.Bytes(), payload) {
		t.Fatalf("got %d bytes back, not the %d put", got.Len(), len(payload))
	}
}
