package users

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// ErrBadHash is returned for a stored password hash that is not a valid
// argon2id encoding, or whose parameters are out of the accepted range.
var ErrBadHash = errors.New("malformed password hash")

// Ranges accepted for argon2id parameters, both when hashing and when
// verifying a stored hash. The upper bounds stop a tampered workbook from
// making a login allocate or compute without limit.
const (
	MaxMemoryKiB = 256 * 1024
	maxPasses    = 16
	maxThreads   = 16
	minKeyLen    = 16
	maxKeyLen    = 64
	minSaltLen   = 8
	maxSaltLen   = 64
)

// encodedHash is the parsed form of "$argon2id$v=19$m=…,t=…,p=…$salt$key".
type encodedHash struct {
	params Params
	salt   []byte
	key    []byte
}

// checkParams reports whether p lies within the accepted ranges.
func checkParams(p Params) error {
	switch {
	case p.Threads < 1 || p.Threads > maxThreads:
		return fmt.Errorf("parallelism %d is outside 1..%d", p.Threads, maxThreads)
	case p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > MaxMemoryKiB:
		// argon2 needs 8 KiB per lane; below that x/crypto silently rounds up.
		return fmt.Errorf("memory %d KiB is outside %d..%d", p.MemoryKiB, 8*uint32(p.Threads), MaxMemoryKiB)
	case p.Time < 1 || p.Time > maxPasses:
		return fmt.Errorf("time %d is outside 1..%d", p.Time, maxPasses)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("key length %d is outside %d..%d", p.KeyLen, minKeyLen, maxKeyLen)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("salt length %d is outside %d..%d", p.SaltLen, minSaltLen, maxSaltLen)
	}
	return nil
}

// encode returns the standard (PHC) string form of a hash.
func (e encodedHash) encode() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, e.params.MemoryKiB, e.params.Time, e.params.Threads,
		base64.RawStdEncoding.EncodeToString(e.salt),
		base64.RawStdEncoding.EncodeToString(e.key))
}

// decodeHash parses and validates an encoded argon2id hash. Lengths are
// checked before anything is decoded or allocated.
func decodeHash(s string) (encodedHash, error) {
	var e encodedHash
	// The longest valid form is well under 256 bytes.
	if len(s) > 256 {
		return e, fmt.Errorf("%w: too long", ErrBadHash)
	}
	fields := strings.Split(s, "$")
	if len(fields) != 6 || fields[0] != "" {
		return e, fmt.Errorf("%w: want the form $argon2id$v=19$m=…,t=…,p=…$<salt>$<key>", ErrBadHash)
	}
	if fields[1] != "argon2id" {
		return e, fmt.Errorf("%w: algorithm %q, want argon2id", ErrBadHash, fields[1])
	}
	version, err := parseField(fields[2], "v", 32)
	if err != nil {
		return e, err
	}
	if version != argon2.Version {
		return e, fmt.Errorf("%w: version %d, want %d", ErrBadHash, version, argon2.Version)
	}
	params := strings.Split(fields[3], ",")
	if len(params) != 3 {
		return e, fmt.Errorf("%w: want parameters m=…,t=…,p=…", ErrBadHash)
	}
	m, err := parseField(params[0], "m", 32)
	if err != nil {
		return e, err
	}
	t, err := parseField(params[1], "t", 32)
	if err != nil {
		return e, err
	}
	p, err := parseField(params[2], "p", 8)
	if err != nil {
		return e, err
	}
	e.params = Params{Time: uint32(t), MemoryKiB: uint32(m), Threads: uint8(p)}
	if e.salt, err = decodeB64(fields[4], "salt", maxSaltLen); err != nil {
		return e, err
	}
	if e.key, err = decodeB64(fields[5], "key", maxKeyLen); err != nil {
		return e, err
	}
	e.params.SaltLen, e.params.KeyLen = uint32(len(e.salt)), uint32(len(e.key))
	if err := checkParams(e.params); err != nil {
		return e, fmt.Errorf("%w: %w", ErrBadHash, err)
	}
	return e, nil
}

// parseField parses "name=decimal" into an unsigned integer of the given size.
func parseField(field, name string, bits int) (uint64, error) {
	digits, ok := strings.CutPrefix(field, name+"=")
	if !ok {
		return 0, fmt.Errorf("%w: want %s=…, got %q", ErrBadHash, name, field)
	}
	n, err := strconv.ParseUint(digits, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%w: parameter %s: %w", ErrBadHash, name, err)
	}
	return n, nil
}

// decodeB64 decodes unpadded standard base64, refusing input that would
// decode to more than maxLen bytes before decoding it.
func decodeB64(s, what string, maxLen int) ([]byte, error) {
	if len(s) > base64.RawStdEncoding.EncodedLen(maxLen) {
		return nil, fmt.Errorf("%w: %s longer than %d bytes", ErrBadHash, what, maxLen)
	}
	b, err := base64.RawStdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadHash, what, err)
	}
	return b, nil
}
