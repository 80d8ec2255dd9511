package pipehash

import (
	"bytes"
	"crypto/sha256"
	"math/rand/v2"
	"testing"
)

func TestMatchesInlineHash(t *testing.T) {
	data := make([]byte, 5<<20+123)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for _, size := range []int{1, 4096, 1 << 20} {
		p := New(sha256.New(), size, 3)
		for off := 0; off < len(data); {
			b := p.Buffer()
			n := copy(b[:min(len(b), rng.IntN(size)+1)], data[off:])
			p.Submit(b[:n])
			off += n
		}
		want := sha256.Sum256(data)
		if got := p.Sum(); !bytes.Equal(got, want[:]) {
			t.Fatalf("buffer size %d: hash differs", size)
		}
		if p.Submitted() != int64(len(data)) {
			t.Fatalf("Submitted = %d", p.Submitted())
		}
		p.Close() // idempotent
	}
}

func TestContinuesAPrefixHash(t *testing.T) {
	h := sha256.New()
	h.Write([]byte("prefix "))
	p := New(h, 8, 2)
	b := p.Buffer()
	p.Submit(append(b[:0], "and rest"...))
	want := sha256.Sum256([]byte("prefix and rest"))
	if got := p.Sum(); !bytes.Equal(got, want[:]) {
		t.Fatal("prefix state lost")
	}
}

func BenchmarkPipelined(b *testing.B) {
	src := make([]byte, 1<<20)
	dst := make([]byte, 1<<20)
	b.SetBytes(int64(len(src)))
	p := New(sha256.New(), 1<<20, 4)
	for b.Loop() {
		buf := p.Buffer()
		copy(buf, src)
		copy(dst, buf)
		p.Submit(buf)
	}
	p.Sum()
}

func BenchmarkInline(b *testing.B) {
	src := make([]byte, 1<<20)
	dst := make([]byte, 1<<20)
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(len(src)))
	h := sha256.New()
	for b.Loop() {
		copy(buf, src)
		h.Write(buf)
		copy(dst, buf)
	}
	h.Sum(nil)
}
