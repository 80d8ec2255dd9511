package storage

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"os"

	"golang.org/x/sys/unix"
)

// digestAttr is the extended attribute holding a committed file's SHA-256.
// Its value is the digest followed by the file's size and modification time
// (Unix nanoseconds) at commit, both big-endian int64: a file changed behind
// the store's back keeps its attributes, and the size and time are how such
// a stale digest is recognized.
const digestAttr = "user.netdisk.sha256"

const digestRecordSize = sha256.Size + 8 + 8

// encodeDigest lays out a digest record.
func encodeDigest(sum []byte, size, mtime int64) []byte {
	b := make([]byte, 0, digestRecordSize)
	b = append(b, sum...)
	b = binary.BigEndian.AppendUint64(b, uint64(size))
	b = binary.BigEndian.AppendUint64(b, uint64(mtime))
	return b
}

// writeDigest records sum for f as it is now, or removes any record if sum
// is nil. Errors are ignored: the digest only saves rehashing, and file
// systems that refuse extended attributes must still store files.
func writeDigest(f *os.File, sum []byte) {
	if sum == nil {
		withFD(f, func(fd int) error { return unix.Fremovexattr(fd, digestAttr) })
		return
	}
	fi, err := f.Stat()
	if err != nil {
		return
	}
	record := encodeDigest(sum, fi.Size(), fi.ModTime().UnixNano())
	withFD(f, func(fd int) error { return unix.Fsetxattr(fd, digestAttr, record, 0) })
}

// readDigest returns the digest recorded for f if its size and modification
// time still match.
func readDigest(f *os.File) ([]byte, bool) {
	buf := make([]byte, digestRecordSize+1) // +1 to catch records too long
	var n int
	err := withFD(f, func(fd int) error {
		var err error
		n, err = unix.Fgetxattr(fd, digestAttr, buf)
		return err
	})
	if err != nil || n != digestRecordSize {
		return nil, false
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, false
	}
	want := encodeDigest(buf[:sha256.Size], fi.Size(), fi.ModTime().UnixNano())
	if !bytes.Equal(buf[:n], want) {
		return nil, false
	}
	return want[:sha256.Size:sha256.Size], true
}

// withFD runs fn on f's descriptor without (*os.File).Fd, which would put
// the file into blocking mode for good.
func withFD(f *os.File, fn func(fd int) error) error {
	conn, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var fnErr error
	if err := conn.Control(func(fd uintptr) { fnErr = fn(int(fd)) }); err != nil {
		return err
	}
	return fnErr
}
