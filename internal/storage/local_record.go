package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// recordAttr is the extended attribute holding a committed file's record
// (see Commit.Record). Its value is the file's size and modification time
// (Unix nanoseconds) when the record was kept, both big-endian int64, then
// the record: a file changed behind the store's back keeps its attributes,
// and the size and time are how such a stale record is recognized. (Files
// committed by earlier versions carry "user.netdisk.sha256" instead, which
// nothing reads any more: their digests are computed once more and kept
// here.)
const recordAttr = "user.netdisk.record"

const recordHeader = 8 + 8

// encodeRecord lays out the attribute for record on a file of this size
// and modification time.
func encodeRecord(record []byte, size, mtime int64) []byte {
	b := make([]byte, 0, recordHeader+len(record))
	b = binary.BigEndian.AppendUint64(b, uint64(size))
	b = binary.BigEndian.AppendUint64(b, uint64(mtime))
	return append(b, record...)
}

// checkRecord refuses records too large to keep.
func checkRecord(record []byte) error {
	if len(record) > MaxRecord {
		return fmt.Errorf("%w: a record of %d bytes (at most %d)", fs.ErrInvalid, len(record), MaxRecord)
	}
	return nil
}

// writeRecord keeps record with f as it is now, or removes any record if
// record is nil. Errors are ignored by callers that only save work with it:
// file systems that refuse extended attributes must still store files.
func writeRecord(f *os.File, record []byte) error {
	if record == nil {
		err := withFD(f, func(fd int) error { return unix.Fremovexattr(fd, recordAttr) })
		if err == unix.ENODATA {
			err = nil
		}
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	return writeRecordAs(f, record, fi.Size(), fi.ModTime())
}

// writeRecordAs keeps record with f, valid while f has this size and
// modification time: those of the version the record describes.
func writeRecordAs(f *os.File, record []byte, size int64, mtime time.Time) error {
	value := encodeRecord(record, size, mtime.UnixNano())
	return withFD(f, func(fd int) error { return unix.Fsetxattr(fd, recordAttr, value, 0) })
}

// readRecord returns the record kept with f if its size and modification
// time still match.
func readRecord(f *os.File) ([]byte, bool) {
	buf := make([]byte, recordHeader+MaxRecord+1) // +1 to catch values too long
	var n int
	err := withFD(f, func(fd int) error {
		var err error
		n, err = unix.Fgetxattr(fd, recordAttr, buf)
		return err
	})
	if err != nil || n < recordHeader || n > recordHeader+MaxRecord {
		return nil, false
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, false
	}
	want := encodeRecord(nil, fi.Size(), fi.ModTime().UnixNano())
	if !bytes.Equal(buf[:recordHeader], want) {
		return nil, false
	}
	return bytes.Clone(buf[recordHeader:n]), true
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
