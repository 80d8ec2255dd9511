package users

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5/pgxpool"

	"netdisk/internal/cloudtest"
	"netdisk/internal/pgtest"
	"netdisk/internal/s3test"
)

func TestMain(m *testing.M) { cloudtest.Main(m) }

// sharedPlace is one bucket and database for registries to share.
type sharedPlace struct {
	cfg ObjectConfig
}

func newSharedPlace(t *testing.T) sharedPlace {
	t.Helper()
	e := s3test.New(t)
	db, err := pgxpool.New(context.Background(), pgtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return sharedPlace{cfg: ObjectConfig{S3: s3test.Client(e), Bucket: e.Bucket, Key: "netdisk/users.xlsx", DB: db}}
}

// open opens a registry on the shared place, closed when the test ends.
func (sp sharedPlace) open(t *testing.T, hooks testHooks) (*Registry, *logRecords) {
	t.Helper()
	logs := &logRecords{}
	r, err := openObject(sp.cfg, slog.New(logs), hooks)
	if err != nil {
		t.Fatalf("OpenObject: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r, logs
}

// download copies the workbook object to a file, as an administrator
// would fetch it to edit it.
func (sp sharedPlace) download(t *testing.T) string {
	t.Helper()
	out, err := sp.cfg.S3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &sp.cfg.Bucket, Key: &sp.cfg.Key})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "users.xlsx")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// upload puts a file back as the workbook object, as an administrator
// would with a plain upload (no metadata, no condition).
func (sp sharedPlace) upload(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(path)
	defer f.Close()
	_, err = sp.cfg.S3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &sp.cfg.Bucket, Key: &sp.cfg.Key, Body: f, ContentLength: aws.Int64(int64(len(data)))})
	if err != nil {
		t.Fatal(err)
	}
}

// TestObjectSharedByTwoRegistries: two servers' registries on one object.
// Registrations spread over both are all kept (none overwrites the
// other's workbook); of one name registered through both at once, one
// wins; an update through one is seen by the other; and neither rewrites
// the workbook merely because the other did.
func TestObjectSharedByTwoRegistries(t *testing.T) {
	ctx := context.Background()
	sp := newSharedPlace(t)
	fast := testHooks{watchEvery: 20 * time.Millisecond}
	a, _ := sp.open(t, fast)
	b, _ := sp.open(t, fast)
	hash := cheapHash(t, "a password")
	const n = 60
	var wg sync.WaitGroup
	for i := range n {
		r := a
		if i%2 == 1 {
			r = b
		}
		wg.Go(func() {
			if err := r.Add(ctx, User{Name: fmt.Sprintf("user%03d", i), PasswordHash: hash}); err != nil {
				t.Errorf("Add user%03d: %v", i, err)
			}
		})
	}
	var won sync.Map
	for _, r := range []*Registry{a, b} {
		wg.Go(func() {
			err := r.Add(ctx, User{Name: "contested", PasswordHash: hash})
			switch {
			case err == nil:
				won.Store(r, true)
			case !errors.Is(err, ErrExists):
				t.Errorf("Add contested: %v", err)
			}
		})
	}
	wg.Wait()
	winners := 0
	won.Range(func(any, any) bool { winners++; return true })
	if winners != 1 {
		t.Fatalf("%d registrations of one name through two servers succeeded; want 1", winners)
	}
	for _, r := range []*Registry{a, b} {
		if err := r.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if got := r.Len(); got != n+1 {
			t.Fatalf("a registry holds %d users; want %d", got, n+1)
		}
	}
	// What a third server would read: the object itself.
	c, _ := sp.open(t, testHooks{watchEvery: time.Hour})
	if got := c.Len(); got != n+1 {
		t.Fatalf("the workbook object holds %d users; want %d", got, n+1)
	}
	if err := a.Update(ctx, "user001", func(u *User) error { u.QuotaBytes = 777; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := b.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if u, _ := b.Get("user001"); u.QuotaBytes != 777 {
		t.Fatalf("an update through A is not seen through B: quota %d", u.QuotaBytes)
	}
	// Neither rewrites what the other wrote: quiet ticks write nothing.
	before := a.rewrites.Load() + b.rewrites.Load()
	for range 5 {
		a.Refresh(ctx)
		b.Refresh(ctx)
	}
	if after := a.rewrites.Load() + b.rewrites.Load(); after != before {
		t.Fatalf("%d rewrites with nothing to change (the servers answer each other's writes)", after-before)
	}
}

// TestObjectAdminEdit: an administrator downloads the workbook, edits it
// while users register, and uploads it again. Every server takes the
// edit, and the users registered meanwhile are kept (the copy is read
// against the version it came from); the edit is told to the owner.
func TestObjectAdminEdit(t *testing.T) {
	ctx := context.Background()
	sp := newSharedPlace(t)
	a, _ := sp.open(t, testHooks{watchEvery: time.Hour})
	b, _ := sp.open(t, testHooks{watchEvery: time.Hour})
	hash := cheapHash(t, "a password")
	for _, name := range []string{"alice", "bob"} {
		if err := a.Add(ctx, User{Name: name, PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
	}
	b.Refresh(ctx) // B has seen the version the administrator downloads
	copyPath := sp.download(t)
	if err := b.Add(ctx, User{Name: "carol", PasswordHash: hash}); err != nil { // while the spreadsheet is open
		t.Fatal(err)
	}
	var told []Edit
	var mu sync.Mutex
	b.OnExternalEdit(func(e []Edit) { mu.Lock(); told = append(told, e...); mu.Unlock() })
	editWorkbook(t, copyPath, func(bk *book) { bk.set("alice", colQuota, 5000); bk.set("bob", colDisabled, "yes") })
	sp.upload(t, copyPath)
	if err := b.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Registry{a, b} {
		alice, _ := r.Get("alice")
		bob, _ := r.Get("bob")
		if _, ok := r.Get("carol"); !ok || alice.QuotaBytes != 5000 || !bob.Disabled {
			t.Fatalf("after the edit: carol kept %v, alice's quota %d, bob disabled %v", ok, alice.QuotaBytes, bob.Disabled)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(told) != 2 {
		t.Fatalf("the owner was told of %d edits; want 2 (alice, bob)", len(told))
	}
}

// TestObjectUnreadableEditKeptAside: an upload that is not a workbook is
// refused whole, kept aside as another object, and written over with the
// accounts.
func TestObjectUnreadableEditKeptAside(t *testing.T) {
	ctx := context.Background()
	sp := newSharedPlace(t)
	a, _ := sp.open(t, testHooks{watchEvery: time.Hour})
	if err := a.Add(ctx, User{Name: "alice", PasswordHash: cheapHash(t, "a password")}); err != nil {
		t.Fatal(err)
	}
	junk := filepath.Join(t.TempDir(), "junk.xlsx")
	os.WriteFile(junk, []byte("not a workbook"), 0o600)
	sp.upload(t, junk)
	if err := a.Refresh(ctx); err == nil {
		t.Fatal("Refresh of an unreadable workbook = nil")
	}
	if err := a.Add(ctx, User{Name: "bob", PasswordHash: cheapHash(t, "a password")}); err != nil {
		t.Fatal(err)
	}
	c, _ := sp.open(t, testHooks{watchEvery: time.Hour})
	if c.Len() != 2 {
		t.Fatalf("the workbook holds %d users; want 2", c.Len())
	}
	list, err := sp.cfg.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &sp.cfg.Bucket, Prefix: aws.String(sp.cfg.Key + ".unreadable-")})
	if err != nil || len(list.Contents) != 1 {
		t.Fatalf("objects kept aside: %v, %v; want 1", list, err)
	}
}

// TestObjectOldVersionCopiedBack: an old version of the workbook copied
// back in the bucket (a restore of a backup, with its metadata) is read
// as an edit against the version it came from, as on local disk: the
// accounts added since are kept.
func TestObjectOldVersionCopiedBack(t *testing.T) {
	ctx := context.Background()
	sp := newSharedPlace(t)
	a, _ := sp.open(t, testHooks{watchEvery: time.Hour})
	hash := cheapHash(t, "a password")
	if err := a.Add(ctx, User{Name: "alice", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	backup := sp.cfg.Key + ".backup"
	copyObject := func(from, to string) {
		t.Helper()
		_, err := sp.cfg.S3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &sp.cfg.Bucket, Key: &to, CopySource: aws.String(sp.cfg.Bucket + "/" + from)})
		if err != nil {
			t.Fatal(err)
		}
	}
	copyObject(sp.cfg.Key, backup)
	if err := a.Add(ctx, User{Name: "bob", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	copyObject(backup, sp.cfg.Key)
	if err := a.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.Get("bob"); !ok {
		t.Fatal("bob, added after the backup, is gone once the backup was copied back")
	}
}

// TestObjectEditDuringWrite: an administrator's upload that lands between
// a registry's look and its write makes the write fail its condition,
// not overwrite the upload: the registry reads the edit and writes again,
// and both the change it was writing and the edit are kept.
func TestObjectEditDuringWrite(t *testing.T) {
	ctx := context.Background()
	sp := newSharedPlace(t)
	a, _ := sp.open(t, testHooks{watchEvery: time.Hour})
	hash := cheapHash(t, "a password")
	if err := a.Add(ctx, User{Name: "alice", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	edited := sp.download(t)
	editWorkbook(t, edited, func(bk *book) { bk.set("alice", colQuota, 4242) })
	var once sync.Once
	b, _ := sp.open(t, testHooks{watchEvery: time.Hour, beforeRename: func() error {
		once.Do(func() { sp.upload(t, edited) })
		return nil
	}})
	if err := b.Add(ctx, User{Name: "bob", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	c, _ := sp.open(t, testHooks{watchEvery: time.Hour})
	alice, _ := c.Get("alice")
	if _, ok := c.Get("bob"); !ok || alice.QuotaBytes != 4242 {
		t.Fatalf("the workbook holds bob: %v, alice's quota %d; want both the registration and the edit", ok, alice.QuotaBytes)
	}
}
