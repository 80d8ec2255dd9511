package service

import (
	"bytes"
	"errors"

	"netdisk/internal/digest"
)

// The record kept with every committed file (storage.Commit.Record): the
// file's BLAKE3-256 and its marks (digest.Marks), so a download can send
// the digest without reading the file, and check the prefix of a resumed
// download by hashing at most one span of it.
//
//	byte 0      recordVersion
//	bytes 1–32  the digest
//	the rest    the marks, as digest.Marks.MarshalBinary writes them
const recordVersion = 1

// fileRecord is a decoded record.
type fileRecord struct {
	sum   []byte
	marks digest.Marks
}

func encodeRecord(sum []byte, m digest.Marks) ([]byte, error) {
	marks, err := m.MarshalBinary()
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 1+digest.Size+len(marks))
	b = append(b, recordVersion)
	b = append(b, sum...)
	return append(b, marks...), nil
}

var errBadRecord = errors.New("malformed file record")

func decodeRecord(b []byte) (fileRecord, error) {
	if len(b) < 1+digest.Size || b[0] != recordVersion {
		return fileRecord{}, errBadRecord
	}
	var r fileRecord
	r.sum = bytes.Clone(b[1 : 1+digest.Size])
	if err := r.marks.UnmarshalBinary(b[1+digest.Size:]); err != nil {
		return fileRecord{}, errors.Join(errBadRecord, err)
	}
	return r, nil
}
