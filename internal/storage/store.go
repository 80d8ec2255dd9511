package storage

import (
	"io"
	"os"
	"time"
)

// Info describes a file or folder.
type Info struct {
	Name    string // base name (List) or the path asked for (Stat)
	IsDir   bool
	Regular bool  // a regular file (false for folders, symlinks, devices…)
	Size    int64 // bytes of a regular file; 0 for anything else
	ModTime time.Time
}

// UploadInfo describes a resumable partial upload.
type UploadInfo struct {
	Target  string    // the path the upload will become
	Size    int64     // bytes held so far
	Updated time.Time // last write
}

// Store holds the folders of all users.
type Store interface {
	// Space opens one user's folder; with create, the folder is made if
	// missing. user is a validated user name; names that are empty, "." or
	// "..", or contain '/', '\\' or NUL are still refused with ErrInvalidPath.
	Space(user string, create bool) (Space, error)
	// ExpireUploads removes unfinished uploads (of every user, resumable and
	// temporary ones) not written to since before, and reports how many it
	// removed. Uploads held open are left alone.
	ExpireUploads(before time.Time) (int, error)
	// Available reports how many bytes can still be stored, so uploads
	// that cannot fit are refused before their bytes are read.
	Available() (int64, error)
	// CommitAll commits many uploads (made by this store's spaces) as if
	// by their Commit, but may share the cost of making them durable:
	// what makes many small uploads slow is one disk flush each. errs[i]
	// is the outcome of ups[i].
	CommitAll(ups []Upload, digests [][]byte, mtimes []time.Time) []error
}

// Space is one user's folder. Its methods may be called from several
// goroutines at once.
type Space interface {
	// Stat describes name; "." is the top folder. A final symlink is not
	// followed: it is reported with IsDir and Regular false.
	Stat(name string) (Info, error)
	// List describes the entries of folder dir, one level deep, sorted by
	// name. Symlinks are reported, not followed.
	List(dir string) ([]Info, error)
	// Names returns the entry names of folder dir, sorted; it is cheap
	// because it reads no file metadata.
	Names(dir string) ([]string, error)
	// Mkdir makes folder name. With parents it also makes missing parent
	// folders and does not fail if name already is a folder, like mkdir -p.
	Mkdir(name string, parents bool) error
	// Remove removes a file or an empty folder, or with recursive a folder
	// and everything in it. The top folder "." is never removed.
	Remove(name string, recursive bool) error
	// Rename moves from to to. It fails with fs.ErrExist if to exists and
	// refuses to move a folder into itself; neither may be ".".
	Rename(from, to string) error
	// Open opens a regular file for reading; ErrIsDir for a folder,
	// ErrNotRegular for anything else (a symlink, a device…).
	Open(name string) (File, error)
	// Usage returns the bytes of all regular files in the folder,
	// unfinished uploads included.
	Usage() (int64, error)
	// OpenUpload opens the resumable partial of target, created empty if
	// there is none. It is held exclusively until Close, Commit or Discard:
	// meanwhile another OpenUpload of the same target fails with ErrBusy.
	OpenUpload(target string) (Upload, error)
	// TempUpload creates a fresh partial of target that cannot be resumed
	// (for when the resumable one is busy); Close removes it.
	TempUpload(target string) (Upload, error)
	// Uploads describes the resumable partials, sorted by target.
	Uploads() ([]UploadInfo, error)
	// DiscardUpload removes the resumable partial of target: ErrBusy if it
	// is held, fs.ErrNotExist if there is none.
	DiscardUpload(target string) error
	// Close releases the folder. Uploads and files opened from the Space
	// should be closed first.
	Close() error
}

// File is an open regular file.
type File interface {
	io.Reader
	io.ReaderAt
	io.Seeker
	io.Closer
	// Info describes the file as it was when opened.
	Info() Info
	// Digest returns the SHA-256 recorded when this version was committed,
	// if the record is still valid (same size and modification time as the
	// file has now); ok is false otherwise (the file was changed behind the
	// store's back, committed without a digest, or the file system does not
	// keep extended attributes).
	Digest() (sum []byte, ok bool)
	// OSFile returns the underlying *os.File, or nil for stores that are not
	// local, so a server can send it with sendfile(2). Its Name is a server
	// path: never show errors from it to the user unwrapped.
	OSFile() *os.File
}

// Upload is a partial file being written; it becomes its target only by
// Commit. An Upload is not safe for use by several goroutines at once.
type Upload interface {
	// Target is the path the upload will become.
	Target() string
	// Size returns the bytes held now.
	Size() int64
	// ReadAt reads what is held already, to hash the prefix of a resumed
	// upload.
	io.ReaderAt
	// Truncate cuts the partial to size, which must not exceed Size.
	Truncate(size int64) error
	// Write appends at the end.
	io.Writer
	// Commit makes the partial the target atomically. It records digest
	// (a SHA-256, or nil for none) for File.Digest and sets the modification
	// time to mtime unless mtime is zero. Whoever had the old version open
	// keeps reading the old bytes. Afterwards the upload is released and
	// gone. If the target is a folder (ErrIsDir) or its parent folder is
	// missing (fs.ErrNotExist) nothing changes and the partial stays for a
	// retry.
	Commit(digest []byte, mtime time.Time) error

	// Close releases the upload: a resumable partial is kept, on disk, for a
	// later resume; a temporary one is removed. Close after Commit or Discard
	// does nothing.
	Close() error
	// Discard removes the partial and releases it.
	Discard() error
}
