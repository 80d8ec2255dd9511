package users

import (
	"context"
	"errors"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestHashVerifyDefaultParams(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(DefaultParams, 0)
	encoded, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	// 16-byte salt and 32-byte key in unpadded base64: 22 and 43 characters.
	std := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !std.MatchString(encoded) {
		t.Fatalf("Hash = %q; not the standard encoded form", encoded)
	}
	tests := []struct {
		name string
		pw   string
		want bool
	}{
		{"correct password", "correct horse", true},
		{"wrong password", "correct horsf", false},
		{"prefix of the password", "correct hors", false},
		{"empty password", "", false},
		{"too long never matches", strings.Repeat("x", MaxPasswordLen+1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.Verify(ctx, encoded, tt.pw)
			if err != nil || got != tt.want {
				t.Fatalf("Verify = %v, %v; want %v, nil", got, err, tt.want)
			}
		})
	}
}

func TestHashSaltsDiffer(t *testing.T) {
	a, b := cheapHash(t, "same password"), cheapHash(t, "same password")
	if a == b {
		t.Fatalf("two hashes of one password are equal: %q", a)
	}
}

func TestHashRefuses(t *testing.T) {
	ctx := context.Background()
	bad := cheapParams()
	bad.MemoryKiB = MaxMemoryKiB + 1
	if _, err := NewHasher(bad, 1).Hash(ctx, "password"); err == nil {
		t.Error("Hash with memory over MaxMemoryKiB succeeded")
	}
	_, err := NewHasher(cheapParams(), 1).Hash(ctx, strings.Repeat("x", MaxPasswordLen+1))
	if !errors.Is(err, ErrBadPassword) {
		t.Errorf("Hash of an over-long password: %v; want ErrBadPassword", err)
	}
}

func TestVerifyRejectsTamperedHashes(t *testing.T) {
	good := cheapHash(t, "password") // $argon2id$v=19$m=64,t=1,p=1$salt$key
	fields := strings.Split(good, "$")
	salt, key := fields[4], fields[5]
	with := func(i int, v string) string {
		f := append([]string(nil), fields...)
		f[i] = v
		return strings.Join(f, "$")
	}
	tests := []struct {
		name    string
		encoded string
	}{
		{"empty", ""},
		{"too few fields", "$argon2id$v=19$m=64,t=1,p=1$" + salt},
		{"too many fields", good + "$extra"},
		{"no leading dollar", strings.TrimPrefix(good, "$")},
		{"argon2i", with(1, "argon2i")},
		{"bcrypt", "$2a$10$abcdefghijklmnopqrstuu5Bv5Xhz3jZ0EHV4T7pU6hXhXxI7ZyF6"},
		{"version 16", with(2, "v=16")},
		{"version missing", with(2, "19")},
		{"memory over the limit", with(3, "m=262145,t=1,p=1")},
		{"memory huge", with(3, "m=4294967295,t=1,p=1")},
		{"memory overflows uint32", with(3, "m=4294967296,t=1,p=1")},
		{"memory below 8 KiB per lane", with(3, "m=7,t=1,p=1")},
		{"time zero", with(3, "m=64,t=0,p=1")},
		{"time 17", with(3, "m=64,t=17,p=1")},
		{"parallelism zero", with(3, "m=64,t=1,p=0")},
		{"parallelism 17", with(3, "m=1024,t=1,p=17")},
		{"parameters reordered", with(3, "t=1,m=64,p=1")},
		{"parameter missing", with(3, "m=64,t=1")},
		{"negative parameter", with(3, "m=-64,t=1,p=1")},
		{"salt bad base64", with(4, "!!!!"+salt[4:])},
		{"salt padded base64", with(4, salt+"==")},
		{"salt too short", with(4, "AAAAAA")},
		{"salt too long", with(4, strings.Repeat("A", 88))},
		{"key bad base64", with(5, key[:len(key)-1]+"*")},
		{"key too short", with(5, key[:20])},
		{"key too long", with(5, strings.Repeat("A", 88))},
		{"huge input", good + strings.Repeat("A", 1<<20)},
	}
	h := NewHasher(cheapParams(), 1)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := h.Verify(context.Background(), tt.encoded, "password")
			if ok || !errors.Is(err, ErrBadHash) {
				t.Fatalf("Verify(%.80q) = %v, %v; want false, ErrBadHash", tt.encoded, ok, err)
			}
		})
	}
	t.Run("the untampered hash verifies", func(t *testing.T) {
		if ok, err := h.Verify(context.Background(), good, "password"); !ok || err != nil {
			t.Fatalf("Verify = %v, %v; want true, nil", ok, err)
		}
	})
}

func TestVerifyDummy(t *testing.T) {
	h := NewHasher(cheapParams(), 1)
	if h.VerifyDummy(context.Background(), "password") {
		t.Fatal("VerifyDummy reported true")
	}
}

func TestHasherBoundsConcurrency(t *testing.T) {
	const limit = 2
	// Enough memory and passes that each computation lasts a few
	// milliseconds, so the computations really overlap.
	h := NewHasher(Params{Time: 2, MemoryKiB: 1024, Threads: 1, KeyLen: 32, SaltLen: 16}, limit)
	encoded, err := h.Hash(context.Background(), "password")
	if err != nil {
		t.Fatal(err)
	}
	var maxSeen atomic.Int32
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if n := int32(h.Running()); n > maxSeen.Load() {
				maxSeen.Store(n)
			}
			runtime.Gosched()
		}
	}()
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			if i%4 == 0 {
				h.VerifyDummy(context.Background(), "password")
				return
			}
			if ok, err := h.Verify(context.Background(), encoded, "password"); !ok || err != nil {
				t.Errorf("Verify = %v, %v", ok, err)
			}
		})
	}
	wg.Wait()
	close(stop)
	<-sampled
	t.Logf("Running() peaked at %d", maxSeen.Load())
	if got := maxSeen.Load(); got > limit || got < 1 {
		t.Fatalf("Running() peaked at %d; want 1..%d", got, limit)
	}
	if n := h.Running(); n != 0 {
		t.Fatalf("Running() = %d after all calls returned", n)
	}
}

func TestHasherWaiterHonoursContext(t *testing.T) {
	h := NewHasher(cheapParams(), 2)
	// Hold both slots so that every call has to wait.
	for range 2 {
		if err := h.acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	defer h.release()
	defer h.release()
	encoded := cheapHash(t, "password")

	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Verify", func(ctx context.Context) error { _, err := h.Verify(ctx, encoded, "password"); return err }},
		{"Hash", func(ctx context.Context) error { _, err := h.Hash(ctx, "password"); return err }},
		{"VerifyDummy", func(ctx context.Context) error { h.VerifyDummy(ctx, "password"); return ctx.Err() }},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := c.call(ctx)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("error = %v; want context.DeadlineExceeded", err)
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Fatalf("returned after %v; want promptly after the deadline", took)
			}
		})
	}
	t.Run("already cancelled", func(t *testing.T) {
		free := NewHasher(cheapParams(), 1)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := free.Hash(ctx, "password"); !errors.Is(err, context.Canceled) {
			t.Fatalf("Hash with a cancelled context: %v; want context.Canceled", err)
		}
	})
}

func TestNewHasherDefaultLimit(t *testing.T) {
	if got := cap(NewHasher(DefaultParams, 0).slots); got != runtime.NumCPU() {
		t.Fatalf("slots = %d; want runtime.NumCPU() = %d", got, runtime.NumCPU())
	}
}
