package digest

import (
	"math/rand/v2"
	"sync"
	"testing"
)

const (
	kib = 1 << 10
	mib = 1 << 20
)

// testData is 64 MiB of fixed pseudo-random bytes; tests hash prefixes of
// it. Generated once, since several tests need tens of MiB.
var testData = sync.OnceValue(func() []byte {
	b := make([]byte, 64*mib)
	rand.NewChaCha8([32]byte{'n', 'e', 't', 'd', 'i', 's', 'k'}).Read(b)
	return b
})

// data returns the first n bytes of testData.
func data(t testing.TB, n int) []byte {
	t.Helper()
	d := testData()
	if n > len(d) {
		t.Fatalf("test wants %d bytes of data, only %d available", n, len(d))
	}
	return d[:n:n]
}

// writeSplit writes p to h in pieces whose sizes come from next, which
// returns a positive size.
func writeSplit(t testing.TB, h *Hasher, p []byte, next func() int) {
	t.Helper()
	for len(p) > 0 {
		k := min(next(), len(p))
		n, err := h.Write(p[:k])
		if n != k || err != nil {
			t.Fatalf("Write(%d bytes) = %d, %v", k, n, err)
		}
		p = p[k:]
	}
}

// randomSizes returns a generator of write sizes mixing tiny writes,
// writes around a piece boundary and large ones, so that a message's
// pieces start at every kind of offset within a write.
func randomSizes(seed uint64) func() int {
	r := rand.New(rand.NewPCG(seed, 0))
	return func() int {
		switch r.IntN(4) {
		case 0:
			return 1 + r.IntN(100)
		case 1:
			return pieceSize - 3 + r.IntN(7)
		case 2:
			return 1 + r.IntN(3*pieceSize)
		default:
			return 1 + r.IntN(300*kib)
		}
	}
}
