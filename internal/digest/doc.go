// Package digest computes BLAKE3-256, the digest netdisk uses to verify
// every transfer end to end.
//
// It drives the BLAKE3 compression functions of lukechampine.com/blake3/guts
// directly, one 16-chunk (16 KiB) piece at a time on the calling goroutine:
// on AVX-512 that is the fastest way we measured to hash a single stream, and
// it leaves the other cores to the transfers running beside it.
//
// Two things a stock hasher lacks are built in. A Hasher's whole state can be
// saved with MarshalBinary and restored with UnmarshalBinary, so an
// interrupted upload resumes hashing where it stopped, even in another
// process. And a Hasher keeps Marks: the chaining values of aligned subtrees
// of the file, never more than 63 of them, with which the digest of any
// prefix of the file is recomputed by hashing at most one mark's span of
// bytes instead of the whole prefix.
package digest
