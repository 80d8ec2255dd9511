package digest

import (
	"encoding/binary"
	"math/bits"

	"lukechampine.com/blake3/guts"
)

// The shape of the BLAKE3 tree as this package walks it.
const (
	chunkSize   = guts.ChunkSize          // bytes of a leaf of the tree
	pieceChunks = guts.MaxSIMD            // chunks compressed together by one CompressBuffer
	pieceSize   = pieceChunks * chunkSize // bytes of a piece, 16 KiB
	pieceHeight = 4                       // height of a piece's subtree: 2^4 chunks
	cvSize      = 32                      // bytes of an encoded chaining value

	// maxMarks is the count of marks at which pairs merge and the level
	// rises, so a Hasher keeps at most maxMarks-1 of them.
	maxMarks = 64
	// maxLevel keeps a mark's span, 1024<<Level bytes, within an int64.
	maxLevel = 52
)

// markLevel is the height of the marks once counter chunks are compressed:
// the lowest height from pieceHeight up at which fewer than maxMarks
// complete subtrees fit in counter chunks. Marks only ever rise in level, and
// they do so exactly when counter reaches maxMarks<<level, so the level
// follows from counter alone and need not be stored.
func markLevel(counter uint64) int {
	return max(pieceHeight, bits.Len64(counter)-bits.Len64(maxMarks-1))
}

// parent returns the chaining value of the non-root parent of two adjacent
// subtrees of equal size.
func parent(left, right [8]uint32) [8]uint32 {
	return guts.ChainingValue(guts.ParentNode(left, right, &guts.IV, 0))
}

// mergePairs replaces each pair of adjacent subtrees in cvs by its parent,
// in place, and returns the first half of cvs holding the parents.
// len(cvs) must be even.
func mergePairs(cvs [][8]uint32) [][8]uint32 {
	for i := range len(cvs) / 2 {
		cvs[i] = parent(cvs[2*i], cvs[2*i+1])
	}
	return cvs[:len(cvs)/2]
}

// cvBytes encodes a chaining value as BLAKE3 does, little-endian words.
func cvBytes(cv [8]uint32) (b [cvSize]byte) {
	for i, w := range cv {
		binary.LittleEndian.PutUint32(b[4*i:], w)
	}
	return b
}

// cvWords decodes a chaining value encoded by cvBytes.
func cvWords(b []byte) (cv [8]uint32) {
	for i := range cv {
		cv[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return cv
}
