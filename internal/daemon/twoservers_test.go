package daemon_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"netdisk/internal/admin"
	"netdisk/internal/certs"
	"netdisk/internal/client"
	"netdisk/internal/cloudtest"
	"netdisk/internal/daemon"
	"netdisk/internal/pgtest"
	"netdisk/internal/proto"
	"netdisk/internal/s3test"
	"netdisk/internal/service"
	"netdisk/internal/storage"
	"netdisk/internal/storage/cloud"
	"netdisk/internal/users"
)

// cloudSettings is a fresh database and bucket for servers to share.
func cloudSettings(t *testing.T) *daemon.Cloud {
	t.Helper()
	e := s3test.New(t)
	return &daemon.Cloud{
		PostgresURL: pgtest.New(t),
		S3:          cloud.S3Settings{Endpoint: e.URL, Region: e.Region, AccessKey: e.AccessKey, SecretKey: e.SecretKey},
		Bucket:      e.Bucket,
		Prefix:      "netdisk/",
	}
}

// startCloud starts a server on c with a data folder of its own (for its
// TLS key and admin socket only), shut down when the test ends.
func startCloud(t *testing.T, c *daemon.Cloud, mod ...func(*daemon.Config)) *daemon.Daemon {
	t.Helper()
	cfg := daemon.Config{
		DataDir: filepath.Join(t.TempDir(), "data"), Listen: "127.0.0.1:0", HTTP: "off", Plaintext: true,
		Logger: slog.New(slog.DiscardHandler), Cloud: c,
		Argon2: users.Params{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 16},
	}
	for _, m := range mod {
		m(&cfg)
	}
	d, err := daemon.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Shutdown(context.Background()) })
	return d
}

// dialTo connects a client to d, closed when the test ends.
func dialTo(t *testing.T, d *daemon.Daemon) *client.Client {
	t.Helper()
	cl, err := client.Dial(context.Background(), d.Addr.String(), client.Options{Plaintext: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// TestTwoServersOneStore: two servers on one database and bucket serve
// the same users and files, over the real protocol. An account registered
// on A logs in on B; a session token from A is good on B; registrations
// spread over both at once are all kept in the one users.xlsx; a file put
// through A is read back through B; a password changed through A ends the
// session B was serving.
func TestTwoServersOneStore(t *testing.T) {
	ctx := context.Background()
	c := cloudSettings(t)
	a, b := startCloud(t, c), startCloud(t, c)

	onA := dialTo(t, a)
	if err := onA.Register(ctx, "alice", "alice's password"); err != nil {
		t.Fatal(err)
	}
	sess, err := onA.Login(ctx, "alice", "alice's password")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dialTo(t, b).Login(ctx, "alice", "alice's password"); err != nil {
		t.Fatalf("login on B of an account registered on A: %v", err)
	}
	onB := dialTo(t, b)
	if _, err := onB.AuthToken(ctx, sess.Token); err != nil {
		t.Fatalf("A's session token on B: %v", err)
	}

	// 200 registrations spread over A and B, eight at a time.
	const n = 200
	names := make(chan string)
	var wg sync.WaitGroup
	for w := range 8 {
		d := a
		if w%2 == 1 {
			d = b
		}
		cl := dialTo(t, d)
		wg.Go(func() {
			for name := range names {
				if err := cl.Register(ctx, name, "a password of theirs"); err != nil {
					t.Errorf("register %s: %v", name, err)
				}
			}
		})
	}
	for i := range n {
		names <- fmt.Sprintf("user%03d", i)
	}
	close(names)
	wg.Wait()
	for _, d := range []*daemon.Daemon{a, b} {
		if err := d.Users.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if got := d.Users.Len(); got != n+1 {
			t.Fatalf("a server knows %d accounts; want %d", got, n+1)
		}
	}
	if _, err := dialTo(t, a).Login(ctx, "user001", "a password of theirs"); err != nil {
		t.Fatalf("login on A of an account registered on B: %v", err)
	}

	// A file put through A, read through B.
	payload := make([]byte, 3<<20+17)
	rand.Read(payload)
	local := filepath.Join(t.TempDir(), "photo.jpg")
	if err := os.WriteFile(local, payload, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(local)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := onA.Put(ctx, f, "photo.jpg", client.PutOptions{}); err != nil {
		t.Fatalf("put on A: %v", err)
	}
	var got bytes.Buffer
	if _, err := onB.Cat(ctx, "photo.jpg", &got); err != nil || !bytes.Equal(got.Bytes(), payload) {
		t.Fatalf("get on B: %v (%d bytes, want %d)", err, got.Len(), len(payload))
	}

	// passwd through A ends the session B serves.
	if _, err := onA.Passwd(ctx, "alice's password", "alice's new password"); err != nil {
		t.Fatal(err)
	}
	if _, err := onB.List(ctx, "."); !errors.Is(err, proto.ErrSessionExpired) {
		t.Fatalf("ls on B after passwd on A = %v; want the session ended", err)
	}
	if _, err := dialTo(t, b).Login(ctx, "alice", "alice's new password"); err != nil {
		t.Fatalf("login on B with the password changed on A: %v", err)
	}
}

// TestTwoServersShareQuota: uploads through two servers at once against
// one user's quota never exceed it together (each server alone would let
// its own half through), and what was refused was refused for the quota.
func TestTwoServersShareQuota(t *testing.T) {
	ctx := context.Background()
	c := cloudSettings(t)
	a, b := startCloud(t, c), startCloud(t, c)
	reg := dialTo(t, a)
	if err := reg.Register(ctx, "bob", "bob's password"); err != nil {
		t.Fatal(err)
	}
	const quota = 1 << 20
	if err := a.Service.SetQuota(ctx, "bob", quota); err != nil {
		t.Fatal(err)
	}
	if err := b.Users.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, 200<<10)
	rand.Read(payload)
	local := filepath.Join(t.TempDir(), "part.bin")
	if err := os.WriteFile(local, payload, 0o600); err != nil {
		t.Fatal(err)
	}
	const uploads = 8 // 1.6 MiB in all; 800 KiB through each server
	var wg sync.WaitGroup
	var mu sync.Mutex
	stored := 0
	for i := range uploads {
		d := a
		if i%2 == 1 {
			d = b
		}
		cl := dialTo(t, d)
		if _, err := cl.Login(ctx, "bob", "bob's password"); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			f, err := os.Open(local)
			if err != nil {
				t.Error(err)
				return
			}
			defer f.Close()
			_, err = cl.Put(ctx, f, fmt.Sprintf("part%d.bin", i), client.PutOptions{})
			var perr *proto.Error
			switch {
			case err == nil:
				mu.Lock()
				stored++
				mu.Unlock()
			case !errors.As(err, &perr) || perr.Code != proto.CodeQuotaExceeded:
				t.Errorf("put %d: %v; want success or quota exceeded", i, err)
			}
		})
	}
	wg.Wait()
	cl := dialTo(t, b)
	if _, err := cl.Login(ctx, "bob", "bob's password"); err != nil {
		t.Fatal(err)
	}
	entries, err := cl.List(ctx, ".")
	if err != nil {
		t.Fatal(err)
	}
	var charged int64
	for _, e := range entries {
		charged += e.Size + 4<<10 // the entry charge
	}
	if charged > quota || len(entries) != stored {
		t.Fatalf("%d files stored (%d said so), charging %d bytes against a quota of %d", len(entries), stored, charged, quota)
	}
	if fit := quota / (len(payload) + 4<<10); stored != fit {
		t.Fatalf("%d uploads of 200 KiB stored against a quota of 1 MiB; want the %d that fit", stored, fit)
	}
}

// TestTwoServersShareLoginFailures: wrong passwords spread over two
// servers meet one limit. Three failures on each (six: one more than the
// five a user is allowed) block the next attempt on either, which each
// server alone, at three, would still have let through.
func TestTwoServersShareLoginFailures(t *testing.T) {
	ctx := context.Background()
	c := cloudSettings(t)
	// The default limits, but a first block of a minute: the test must
	// not outlast it.
	limits := service.DefaultLimits
	limits.FirstWaitMS = 60_000
	withLimits := func(cfg *daemon.Config) { cfg.Limits = limits }
	a, b := startCloud(t, c, withLimits), startCloud(t, c, withLimits)
	if err := dialTo(t, a).Register(ctx, "carol", "carol's password"); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		d := a
		if i%2 == 1 {
			d = b
		}
		_, err := dialTo(t, d).Login(ctx, "carol", "a wrong guess")
		if !errors.Is(err, proto.ErrAuthFailed) {
			t.Fatalf("guess %d = %v; want a wrong password", i+1, err)
		}
	}
	for _, d := range []*daemon.Daemon{a, b} {
		_, err := dialTo(t, d).Login(ctx, "carol", "carol's password")
		var perr *proto.Error
		if !errors.As(err, &perr) || perr.Code != proto.CodeRateLimited {
			t.Fatalf("a login after six failures through two servers = %v; want rate limited", err)
		}
	}
}

// TestAdminOnTwoServers: `netdisk admin` talks to one server's socket and
// acts on every server: it lists an account registered through the
// other at once, and disabling it there ends the session the other
// serves.
func TestAdminOnTwoServers(t *testing.T) {
	ctx := context.Background()
	c := cloudSettings(t)
	a, b := startCloud(t, c), startCloud(t, c)
	onB := dialTo(t, b)
	if err := onB.Register(ctx, "dora", "dora's password"); err != nil {
		t.Fatal(err)
	}
	if _, err := onB.Login(ctx, "dora", "dora's password"); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(a.DataDir, admin.SocketName)
	raw, err := admin.Call(ctx, sock, admin.Request{Op: admin.OpUsers})
	if err != nil {
		t.Fatal(err)
	}
	var list []admin.User
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Name != "dora" || list[0].Sessions != 1 {
		t.Fatalf("admin users on A = %+v; want dora, registered and logged in on B, with 1 session", list)
	}
	raw, err = admin.Call(ctx, sock, admin.Request{Op: admin.OpDisable, User: "dora"})
	if err != nil {
		t.Fatal(err)
	}
	var ended admin.Ended
	if err := json.Unmarshal(raw, &ended); err != nil || ended.Sessions != 1 {
		t.Fatalf("admin disable on A ended %d sessions (%v); want 1", ended.Sessions, err)
	}
	if _, err := onB.List(ctx, "."); !errors.Is(err, proto.ErrSessionExpired) && !errors.Is(err, proto.ErrAccountDisabled) {
		t.Fatalf("ls on B after dora was disabled through A = %v", err)
	}
	if _, err := dialTo(t, b).Login(ctx, "dora", "dora's password"); !errors.Is(err, proto.ErrAccountDisabled) {
		t.Fatalf("login on B of an account disabled through A = %v; want disabled", err)
	}
	// With A stopped, netdisk admin on its data folder refuses to work on
	// the folder, which holds none of the accounts.
	if err := a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = admin.Run(ctx, a.DataDir, admin.Request{Op: admin.OpUsers}, nil)
	if err == nil || !strings.Contains(err.Error(), "s3 store") {
		t.Fatalf("netdisk admin on a stopped s3 server's data folder = %v; want a refusal naming the s3 store", err)
	}
}

// TestTwoServersRenameWhileListing: a folder of 1,000 files renamed back
// and forth through A while B lists it: every listing through B shows the
// whole folder under one of its names, never part of it.
func TestTwoServersRenameWhileListing(t *testing.T) {
	ctx := context.Background()
	c := cloudSettings(t)
	a, b := startCloud(t, c), startCloud(t, c)
	onA := dialTo(t, a)
	if err := onA.Register(ctx, "erin", "erin's password"); err != nil {
		t.Fatal(err)
	}
	if _, err := onA.Login(ctx, "erin", "erin's password"); err != nil {
		t.Fatal(err)
	}
	if err := onA.Mkdir(ctx, "x", false); err != nil {
		t.Fatal(err)
	}
	// The files, written through a store of the test's own on the same
	// database and bucket, in one batch.
	const files = 1000
	st, _ := cloudtest.OpenStore(t, c.PostgresURL, c.S3, c.Bucket, c.Prefix)
	sp, err := st.Space(ctx, "erin")
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	commits := make([]storage.Commit, files)
	for i := range commits {
		up, err := sp.TempUpload(ctx, fmt.Sprintf("x/f%04d", i))
		if err != nil {
			t.Fatal(err)
		}
		defer up.Close()
		fmt.Fprintf(up, "file %d", i)
		commits[i] = storage.Commit{Upload: up}
	}
	for i, err := range st.Commit(ctx, commits) {
		if err != nil {
			t.Fatalf("commit %d: %v", i, err)
		}
	}

	onB := dialTo(t, b)
	if _, err := onB.Login(ctx, "erin", "erin's password"); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var renameErr error
	go func() {
		defer close(done)
		names := [2]string{"x", "y"}
		for i := range 60 {
			if renameErr = onA.Move(ctx, names[i%2], names[(i+1)%2]); renameErr != nil {
				return
			}
		}
	}()
	listings, whole := 0, 0
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		for _, name := range []string{"x", "y"} {
			entries, err := onB.List(ctx, name)
			listings++
			switch {
			case errors.Is(err, proto.ErrNotFound):
			case err != nil:
				t.Fatalf("ls %s through B: %v", name, err)
			case len(entries) != files:
				t.Fatalf("ls %s through B while A renamed it showed %d of %d files", name, len(entries), files)
			default:
				whole++
			}
		}
	}
	if renameErr != nil {
		t.Fatal(renameErr)
	}
	if whole == 0 {
		t.Fatalf("none of %d listings through B found the folder", listings)
	}
	t.Logf("%d listings through B, %d of them the whole folder", listings, whole)
}

// TestTwoServersOneIdentity: servers on one bucket present one TLS
// certificate, made by the first and kept in the bucket, so a client that
// pinned it through one reaches the other.
func TestTwoServersOneIdentity(t *testing.T) {
	ctx := context.Background()
	c := cloudSettings(t)
	withTLS := func(cfg *daemon.Config) { cfg.Plaintext = false }
	a := startCloud(t, c, withTLS)
	b := startCloud(t, c, withTLS)
	if !a.NewCert || b.NewCert || a.Fingerprint == "" || a.Fingerprint != b.Fingerprint {
		t.Fatalf("A made a certificate: %v, B: %v; fingerprints %q and %q; want A's, shared", a.NewCert, b.NewCert, a.Fingerprint, b.Fingerprint)
	}
	cl, err := client.Dial(ctx, b.Addr.String(), client.Options{Fingerprint: a.Fingerprint})
	if err != nil {
		t.Fatalf("B with the fingerprint pinned through A: %v", err)
	}
	cl.Close()
}

// s3Proxy forwards connections to an S3 server until cut: then it
// refuses new ones and drops those open, as a network partition would.
type s3Proxy struct {
	ln    net.Listener
	cut   atomic.Bool
	mu    sync.Mutex
	conns []net.Conn
}

func newS3Proxy(t *testing.T, target string) *s3Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &s3Proxy{ln: ln}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); p.drop(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if p.cut.Load() {
				c.Close()
				continue
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			wg.Go(func() { io.Copy(s, c); s.Close() })
			wg.Go(func() { io.Copy(c, s); c.Close() })
		}
	})
	return p
}

// drop closes every connection open through the proxy.
func (p *s3Proxy) drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestServerCutFromBucketFailsClosed: a server that reaches the database
// but not the bucket cannot read users.xlsx, and so refuses logins and
// registrations rather than check them against its stale copy: the old
// password of an account whose password changed through another server
// does not log in, and a registration of an existing name does not move
// its folder aside.
func TestServerCutFromBucketFailsClosed(t *testing.T) {
	ctx := context.Background()
	c := cloudSettings(t)
	a := startCloud(t, c)
	u, err := url.Parse(c.S3.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newS3Proxy(t, u.Host)
	viaProxy := *c
	viaProxy.S3.Endpoint = "http://" + proxy.ln.Addr().String()
	b := startCloud(t, &viaProxy)

	onA := dialTo(t, a)
	if err := onA.Register(ctx, "fay", "fay's old password"); err != nil {
		t.Fatal(err)
	}
	if _, err := onA.Login(ctx, "fay", "fay's old password"); err != nil {
		t.Fatal(err)
	}
	if err := onA.Mkdir(ctx, "keep", false); err != nil {
		t.Fatal(err)
	}
	if _, err := dialTo(t, b).Login(ctx, "fay", "fay's old password"); err != nil {
		t.Fatal(err) // B has read the workbook with fay in it
	}
	proxy.cut.Store(true)
	proxy.drop()
	if _, err := onA.Passwd(ctx, "fay's old password", "fay's new password"); err != nil {
		t.Fatal(err)
	}
	if _, err := dialTo(t, b).Login(ctx, "fay", "fay's old password"); err == nil {
		t.Fatal("B, cut from the bucket, let the old password log in after it changed through A")
	}
	if err := dialTo(t, b).Register(ctx, "fay", "someone else's password"); err == nil {
		t.Fatal("B, cut from the bucket, registered a name taken through A")
	}
	entries, err := onA.List(ctx, ".")
	if err != nil || len(entries) != 1 || entries[0].Name != "keep" {
		t.Fatalf("fay's folder after a registration of her name through B: %+v, %v", entries, err)
	}
}

// TestCloudKeepsFolderCertificate: a server that presented the
// certificate of its data folder before it shared a bucket offers that
// one to the bucket, so clients that pinned it still reach it, and every
// server on the bucket presents it.
func TestCloudKeepsFolderCertificate(t *testing.T) {
	ctx := context.Background()
	dataA := filepath.Join(t.TempDir(), "data")
	if err := certs.Generate(filepath.Join(dataA, "tls")); err != nil {
		t.Fatal(err)
	}
	before, _, err := certs.LoadOrCreate(filepath.Join(dataA, "tls"))
	if err != nil {
		t.Fatal(err)
	}
	c := cloudSettings(t)
	withTLS := func(cfg *daemon.Config) { cfg.Plaintext = false }
	a := startCloud(t, c, withTLS, func(cfg *daemon.Config) { cfg.DataDir = dataA })
	b := startCloud(t, c, withTLS)
	want := certs.Fingerprint(before.Certificate[0])
	if a.Fingerprint != want || b.Fingerprint != want || a.NewCert {
		t.Fatalf("fingerprints %q and %q (A made one: %v); want the data folder's %q on both", a.Fingerprint, b.Fingerprint, a.NewCert, want)
	}
	cl, err := client.Dial(ctx, b.Addr.String(), client.Options{Fingerprint: want})
	if err != nil {
		t.Fatal(err)
	}
	cl.Close()
}

// TestRegistrationsDoNotStarveThePool: a server with a pool of four
// connections to PostgreSQL takes twelve registrations at once. Each name
// being registered holds a connection for its lock, and what runs under
// it needs more (users.xlsx's lock, the new folder); with every
// connection held for names, the registrations waited on each other
// until their timeouts.
func TestRegistrationsDoNotStarveThePool(t *testing.T) {
	c := cloudSettings(t)
	c.PostgresURL += "&pool_max_conns=4"
	if !strings.Contains(c.PostgresURL, "?") {
		t.Fatalf("the test database's URL has no query to add to: %s", c.PostgresURL)
	}
	a := startCloud(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i := range 12 {
		cl := dialTo(t, a)
		wg.Go(func() {
			if err := cl.Register(ctx, fmt.Sprintf("crowd%02d", i), "a password of theirs"); err != nil {
				t.Errorf("registration %d: %v", i, err)
			}
		})
	}
	wg.Wait()
}
