package digest

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzUnmarshal feeds UnmarshalBinary arbitrary bytes, seeded with valid
// states of every shape (empty, buffered only, with a stack, with marks at
// a raised level). It must never panic; what it accepts must encode back to
// the same bytes and be usable.
func FuzzUnmarshal(f *testing.F) {
	for _, size := range []int{0, 1, 1025, pieceSize, pieceSize + 1, 3*pieceSize + 100, 64*pieceSize + 1, mib + 2*pieceSize + 3} {
		f.Add(marshalled(f, data(f, size)))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var h Hasher
		if err := h.UnmarshalBinary(b); err != nil {
			if !errors.Is(err, ErrBadState) {
				t.Fatalf("UnmarshalBinary = %v, want an ErrBadState", err)
			}
			return
		}
		again, err := h.MarshalBinary()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted state does not round-trip: %v", err)
		}
		if got, want := h.Marks().Level, markLevel(h.counter); got != want {
			t.Fatalf("marks at level %d, want %d", got, want)
		}
		h.Write(b)
		h.Sum(nil)
	})
}
