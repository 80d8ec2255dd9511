package digest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// ErrBadState is wrapped by every error about an encoded Hasher state or
// Marks that cannot be used: truncated, extended, from another version, or
// inconsistent in itself.
var ErrBadState = errors.New("digest: malformed hasher state")

// A Hasher's state, as MarshalBinary writes it (big-endian integers,
// chaining values as BLAKE3 encodes them):
//
//	version  1 byte, stateVersion
//	length   8 bytes, the message length in bytes (Len)
//	counter  8 bytes, chunks compressed, a multiple of 16
//	stack    32 bytes for each bit set in counter, lowest height first
//	buffer   length - counter*1024 bytes not yet compressed (1 to 16384,
//	         or 0 for the empty message)
//	level    1 byte, the marks' level, which counter decides
//	count    1 byte, the number of marks, counter>>level
//	marks    32 bytes for each mark
//
// Everything but the buffer and the stack's subtrees below the marks' level
// is checked on the way in: the stack's higher subtrees are recomputed from
// the marks, so a damaged mark cannot go unnoticed.
const (
	stateVersion   = 1
	stateHeaderLen = 1 + 8 + 8
	marksVersion   = 1
)

// MarshalBinary returns the whole state of h, from which UnmarshalBinary
// continues hashing later, in this process or another. It never fails.
func (h *Hasher) MarshalBinary() ([]byte, error) {
	level := markLevel(h.counter)
	count := int(h.counter >> level)
	b := make([]byte, 0, stateLen(h.counter, h.buflen))
	b = append(b, stateVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(h.Len()))
	b = binary.BigEndian.AppendUint64(b, h.counter)
	for i := range h.stack {
		if h.counter&(1<<i) != 0 {
			cv := cvBytes(h.stack[i])
			b = append(b, cv[:]...)
		}
	}
	b = append(b, h.buf[:h.buflen]...)
	b = append(b, byte(level), byte(count))
	for _, mark := range h.marks[:count] {
		cv := cvBytes(mark)
		b = append(b, cv[:]...)
	}
	return b, nil
}

// stateLen is the length of the encoded state after counter chunks
// compressed and buflen bytes buffered.
func stateLen(counter uint64, buflen int) int {
	count := int(counter >> markLevel(counter))
	return stateHeaderLen + bits.OnesCount64(counter)*cvSize + buflen + 2 + count*cvSize
}

// UnmarshalBinary restores a state written by MarshalBinary, replacing
// everything in h. It checks the encoding strictly; on any error, which
// wraps ErrBadState, h is unchanged.
func (h *Hasher) UnmarshalBinary(b []byte) error {
	var s Hasher
	if err := s.decode(b); err != nil {
		return err
	}
	*h = s
	return nil
}

// decode fills the zero Hasher h from the encoding b.
func (h *Hasher) decode(b []byte) error {
	if len(b) < stateHeaderLen {
		return fmt.Errorf("%w: %d bytes, shorter than its header", ErrBadState, len(b))
	}
	if b[0] != stateVersion {
		return fmt.Errorf("%w: version %d, want %d", ErrBadState, b[0], stateVersion)
	}
	length := binary.BigEndian.Uint64(b[1:])
	counter := binary.BigEndian.Uint64(b[9:])
	b = b[stateHeaderLen:]
	if length > math.MaxInt64 {
		return fmt.Errorf("%w: length %d out of range", ErrBadState, length)
	}
	if counter%pieceChunks != 0 {
		return fmt.Errorf("%w: %d chunks compressed, not a whole number of pieces", ErrBadState, counter)
	}
	if counter > length/chunkSize {
		return fmt.Errorf("%w: %d chunks compressed of a %d-byte message", ErrBadState, counter, length)
	}
	buflen := length - counter*chunkSize
	if buflen > pieceSize || buflen == 0 && counter > 0 {
		// The last piece is always buffered, never compressed.
		return fmt.Errorf("%w: %d bytes buffered after %d chunks", ErrBadState, buflen, counter)
	}
	if want := stateLen(counter, int(buflen)); len(b) != want-stateHeaderLen {
		return fmt.Errorf("%w: %d bytes, want %d for a %d-byte message", ErrBadState, len(b)+stateHeaderLen, want, length)
	}

	h.counter = counter
	for i := range h.stack {
		if counter&(1<<i) != 0 {
			h.stack[i] = cvWords(b)
			b = b[cvSize:]
		}
	}
	h.buflen = copy(h.buf[:], b[:buflen])
	b = b[buflen:]

	level := markLevel(counter)
	count := int(counter >> level)
	if int(b[0]) != level || int(b[1]) != count {
		return fmt.Errorf("%w: %d marks at level %d, want %d at level %d", ErrBadState, b[1], b[0], count, level)
	}
	b = b[2:]
	for i := range count {
		h.marks[i] = cvWords(b[i*cvSize:])
	}
	return h.checkMarks()
}

// checkMarks verifies the marks against the stack: the stack's subtrees
// at or above the marks' level are made of whole marks, each mark in
// exactly one of them, so every mark is checked.
func (h *Hasher) checkMarks() error {
	level := markLevel(h.counter)
	count := int(h.counter >> level)
	start := 0
	for j := bits.Len(uint(count)) - 1; j >= 0; j-- {
		size := 1 << j
		if count&size == 0 {
			continue
		}
		var scratch [maxMarks / 2][8]uint32
		cvs := scratch[:copy(scratch[:], h.marks[start:start+size])]
		for len(cvs) > 1 {
			cvs = mergePairs(cvs)
		}
		if cvs[0] != h.stack[level+j] {
			return fmt.Errorf("%w: marks %d to %d do not match the subtree they make", ErrBadState, start, start+size-1)
		}
		start += size
	}
	return nil
}

// MarshalBinary encodes m: a version byte, the level, the number of marks
// and the marks. It fails, wrapping ErrBadState, if m could not have come
// from a Hasher.
func (m Marks) MarshalBinary() ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, 3+len(m.CVs)*cvSize)
	b = append(b, marksVersion, byte(m.Level), byte(len(m.CVs)))
	for _, cv := range m.CVs {
		b = append(b, cv[:]...)
	}
	return b, nil
}

// UnmarshalBinary decodes marks encoded by MarshalBinary, checking them
// strictly; on any error, which wraps ErrBadState, m is unchanged.
func (m *Marks) UnmarshalBinary(b []byte) error {
	if len(b) < 3 {
		return fmt.Errorf("%w: marks of %d bytes, shorter than their header", ErrBadState, len(b))
	}
	if b[0] != marksVersion {
		return fmt.Errorf("%w: marks version %d, want %d", ErrBadState, b[0], marksVersion)
	}
	count := int(b[2])
	if len(b) != 3+count*cvSize {
		return fmt.Errorf("%w: %d marks in %d bytes", ErrBadState, count, len(b))
	}
	d := Marks{Level: int(b[1]), CVs: make([][32]byte, count)}
	for i := range d.CVs {
		d.CVs[i] = [32]byte(b[3+i*cvSize:])
	}
	if err := d.check(); err != nil {
		return err
	}
	*m = d
	return nil
}
