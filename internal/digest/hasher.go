package digest

import (
	"encoding"
	"hash"

	"lukechampine.com/blake3/guts"
)

// Size is the number of bytes of a digest.
const Size = 32

// Sum returns the BLAKE3-256 digest of b.
func Sum(b []byte) [Size]byte {
	var h Hasher
	h.Write(b)
	return h.digest()
}

// Hasher is a hash.Hash computing BLAKE3-256. It is meant for one goroutine
// and is not safe for concurrent use. The zero value is ready to use.
type Hasher struct {
	// stack[i] is the chaining value of the complete subtree of 2^i
	// chunks waiting for its right neighbour, for each bit i set in counter.
	stack [64][8]uint32
	// counter is the number of chunks compressed, always a multiple of
	// pieceChunks so that every piece starts aligned in the tree.
	counter uint64

	// buf holds the bytes not yet compressed. The last piece stays here
	// until a byte after it arrives: it may end the message, and then it
	// belongs to the root computation in Sum.
	buf    [pieceSize]byte
	buflen int

	// marks[:counter>>markLevel(counter)] are the chaining values of the
	// complete subtrees of height markLevel(counter) from the file's start.
	marks [maxMarks][8]uint32
	// noMarks is set by Prefix, whose scratch Hasher starts mid-file from
	// marks and so has none of its own to keep.
	noMarks bool
}

var (
	_ hash.Hash                  = (*Hasher)(nil)
	_ encoding.BinaryMarshaler   = (*Hasher)(nil)
	_ encoding.BinaryUnmarshaler = (*Hasher)(nil)
)

// New returns a Hasher with nothing written.
func New() *Hasher { return new(Hasher) }

// Write adds p to the message. It always returns len(p), nil.
func (h *Hasher) Write(p []byte) (int, error) {
	written := len(p)
	for len(p) > 0 {
		if h.buflen == pieceSize {
			// More bytes follow, so the buffered piece is not the last.
			h.compressPiece(&h.buf)
			h.buflen = 0
		}
		if h.buflen == 0 {
			// Compress straight from p, keeping back at least one byte
			// so the final piece is left for Sum.
			for len(p) > pieceSize {
				h.compressPiece((*[pieceSize]byte)(p))
				p = p[pieceSize:]
			}
		}
		n := copy(h.buf[h.buflen:], p)
		h.buflen += n
		p = p[n:]
	}
	return written, nil
}

// compressPiece hashes a full piece, known not to end the message, as the
// next subtree of the tree.
func (h *Hasher) compressPiece(piece *[pieceSize]byte) {
	n := guts.CompressBuffer(piece, pieceSize, &guts.IV, h.counter, 0)
	h.pushSubtree(guts.ChainingValue(n), pieceHeight)
}

// pushSubtree adds the chaining value of the complete subtree of 2^height
// chunks that starts at chunk h.counter, merging it with its equal-size left
// neighbours as lukechampine's Hasher does. When the merging passes through
// the marks' height, that subtree is the next mark.
func (h *Hasher) pushSubtree(cv [8]uint32, height int) {
	level := markLevel(h.counter)
	mark := h.counter >> level
	i := height
	for ; ; i++ {
		if i == level && !h.noMarks {
			h.marks[mark] = cv
		}
		if h.counter&(1<<i) == 0 {
			break
		}
		cv = parent(h.stack[i], cv)
	}
	h.stack[i] = cv
	h.counter += 1 << height
	if !h.noMarks && h.counter>>level == maxMarks {
		// Keep the marks' size bounded whatever the file's: pairs merge
		// and the level rises, as markLevel(h.counter) now says.
		mergePairs(h.marks[:])
	}
}

// rootNode returns the root of the tree of everything written, ready to
// compress. It does not change the state.
func (h *Hasher) rootNode() guts.Node {
	// CompressBuffer handles the empty message and a lone partial chunk
	// itself (through CompressChunk) and leaves the top node uncompressed.
	n := guts.CompressBuffer(&h.buf, h.buflen, &guts.IV, h.counter, 0)
	for i := pieceHeight; i < len(h.stack); i++ {
		if h.counter&(1<<i) != 0 {
			n = guts.ParentNode(h.stack[i], guts.ChainingValue(n), &guts.IV, 0)
		}
	}
	n.Flags |= guts.FlagRoot
	return n
}

// digest returns the digest of everything written.
func (h *Hasher) digest() (d [Size]byte) {
	out := guts.CompressNode(h.rootNode())
	return cvBytes([8]uint32(out[:8]))
}

// Sum appends the digest of everything written so far to b. It does not
// change the state, so writing may continue.
func (h *Hasher) Sum(b []byte) []byte {
	d := h.digest()
	return append(b, d[:]...)
}

// Reset returns h to its state after New.
func (h *Hasher) Reset() {
	h.counter = 0
	h.buflen = 0
}

// Size returns Size, the number of bytes Sum appends.
func (h *Hasher) Size() int { return Size }

// BlockSize returns the size of a BLAKE3 block, 64 bytes.
func (h *Hasher) BlockSize() int { return guts.BlockSize }

// Len returns the length of the message so far: the bytes written since New
// or Reset, counting those written before the state was saved, when it was
// restored by UnmarshalBinary.
func (h *Hasher) Len() int64 {
	return int64(h.counter)*chunkSize + int64(h.buflen)
}
