package digest

import (
	"bytes"
	"errors"
	"fmt"
	"math/bits"
	"reflect"
	"testing"

	"lukechampine.com/blake3"
)

// marshalled returns the state after hashing msg in one write.
func marshalled(t testing.TB, msg []byte) []byte {
	t.Helper()
	h := New()
	h.Write(msg)
	b, err := h.MarshalBinary()
	if err != nil {
		t.Fatalf("MarshalBinary: %v", err)
	}
	return b
}

// TestMarshalContinue saves the state at many points of a message, restores
// it in a fresh Hasher, and finishes there: the digest and the marks must
// be those of hashing the message in one pass.
func TestMarshalContinue(t *testing.T) {
	const size = 2*mib + 3*pieceSize + 12345
	msg := data(t, size)
	want := blake3.Sum256(msg)
	whole := New()
	whole.Write(msg)
	wantMarks := whole.Marks()
	if wantMarks.Level != 6 {
		t.Fatalf("test message reaches marks level %d, want 6", wantMarks.Level)
	}

	cuts := []int{
		0, 1, 63, 1023, 1024, 1025, // inside the first chunk and piece
		pieceSize - 1, pieceSize, pieceSize + 1, // piece boundary
		5*pieceSize + 517,                                           // mid-chunk
		mib - 1, mib, mib + 1, mib + pieceSize, mib + pieceSize + 1, // the marks' level rises to 5
		2 * mib, 2*mib + pieceSize, 2*mib + pieceSize + 1, // and to 6
		size - pieceSize, size - 1, size,
	}
	for _, cut := range cuts {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			first := New()
			writeSplit(t, first, msg[:cut], randomSizes(uint64(cut)))
			state, err := first.MarshalBinary()
			if err != nil {
				t.Fatalf("MarshalBinary: %v", err)
			}

			var second Hasher
			if err := second.UnmarshalBinary(state); err != nil {
				t.Fatalf("UnmarshalBinary: %v", err)
			}
			if second.Len() != int64(cut) {
				t.Errorf("restored Len = %d, want %d", second.Len(), cut)
			}
			if again, _ := second.MarshalBinary(); !bytes.Equal(again, state) {
				t.Errorf("state does not round-trip")
			}
			if got, want := second.Marks(), first.Marks(); !reflect.DeepEqual(got, want) {
				t.Errorf("restored marks differ from the saved ones")
			}
			second.Write(msg[cut:])
			if got := second.Sum(nil); !bytes.Equal(got, want[:]) {
				t.Errorf("Sum after restore = %x, want %x", got, want)
			}
			if got := second.Marks(); !reflect.DeepEqual(got, wantMarks) {
				t.Errorf("marks after restore: %d at level %d, differ from one pass (%d at level %d)",
					len(got.CVs), got.Level, len(wantMarks.CVs), wantMarks.Level)
			}
		})
	}
}

// TestStateSize checks the bound the package promises: a state is at most
// a piece of buffered bytes plus a few KiB.
func TestStateSize(t *testing.T) {
	for _, size := range []int{0, 1, pieceSize, 63 * pieceSize, 64*mib - 1} {
		if n := len(marshalled(t, data(t, size))); n > 21*kib {
			t.Errorf("state after %d bytes is %d bytes long", size, n)
		}
	}
}

// region names the part of an encoded state a byte is in, and whether a
// damaged byte there can be caught.
type region struct {
	name      string
	checkable bool
}

// layout maps each byte of the encoded state of h to its region. Only the
// buffered bytes and the stack's subtrees below the marks' level are
// unchecked: nothing else in the state says what they should be.
func layout(h *Hasher) []region {
	var r []region
	add := func(n int, name string, checkable bool) {
		for range n {
			r = append(r, region{name, checkable})
		}
	}
	add(stateHeaderLen, "header", true)
	level := markLevel(h.counter)
	for i := range 64 {
		if h.counter&(1<<i) != 0 {
			add(cvSize, fmt.Sprintf("stack[%d]", i), i >= level)
		}
	}
	add(h.buflen, "buffer", false)
	add(2, "marks header", true)
	add(int(h.counter>>level)*cvSize, "marks", true)
	return r
}

// TestUnmarshalRejects damages valid states in every way a file or a
// network can and checks that each is rejected with ErrBadState, except
// the damage that no check can see, which must then round-trip as given.
func TestUnmarshalRejects(t *testing.T) {
	for _, size := range []int{0, 1, 1025, pieceSize, pieceSize + 1, 3*pieceSize + 100, mib + pieceSize + 9, 3*mib + 7} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			msg := data(t, size)
			h := New()
			h.Write(msg)
			state, _ := h.MarshalBinary()
			regions := layout(h)
			if len(regions) != len(state) {
				t.Fatalf("layout covers %d bytes of a %d-byte state", len(regions), len(state))
			}

			reject := func(what string, b []byte) {
				t.Helper()
				var g Hasher
				g.Write([]byte("untouched"))
				before, _ := g.MarshalBinary()
				err := g.UnmarshalBinary(b)
				if !errors.Is(err, ErrBadState) {
					t.Fatalf("%s: UnmarshalBinary = %v, want ErrBadState", what, err)
				}
				if after, _ := g.MarshalBinary(); !bytes.Equal(after, before) {
					t.Fatalf("%s: rejected state changed the Hasher", what)
				}
			}
			for n := range len(state) {
				reject(fmt.Sprintf("truncated to %d bytes", n), state[:n])
			}
			for _, tail := range [][]byte{{0}, {1}, bytes.Repeat([]byte{0}, cvSize), bytes.Repeat([]byte{0xff}, 1000)} {
				reject(fmt.Sprintf("extended by %d bytes", len(tail)), append(state[:len(state):len(state)], tail...))
			}

			flipped := make([]byte, len(state))
			for i, r := range regions {
				// Every bit of the checkable regions; a sample of the buffer.
				if r.name == "buffer" && i%97 != 0 && i != len(state)-1 {
					continue
				}
				for bit := range 8 {
					copy(flipped, state)
					flipped[i] ^= 1 << bit
					what := fmt.Sprintf("bit %d of byte %d (%s) flipped", bit, i, r.name)
					if r.checkable {
						reject(what, flipped)
						continue
					}
					var g Hasher
					if err := g.UnmarshalBinary(flipped); err != nil {
						t.Fatalf("%s: UnmarshalBinary = %v, want it accepted", what, err)
					}
					if again, _ := g.MarshalBinary(); !bytes.Equal(again, flipped) {
						t.Fatalf("%s: accepted state does not round-trip", what)
					}
				}
			}
		})
	}
}

// TestUnmarshalInconsistent builds states that are well formed byte by
// byte but say impossible things.
func TestUnmarshalInconsistent(t *testing.T) {
	valid := marshalled(t, data(t, 3*pieceSize+100))
	put := func(off int, v uint64) []byte {
		b := bytes.Clone(valid)
		for i := range 8 {
			b[off+i] = byte(v >> (56 - 8*i))
		}
		return b
	}
	cases := []struct {
		name  string
		state []byte
	}{
		{"empty", nil},
		{"version 0", append([]byte{0}, valid[1:]...)},
		{"version 2", append([]byte{2}, valid[1:]...)},
		{"length past int64", put(1, 1<<63)},
		{"length all ones", put(1, ^uint64(0))},
		{"counter not whole pieces", put(9, 3*pieceChunks+1)},
		{"counter past length", put(9, 4*pieceChunks)},
		{"counter huge", put(9, ^uint64(0)&^(pieceChunks-1))},
		{"nothing buffered after pieces", put(1, 3*pieceSize)},
		{"more than a piece buffered", put(1, 4*pieceSize+1)},
		{"marks level wrong", func() []byte { b := bytes.Clone(valid); b[len(b)-2-3*cvSize] = 5; return b }()},
		{"marks count wrong", func() []byte { b := bytes.Clone(valid); b[len(b)-1-3*cvSize] = 2; return b }()},
		{"marks swapped", func() []byte {
			b := bytes.Clone(valid)
			m := b[len(b)-3*cvSize:]
			a := bytes.Clone(m[:cvSize])
			copy(m, m[cvSize:2*cvSize])
			copy(m[cvSize:], a)
			return b
		}()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var h Hasher
			err := h.UnmarshalBinary(tc.state)
			if !errors.Is(err, ErrBadState) {
				t.Fatalf("UnmarshalBinary = %v, want ErrBadState", err)
			}
			t.Log(err)
		})
	}
	// The cases above must be damage to a state that is otherwise valid.
	var h Hasher
	if err := h.UnmarshalBinary(valid); err != nil || bits.OnesCount64(h.counter) != 2 {
		t.Fatalf("valid state: %v, counter %d", err, h.counter)
	}
}

func TestMarksMarshal(t *testing.T) {
	h := New()
	h.Write(data(t, 5*mib+3))
	m := h.Marks()
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatalf("MarshalBinary: %v", err)
	}
	var got Marks
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatalf("UnmarshalBinary: %v", err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("marks do not round-trip")
	}

	for n := range len(b) {
		if err := new(Marks).UnmarshalBinary(b[:n]); !errors.Is(err, ErrBadState) {
			t.Errorf("truncated to %d bytes: %v, want ErrBadState", n, err)
		}
	}
	bad := []struct {
		name  string
		marks []byte
	}{
		{"extended", append(bytes.Clone(b), 0)},
		{"version", append([]byte{2}, b[1:]...)},
		{"level 3", append([]byte{1, 3}, b[2:]...)},
		{"level 53", append([]byte{1, 53}, b[2:]...)},
		{"count short", append([]byte{1, b[1], b[2] - 1}, b[3:]...)},
		{"64 marks", append([]byte{1, 4, 64}, make([]byte, 64*cvSize)...)},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if err := new(Marks).UnmarshalBinary(tc.marks); !errors.Is(err, ErrBadState) {
				t.Errorf("UnmarshalBinary = %v, want ErrBadState", err)
			}
		})
	}
	for _, m := range []Marks{{Level: 3}, {Level: 53}, {Level: 4, CVs: make([][32]byte, 64)}} {
		if _, err := m.MarshalBinary(); !errors.Is(err, ErrBadState) {
			t.Errorf("MarshalBinary of %d marks at level %d = %v, want ErrBadState", len(m.CVs), m.Level, err)
		}
	}
}
