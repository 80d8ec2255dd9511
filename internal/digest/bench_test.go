package digest

import (
	"testing"

	"lukechampine.com/blake3"
)

// benchWrite is the write size of the benchmarks: a typical transfer
// buffer.
const benchWrite = 128 * kib

func BenchmarkHasher(b *testing.B) {
	buf := data(b, benchWrite)
	h := New()
	b.SetBytes(benchWrite)
	for b.Loop() {
		h.Write(buf)
	}
}

// BenchmarkSum256Reference is lukechampine's Hasher with the same writes,
// for comparison.
func BenchmarkSum256Reference(b *testing.B) {
	buf := data(b, benchWrite)
	h := blake3.New(32, nil)
	b.SetBytes(benchWrite)
	for b.Loop() {
		h.Write(buf)
	}
}
