package users

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost parameters used for new hashes.
type Params struct {
	Time      uint32 // passes over memory
	MemoryKiB uint32
	Threads   uint8
	KeyLen    uint32 // bytes
	SaltLen   uint32 // bytes
}

// DefaultParams is OWASP's recommended argon2id configuration
// (19 MiB, two passes, one lane).
var DefaultParams = Params{Time: 2, MemoryKiB: 19 * 1024, Threads: 1, KeyLen: 32, SaltLen: 16}

// Hasher hashes and verifies passwords with argon2id. Each computation
// holds MemoryKiB of memory for tens of milliseconds, so a Hasher lets only
// a bounded number run at once and makes the rest wait their turn; a flood
// of logins then costs time, not memory. A Hasher is safe for concurrent use.
type Hasher struct {
	params    Params
	slots     chan struct{} // one token per computation in progress
	running   atomic.Int32
	dummySalt []byte
	dummyKey  []byte
	returning atomic.Bool // a return of memory to the OS is scheduled
}

// NewHasher returns a Hasher making new hashes with p and running at most
// maxConcurrent argon2 computations at once; maxConcurrent <= 0 means
// runtime.NumCPU(). Parameters out of range make Hash fail.
func NewHasher(p Params, maxConcurrent int) *Hasher {
	if maxConcurrent <= 0 {
		maxConcurrent = runtime.NumCPU()
	}
	h := &Hasher{params: p, slots: make(chan struct{}, maxConcurrent)}
	// VerifyDummy compares against a key of the real length so that it
	// spends the same effort as a real comparison.
	h.dummySalt = make([]byte, max(p.SaltLen, minSaltLen))
	h.dummyKey = make([]byte, max(p.KeyLen, minKeyLen))
	return h
}

// Hash returns the standard encoded form of an argon2id hash of password
// with a fresh random salt:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
//
// with salt and key in unpadded standard base64. It waits for a free slot
// and returns ctx.Err() if ctx ends first. A password longer than
// MaxPasswordLen bytes is refused with ErrBadPassword.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := checkParams(h.params); err != nil {
		return "", fmt.Errorf("argon2 parameters: %w", err)
	}
	if len(password) > MaxPasswordLen {
		return "", fmt.Errorf("%w: use at most %d bytes", ErrBadPassword, MaxPasswordLen)
	}
	salt := make([]byte, h.params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("generating salt: %w", err)
	}
	key, err := h.compute(ctx, password, salt, h.params)
	if err != nil {
		return "", err
	}
	return encodedHash{params: h.params, salt: salt, key: key}.encode(), nil
}

// Verify reports whether password matches the encoded hash. The cost
// parameters come from the encoded hash, not from the Hasher, so hashes
// made with older parameters keep working; they are validated first
// (version 19, m <= MaxMemoryKiB, t and p in 1..16, key 16..64 bytes, salt
// 8..64 bytes) and a hash outside those bounds is an error wrapping
// ErrBadHash. A password longer than MaxPasswordLen bytes never matches,
// since Hash refuses to make one.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) (bool, error) {
	e, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	if len(password) > MaxPasswordLen {
		return false, nil
	}
	key, err := h.compute(ctx, password, e.salt, e.params)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(key, e.key) == 1, nil
}

// VerifyDummy spends the same work as a Verify against a hash made with the
// Hasher's parameters, and always reports false. Callers use it for unknown
// user names so that the response time does not reveal which names exist.
func (h *Hasher) VerifyDummy(ctx context.Context, password string) bool {
	p := h.params
	p.SaltLen, p.KeyLen = uint32(len(h.dummySalt)), uint32(len(h.dummyKey))
	if checkParams(p) != nil || len(password) > MaxPasswordLen {
		return false
	}
	key, err := h.compute(ctx, password, h.dummySalt, p)
	if err != nil {
		return false
	}
	_ = subtle.ConstantTimeCompare(key, h.dummyKey)
	return false
}

// Running reports how many argon2 computations are in progress.
func (h *Hasher) Running() int {
	return int(h.running.Load())
}

// compute runs argon2id once a slot is free.
func (h *Hasher) compute(ctx context.Context, password string, salt []byte, p Params) ([]byte, error) {
	if err := h.acquire(ctx); err != nil {
		return nil, err
	}
	defer h.release()
	h.running.Add(1)
	// Collect before taking MemoryKiB as well as after: a block another
	// computation has just dropped is then reused, not stacked beside
	// this one (without it a burst of logins on a busy machine peaked
	// near four blocks resident where two slots need two).
	runtime.GC()
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, p.KeyLen)
	// The MemoryKiB block argon2 just dropped is garbage now; collecting
	// it at once lets the next computation reuse it. Left to the pacer, a
	// burst of logins stacks up several dead blocks per live one (the heap
	// goal is twice the live heap, and the live heap is mostly these
	// blocks) before a collection runs. A collection of this server's
	// small heap costs far less than the hash itself.
	runtime.GC()
	if h.running.Add(-1) == 0 {
		h.returnMemory()
	}
	return key, nil
}

// returnMemory gives the memory of finished argon2 runs back to the OS.
// Each run allocates MemoryKiB (19 MiB by default) and drops it; Go would
// keep those pages for reuse, so one login would leave a server that moves
// files in a few MiB holding tens of MiB for minutes. Once no computation
// is running, and at most once a second whatever the login rate, the
// memory is handed back.
func (h *Hasher) returnMemory() {
	if !h.returning.CompareAndSwap(false, true) {
		return
	}
	time.AfterFunc(time.Second, func() {
		if h.running.Load() == 0 {
			debug.FreeOSMemory()
		}
		h.returning.Store(false)
	})
}

// acquire waits for a free computation slot or for ctx to end.
func (h *Hasher) acquire(ctx context.Context) error {
	// A context that has already ended must not win a free slot by chance.
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release frees a slot taken by acquire.
func (h *Hasher) release() { <-h.slots }
