package hashcopy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func TestCopy(t *testing.T) {
	tests := []struct {
		name    string
		size    int   // bytes in the source
		n       int64 // bytes asked for
		wantErr error // io.EOF when the source is short
		src     func([]byte) io.Reader
	}{
		{"empty", 0, 0, nil, nil},
		{"small exact", 4096, 4096, nil, nil},
		{"small limit", 4096, 100, nil, nil},
		{"small short", 100, 4096, io.EOF, nil},
		{"at the small limit", smallCopy, smallCopy, nil, nil},
		{"just over", smallCopy + 1, smallCopy + 1, nil, nil},
		{"large", 5<<20 + 123, 5<<20 + 123, nil, nil},
		{"large limit", 5<<20 + 123, 3<<20 + 7, nil, nil},
		{"large short", 3<<20 + 7, 5 << 20, io.EOF, nil},
		{"large one byte reads", 600 << 10, 600 << 10, nil, func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) }},
		{"large half reads", 2 << 20, 2 << 20, nil, func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := randomBytes(tt.size)
			var src io.Reader = bytes.NewReader(data)
			if tt.src != nil {
				src = tt.src(data)
			}
			want := data[:min(int64(len(data)), tt.n)]
			var dst bytes.Buffer
			h := sha256.New()
			h.Write([]byte("prefix"))
			var last int64
			n, err := Copy(context.Background(), &dst, src, tt.n, h, func(done int64) {
				if done <= last {
					t.Errorf("progress went from %d to %d", last, done)
				}
				last = done
			})
			if n != int64(len(want)) || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Copy = %d, %v; want %d, %v", n, err, len(want), tt.wantErr)
			}
			if !bytes.Equal(dst.Bytes(), want) {
				t.Fatalf("dst differs from the source's first %d bytes", len(want))
			}
			sum := sha256.Sum256(append([]byte("prefix"), want...))
			if !bytes.Equal(h.Sum(nil), sum[:]) {
				t.Errorf("hash differs from the hash of what was copied")
			}
			if len(want) > 0 && last != int64(len(want)) {
				t.Errorf("last progress %d, want %d", last, len(want))
			}
		})
	}
}

func TestCopyWithoutHash(t *testing.T) {
	data := randomBytes(3 << 20)
	var dst bytes.Buffer
	if n, err := Copy(context.Background(), &dst, bytes.NewReader(data), int64(len(data)), nil, nil); n != int64(len(data)) || err != nil {
		t.Fatalf("Copy = %d, %v", n, err)
	}
	if !bytes.Equal(dst.Bytes(), data) {
		t.Fatal("dst differs")
	}
}

type failingWriter struct{ after int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after -= len(p); w.after < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestCopyErrors(t *testing.T) {
	data := randomBytes(4 << 20)
	t.Run("writer", func(t *testing.T) {
		n, err := Copy(context.Background(), &failingWriter{after: 1 << 20}, bytes.NewReader(data), int64(len(data)), sha256.New(), nil)
		if err == nil || err.Error() != "disk full" || n != 1<<20 {
			t.Errorf("Copy = %d, %v; want 1 MiB then disk full", n, err)
		}
	})
	t.Run("reader", func(t *testing.T) {
		src := io.MultiReader(bytes.NewReader(data[:1<<20]), iotest.ErrReader(errors.New("connection reset")))
		n, err := Copy(context.Background(), io.Discard, src, int64(len(data)), sha256.New(), nil)
		if err == nil || err.Error() != "connection reset" || n != 1<<20 {
			t.Errorf("Copy = %d, %v", n, err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		n, err := Copy(ctx, io.Discard, bytes.NewReader(data), int64(len(data)), sha256.New(), func(done int64) {
			if done >= 1<<20 {
				cancel()
			}
		})
		if !errors.Is(err, context.Canceled) || n >= int64(len(data)) {
			t.Errorf("Copy = %d, %v; want to stop with context.Canceled", n, err)
		}
		if _, err := Copy(ctx, io.Discard, bytes.NewReader(data[:10]), 10, nil, nil); !errors.Is(err, context.Canceled) {
			t.Errorf("small Copy with a cancelled context: %v", err)
		}
	})
}

func BenchmarkCopy(b *testing.B) {
	data := randomBytes(64 << 20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		Copy(context.Background(), io.Discard, bytes.NewReader(data), int64(len(data)), sha256.New(), nil)
	}
}
