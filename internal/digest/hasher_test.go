package digest

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"testing"

	"lukechampine.com/blake3"
)

// TestEmptyVector checks the published BLAKE3 test vector for empty input.
func TestEmptyVector(t *testing.T) {
	const want = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
	if got := Sum(nil); hex.EncodeToString(got[:]) != want {
		t.Errorf("Sum(nil) = %x, want %s", got, want)
	}
	if got := New().Sum(nil); hex.EncodeToString(got) != want {
		t.Errorf("New().Sum(nil) = %x, want %s", got, want)
	}
}

// referenceSizes are message sizes around every boundary of the tree: a
// block, a chunk, a piece, a level of marks (64 pieces) and beyond.
var referenceSizes = []int{
	0, 1, 63, 64, 65, 1023, 1024, 1025, 2048,
	16383, 16384, 16385, 32768, 32769,
	pieceSize*64 - 1, pieceSize * 64, pieceSize*64 + 1,
	4*mib - 1, 4 * mib, 4*mib + 1,
	3*mib + 12345, 17*mib + 777, 40*mib - 3,
}

// TestSumMatchesReference compares with lukechampine.com/blake3 for every
// reference size and several ways of splitting the writes.
func TestSumMatchesReference(t *testing.T) {
	splits := []struct {
		name string
		max  int // largest message to split this way, to bound the test's time
		next func() int
	}{
		{"one write", math.MaxInt, nil},
		{"bytes", mib + 1, func() int { return 1 }},
		{"pieces", math.MaxInt, func() int { return pieceSize }},
		{"128KiB", math.MaxInt, func() int { return 128 * kib }},
		{"random", math.MaxInt, randomSizes(1)},
		{"random2", math.MaxInt, randomSizes(2)},
	}
	for _, size := range referenceSizes {
		msg := data(t, size)
		want := blake3.Sum256(msg)
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			if got := Sum(msg); got != want {
				t.Errorf("Sum = %x, want %x", got, want)
			}
			for _, split := range splits {
				if size > split.max {
					continue
				}
				h := New()
				if split.next == nil {
					h.Write(msg)
				} else {
					writeSplit(t, h, msg, split.next)
				}
				if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
					t.Errorf("%s: Sum = %x, want %x", split.name, got, want)
				}
				if h.Len() != int64(size) {
					t.Errorf("%s: Len = %d, want %d", split.name, h.Len(), size)
				}
			}
		})
	}
}

// TestSumKeepsState checks that Sum appends, and that it can be called
// between writes without disturbing the hash of the whole message.
func TestSumKeepsState(t *testing.T) {
	msg := data(t, 5*pieceSize+7)
	h := New()
	for _, cut := range []int{0, 1, pieceSize, pieceSize + 1, 3 * pieceSize, len(msg)} {
		h.Write(msg[h.Len():cut])
		want := blake3.Sum256(msg[:cut])
		prefix := []byte("prefix")
		got := h.Sum(prefix)
		if !bytes.Equal(got[:len(prefix)], []byte("prefix")) || !bytes.Equal(got[len(prefix):], want[:]) {
			t.Errorf("after %d bytes: Sum(%q) = %x, want the prefix then %x", cut, prefix, got, want)
		}
	}
}

func TestReset(t *testing.T) {
	h := New()
	h.Write(data(t, 3*mib))
	h.Reset()
	if h.Len() != 0 || len(h.Marks().CVs) != 0 || h.Marks().Level != 4 {
		t.Fatalf("after Reset: Len %d, marks %d at level %d", h.Len(), len(h.Marks().CVs), h.Marks().Level)
	}
	msg := data(t, 2*pieceSize+5)
	h.Write(msg)
	if got, want := h.Sum(nil), blake3.Sum256(msg); !bytes.Equal(got, want[:]) {
		t.Errorf("after Reset: Sum = %x, want %x", got, want)
	}
}

func TestSizes(t *testing.T) {
	h := New()
	if h.Size() != Size || Size != 32 {
		t.Errorf("Size() = %d, Size = %d, want 32", h.Size(), Size)
	}
	if h.BlockSize() != 64 {
		t.Errorf("BlockSize() = %d, want 64", h.BlockSize())
	}
}
