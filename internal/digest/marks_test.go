package digest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"testing"

	"lukechampine.com/blake3"
	"lukechampine.com/blake3/guts"
)

// countingReaderAt counts the bytes read through it.
type countingReaderAt struct {
	r io.ReaderAt
	n atomic.Int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// marksOf hashes msg in one pass and returns its marks.
func marksOf(msg []byte) Marks {
	h := New()
	h.Write(msg)
	return h.Marks()
}

// TestMarksAreSubtrees checks each mark against the subtree it names,
// computed by guts on its own.
func TestMarksAreSubtrees(t *testing.T) {
	for _, size := range []int{0, pieceSize, pieceSize + 1, 63*pieceSize + 1, 64*pieceSize + 1, 9*mib + 12345} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			msg := data(t, size)
			m := marksOf(msg)
			span := int(m.Span())
			if want := (size - 1) / pieceSize * pieceSize / span; size > 0 && len(m.CVs) != want {
				t.Errorf("%d marks of %d bytes, want %d", len(m.CVs), span, want)
			}
			if len(m.CVs) >= 64 || m.Level > 4 && len(m.CVs) < 32 {
				t.Errorf("%d marks at level %d", len(m.CVs), m.Level)
			}
			for i, got := range m.CVs {
				n := guts.CompressEigentree(msg[i*span:(i+1)*span], &guts.IV, uint64(i*span/chunkSize), 0)
				if want := cvBytes(guts.ChainingValue(n)); got != want {
					t.Errorf("mark %d = %x, want %x", i, got, want)
				}
			}
		})
	}
}

// prefixCases are the prefix lengths worth checking for a file of size
// bytes with marks of span bytes.
func prefixCases(size, span int) []int {
	ns := []int{0, 1, 1024, 16384, 16385, span - 1, span, span + 1}
	for _, k := range []int{2, 3, 7, 20, 31, 32, 33, 62, 63} {
		ns = append(ns, k*span-1, k*span, k*span+1)
	}
	ns = append(ns, size-pieceSize, size-1, size)
	var in []int
	for _, n := range ns {
		if n >= 0 && n <= size {
			in = append(in, n)
		}
	}
	return in
}

// testPrefix checks Prefix against the reference for every prefix case of
// msg, and that it reads no more than a span.
func testPrefix(t *testing.T, msg []byte, m Marks) {
	t.Helper()
	span := m.Span()
	for _, n := range prefixCases(len(msg), int(span)) {
		r := &countingReaderAt{r: bytes.NewReader(msg)}
		got, err := m.Prefix(r, int64(n))
		if err != nil {
			t.Fatalf("Prefix(%d): %v", n, err)
		}
		if want := blake3.Sum256(msg[:n]); !bytes.Equal(got, want[:]) {
			t.Errorf("Prefix(%d) = %x, want %x", n, got, want)
		}
		used := int64(0)
		if n > 0 {
			used = min(int64(len(m.CVs)), int64(n-1)/span)
		}
		if read := r.n.Load(); read > span || read != int64(n)-used*span {
			t.Errorf("Prefix(%d) read %d bytes, want %d (span %d)", n, read, int64(n)-used*span, span)
		}
	}
}

func TestPrefix(t *testing.T) {
	cases := []struct {
		name      string
		size      int
		wantLevel int
	}{
		{"under a piece", 1000, 4},
		{"within level 4", 40*pieceSize + 3, 4},
		{"9MiB", 9*mib + 12345, 8},
		{"64MiB", 64 * mib, 10}, // the level rose six times
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.size > 16*mib && testing.Short() {
				t.Skip("large file in -short mode")
			}
			msg := data(t, tc.size)
			m := marksOf(msg)
			if m.Level != tc.wantLevel {
				t.Fatalf("marks at level %d, want %d", m.Level, tc.wantLevel)
			}
			testPrefix(t, msg, m)
		})
	}
}

// TestPrefixEarlyMarks uses marks taken before the end of the file: prefixes
// past them are still right, and cost the bytes past the last mark.
func TestPrefixEarlyMarks(t *testing.T) {
	msg := data(t, 3*mib+5)
	h := New()
	h.Write(msg[:mib/2+7])
	m := h.Marks()
	for _, n := range []int{0, 1, mib / 2, mib/2 + 7, 2 * mib, len(msg)} {
		got, err := m.Prefix(bytes.NewReader(msg), int64(n))
		if err != nil {
			t.Fatalf("Prefix(%d): %v", n, err)
		}
		if want := blake3.Sum256(msg[:n]); !bytes.Equal(got, want[:]) {
			t.Errorf("Prefix(%d) = %x, want %x", n, got, want)
		}
	}
}

// TestPrefixMarksRoundTrip checks Prefix on marks that went through
// MarshalBinary, and on marks restored with a Hasher's state.
func TestPrefixMarksRoundTrip(t *testing.T) {
	msg := data(t, 5*mib+77)
	h := New()
	h.Write(msg[:2*mib])
	state, _ := h.MarshalBinary()
	var g Hasher
	if err := g.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	g.Write(msg[2*mib:])
	b, _ := g.Marks().MarshalBinary()
	var m Marks
	if err := m.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	testPrefix(t, msg, m)
}

var errDisk = errors.New("disk on fire")

type failingReaderAt struct{}

func (failingReaderAt) ReadAt([]byte, int64) (int, error) { return 0, errDisk }

func TestPrefixErrors(t *testing.T) {
	msg := data(t, 2*mib)
	m := marksOf(msg)
	cases := []struct {
		name  string
		marks Marks
		r     io.ReaderAt
		n     int64
		want  error
	}{
		{"reader fails", m, failingReaderAt{}, 100, errDisk},
		{"file too short", m, bytes.NewReader(msg), int64(len(msg)) + 1, io.ErrUnexpectedEOF},
		{"file empty", Marks{Level: 4}, bytes.NewReader(nil), 1, io.ErrUnexpectedEOF},
		{"level 3", Marks{Level: 3}, bytes.NewReader(msg), 1, ErrBadState},
		{"level 53", Marks{Level: 53}, bytes.NewReader(msg), 1, ErrBadState},
		{"negative level", Marks{Level: -1}, bytes.NewReader(msg), 1, ErrBadState},
		{"64 marks", Marks{Level: 4, CVs: make([][32]byte, 64)}, bytes.NewReader(msg), 1, ErrBadState},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.marks.Prefix(tc.r, tc.n); !errors.Is(err, tc.want) {
				t.Errorf("Prefix = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := m.Prefix(bytes.NewReader(msg), -1); err == nil {
		t.Errorf("Prefix(-1) succeeded")
	}
}

func TestSpan(t *testing.T) {
	for _, tc := range []struct {
		level int
		want  int64
	}{{-1, 0}, {0, 0}, {3, 0}, {4, 16 * kib}, {10, mib}, {52, 1 << 62}, {53, 0}, {1000, 0}} {
		if got := (Marks{Level: tc.level}).Span(); got != tc.want {
			t.Errorf("Span at level %d = %d, want %d", tc.level, got, tc.want)
		}
	}
}
