package storage

import (
	"context"
	"errors"
	"io"
	"os"
	"syscall"
)

// Open opens the regular file name for reading. A symlink is refused
// rather than followed, like Stat reports it.
func (s *localSpace) Open(ctx context.Context, name string) (File, error) {
	if err := checkPath(ctx, "open", name); err != nil {
		return nil, err
	}
	fi, err := s.root.Lstat(name)
	if err != nil {
		return nil, fsError("open", name, err)
	}
	if err := notRegular(fi); err != nil {
		return nil, fsError("open", name, err)
	}
	// O_NONBLOCK: should a FIFO take the file's place after the Lstat,
	// opening it must not hang; it is refused just below.
	f, err := s.root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fsError("open", name, err)
	}
	fi, err = f.Stat()
	if err == nil {
		err = notRegular(fi)
	}
	if err != nil {
		f.Close()
		return nil, fsError("open", name, err)
	}
	return &localFile{file: f, info: infoOf(name, fi)}, nil
}

// notRegular says why fi cannot be opened as a file, if it cannot.
func notRegular(fi os.FileInfo) error {
	switch {
	case fi.IsDir():
		return ErrIsDir
	case !fi.Mode().IsRegular():
		return ErrNotRegular
	}
	return nil
}

// localFile is a File of a Local store.
type localFile struct {
	file *os.File
	info Info
}

var (
	_ File        = (*localFile)(nil)
	_ io.WriterTo = (*localFile)(nil)
)

func (f *localFile) Read(p []byte) (int, error) {
	n, err := f.file.Read(p)
	return n, f.wrap("read", err)
}

func (f *localFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.file.ReadAt(p, off)
	return n, f.wrap("read", err)
}

func (f *localFile) Seek(offset int64, whence int) (int64, error) {
	n, err := f.file.Seek(offset, whence)
	return n, f.wrap("seek", err)
}

// WriteTo writes the rest of the file, up to its size when opened, to w.
// The *os.File goes to w inside an io.LimitedReader, which is what a
// *net.TCPConn needs to send it with sendfile(2).
func (f *localFile) WriteTo(w io.Writer) (int64, error) {
	pos, err := f.file.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, f.wrap("read", err)
	}
	lr := &io.LimitedReader{R: f.file, N: max(f.info.Size-pos, 0)}
	var n int64
	if rf, ok := w.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(lr)
	} else {
		n, err = io.Copy(w, lr)
	}
	if err == nil && lr.N > 0 {
		err = io.ErrUnexpectedEOF // the file shrank behind the store's back
	}
	return n, f.wrap("read", err)
}

func (f *localFile) Close() error {
	return f.wrap("close", f.file.Close())
}

// Info describes the file as it was when opened.
func (f *localFile) Info() Info { return f.info }

// Record returns the record kept with this version if it still matches.
func (f *localFile) Record() ([]byte, bool) { return readRecord(f.file) }

// SetRecord keeps record with this version.
func (f *localFile) SetRecord(record []byte) error {
	if err := checkRecord(record); err != nil {
		return fsError("keep record", f.info.Name, err)
	}
	// Only for the version opened: the descriptor refers to it even if a
	// commit replaced the name meanwhile, and the record carries the size
	// and modification time it had when opened, so it does not hold if
	// the file was changed in place since (by something other than the
	// store) and record describes bytes read before.
	if record == nil {
		return f.wrap("keep record", writeRecord(f.file, nil))
	}
	return f.wrap("keep record", writeRecordAs(f.file, record, f.info.Size, f.info.ModTime))
}

// wrap replaces the server path in errors from os with the user's path;
// io.EOF stays as it is, since readers compare it with ==.
func (f *localFile) wrap(op string, err error) error {
	if err == nil || errors.Is(err, io.EOF) {
		return err
	}
	return fsError(op, f.info.Name, err)
}
