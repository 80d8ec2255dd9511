package digest

import (
	"encoding"
	"errors"
	"fmt"
	"io"
)

// Marks are the chaining values of consecutive, aligned BLAKE3 subtrees of
// Span() bytes each, from the start of the file: with them the digest of any
// prefix of the file costs at most Span() bytes of hashing.
//
// A Hasher's marks start at Level 4 (16 KiB spans). Each time 64 marks are
// complete, pairs merge into 32 marks of twice the span, so a Hasher never
// holds more than 63, and past the first MiB a span is roughly 1/64 to 1/32
// of the file: a file of exactly 1 GiB has 63 marks of 16 MiB.
type Marks struct {
	// Level is the height of each mark's subtree: it covers 1024<<Level
	// bytes, 2^Level chunks. Valid levels run from 4 to 52.
	Level int
	// CVs[i] is the chaining value of the subtree over bytes
	// [i*Span(), (i+1)*Span()) of the file. There are fewer than 64.
	CVs [][32]byte
}

var (
	_ encoding.BinaryMarshaler   = Marks{}
	_ encoding.BinaryUnmarshaler = (*Marks)(nil)
)

// Marks returns a copy of the marks of the message written so far. They
// cover only compressed pieces, so the last mark ends at least one byte
// before Len.
func (h *Hasher) Marks() Marks {
	level := markLevel(h.counter)
	m := Marks{Level: level, CVs: make([][32]byte, h.counter>>level)}
	for i := range m.CVs {
		m.CVs[i] = cvBytes(h.marks[i])
	}
	return m
}

// Span returns the number of bytes each mark covers, 1024<<m.Level, or 0 if
// the level is out of range.
func (m Marks) Span() int64 {
	if m.Level < pieceHeight || m.Level > maxLevel {
		return 0
	}
	return chunkSize << m.Level
}

// check reports whether m could have come from a Hasher.
func (m Marks) check() error {
	if m.Level < pieceHeight || m.Level > maxLevel {
		return fmt.Errorf("%w: marks level %d outside [%d, %d]", ErrBadState, m.Level, pieceHeight, maxLevel)
	}
	if len(m.CVs) >= maxMarks {
		return fmt.Errorf("%w: %d marks, more than %d", ErrBadState, len(m.CVs), maxMarks-1)
	}
	return nil
}

// prefixReadSize bounds the buffer Prefix reads through, whatever the span.
const prefixReadSize = 256 << 10

// Prefix returns the BLAKE3-256 digest of the first n bytes of the file
// whose marks m are, reading from r only the bytes past the last mark that
// can be used: at most Span() bytes when the marks reach within a span of n,
// as they always do for n up to the size of the file they were taken from.
//
// A mark can be used only if it ends before n: the subtree holding byte
// n-1 is on the path to the root, whose flags differ, so at least one byte
// is hashed afresh. n may be anything from 0 (the digest of the empty
// message, reading nothing) to the file's size. Errors from r are returned
// wrapped; a file shorter than n gives io.ErrUnexpectedEOF.
func (m Marks) Prefix(r io.ReaderAt, n int64) ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, fmt.Errorf("digest: prefix of negative length %d", n)
	}
	span := m.Span()
	used := int64(0)
	if n > 0 {
		used = min(int64(len(m.CVs)), (n-1)/span)
	}

	h := &Hasher{noMarks: true}
	for _, cv := range m.CVs[:used] {
		h.pushSubtree(cvWords(cv[:]), m.Level)
	}

	// Read in bounded pieces so a far-away n (marks that stop short of it)
	// costs time, not memory.
	start := used * span
	section := io.NewSectionReader(r, start, n-start)
	buf := make([]byte, min(n-start, prefixReadSize))
	for done := start; done < n; {
		k := min(n-done, int64(len(buf)))
		if _, err := io.ReadFull(section, buf[:k]); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("digest: reading bytes %d to %d of the file: %w", done, done+k, err)
		}
		h.Write(buf[:k])
		done += k
	}
	return h.Sum(nil), nil
}
