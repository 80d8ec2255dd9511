package storage

import (
	"context"
	"io"
	"time"
)

// Info describes a file or folder.
type Info struct {
	Name    string // base name (List) or the path asked for (Stat)
	IsDir   bool
	Regular bool  // a regular file (false for folders, symlinks, devices…)
	Size    int64 // bytes of a regular file; 0 for anything else
	ModTime time.Time
	// ID tells this file or folder apart from one that replaces it at the
	// same path (an inode number); with ModTime it shows whether a folder
	// changed since it was last seen. 0 if the store cannot tell.
	ID uint64
}

// UploadInfo describes a resumable partial upload.
type UploadInfo struct {
	Target  string    // the path the upload will become
	Size    int64     // bytes held so far
	Updated time.Time // last write
}

// Capacity is what a store can still hold.
type Capacity struct {
	Bytes  int64
	Inodes int64 // new files and folders; -1 when the store has no such limit
}

// Usage is what a user's folder holds.
type Usage struct {
	Bytes   int64 // of all regular files, unfinished uploads included
	Entries int64 // files, folders and anything else, unfinished uploads not included
}

// Commit is one upload to make its target by Store.Commit.
type Commit struct {
	Upload Upload
	// Record is kept with the new version and returned by File.Record
	// while the file is unchanged (the service keeps the file's digest
	// there); nil keeps none. At most MaxRecord bytes.
	Record []byte
	// MTime becomes the file's modification time unless it is zero.
	MTime time.Time
}

// MaxRecord bounds Commit.Record and File.SetRecord: it must fit in one
// extended attribute of a common file system (ext4 allows about 4 KiB).
const MaxRecord = 3 << 10

// ListPage is the most entries Space.List hands over at once.
const ListPage = 128

// MaxState bounds Upload.SetState.
const MaxState = 64 << 10

// Store holds the folders of all users. Every method that may wait for
// the disk or the network takes a context; a store that cannot stop an
// operation half-way checks the context before starting it.
type Store interface {
	// Space opens the folder of an existing user: fs.ErrNotExist if it was
	// never created. user is a validated user name; names that are empty,
	// "." or "..", or contain '/', '\\' or NUL are still refused with
	// ErrInvalidPath.
	Space(ctx context.Context, user string) (Space, error)
	// CreateSpace opens the folder of user, making it first if missing.
	CreateSpace(ctx context.Context, user string) (Space, error)
	// RetireSpace moves the folder of user aside, where no user can reach
	// it, and returns where it went (for the administrator). The name can
	// then be given to a new account, which starts empty. fs.ErrNotExist
	// if user has no folder.
	RetireSpace(ctx context.Context, user string) (string, error)
	// ExpireUploads removes unfinished uploads (of every user, resumable and
	// temporary ones) not written to since before, and reports how many it
	// removed. Uploads held open are left alone.
	ExpireUploads(ctx context.Context, before time.Time) (int, error)
	// Available reports how many bytes and new files can still be
	// stored, so uploads that cannot fit are refused before their bytes
	// are read.
	Available(ctx context.Context) (Capacity, error)
	// Commit makes each upload (opened from this store's spaces) the new
	// version of its target atomically: whoever had the old version open
	// keeps reading the old bytes, and a crash leaves the old version or
	// the new one. It may share the cost of making many uploads durable
	// (what makes many small uploads slow is one disk flush each).
	// errs[i] is the outcome of commits[i]; a committed upload is released
	// and gone. If the target is a folder (ErrIsDir) or its parent folder is
	// missing (fs.ErrNotExist), nothing changes and the partial stays for a
	// retry.
	Commit(ctx context.Context, commits []Commit) (errs []error)
	// Close releases the store. Spaces, files and uploads opened from it
	// should be closed first.
	Close() error
}

// Reserving is implemented by the spaces of a store that several servers
// share. The service keeps its own count of what each user's folder holds
// and has promised to uploads under way, which covers one server only;
// such a space keeps the promises itself, where every server sees them.
type Reserving interface {
	// Reserve promises need (bytes and entries to be added) if fits
	// accepts total, the folder's usage plus every live promise, and
	// reserved, the promises alone; fits's error is returned as is. up,
	// if not nil, is the upload the promise is for (opened from this
	// space): what it stores from then on counts in the usage, and no
	// longer in its promise. release gives the promise back; a promise
	// whose server dies lapses by itself.
	Reserve(ctx context.Context, need Usage, up Upload, fits func(total, reserved Usage) error) (release func(), err error)
}

// Space is one user's folder. Its methods may be called from several
// goroutines at once.
type Space interface {
	// Stat describes name; "." is the top folder. A final symlink is not
	// followed: it is reported with IsDir and Regular false.
	Stat(ctx context.Context, name string) (Info, error)
	// List calls fn with the entries of folder dir, one level deep, a
	// page of at most ListPage entries at a time, in the order the folder
	// yields them (not sorted): the memory a listing takes does not grow
	// with the folder. Symlinks are reported, not followed. An error from
	// fn stops the listing and is returned.
	List(ctx context.Context, dir string, fn func(page []Info) error) error
	// Mkdir makes folder name, whose parent must exist.
	Mkdir(ctx context.Context, name string) error
	// MkdirAll makes folder name and any missing parents, like mkdir -p;
	// it is not an error if name is a folder already.
	MkdirAll(ctx context.Context, name string) error
	// Remove removes a file or an empty folder.
	Remove(ctx context.Context, name string) error
	// RemoveAll removes a file, or a folder and everything in it. name must
	// exist. The top folder "." is never removed.
	RemoveAll(ctx context.Context, name string) error
	// Rename moves from to to. It fails with fs.ErrExist if to exists and
	// refuses to move a folder into itself; neither may be ".".
	Rename(ctx context.Context, from, to string) error
	// Open opens a regular file for reading; ErrIsDir for a folder,
	// ErrNotRegular for anything else (a symlink, a device…).
	Open(ctx context.Context, name string) (File, error)
	// Usage counts the entries (files, folders and anything else) in the
	// folder and the bytes of all its regular files, unfinished uploads
	// included. It holds a bounded number of descriptors whatever the
	// depth of the folder.
	Usage(ctx context.Context) (Usage, error)
	// Extent returns how deep the tree under folder dir goes (1 for a
	// folder holding only files; 0 for an empty one) and the length in
	// bytes of the longest path in it, relative to dir. It may stop
	// counting once both exceed stopDepth and stopLength.
	Extent(ctx context.Context, dir string, stopDepth, stopLength int) (depth, length int, err error)
	// OpenUpload opens the resumable partial of target, created empty if
	// there is none. It is held exclusively until Close, Discard or Commit:
	// meanwhile another OpenUpload of the same target fails with ErrBusy.
	// Writes to it are bound to ctx where the store can honour one.
	OpenUpload(ctx context.Context, target string) (Upload, error)
	// TempUpload creates a fresh partial of target that cannot be resumed
	// (for files small enough to send again, or when the resumable one is
	// busy); Close removes it.
	TempUpload(ctx context.Context, target string) (Upload, error)
	// Uploads describes the resumable partials, sorted by target.
	Uploads(ctx context.Context) ([]UploadInfo, error)
	// DiscardUpload removes the resumable partial of target: ErrBusy if it
	// is held, fs.ErrNotExist if there is none.
	DiscardUpload(ctx context.Context, target string) error
	// Close releases the folder. Uploads and files opened from the Space
	// should be closed first.
	Close() error
}

// File is an open regular file. Reads see the version that was opened,
// whatever replaces it meanwhile. A store may also implement io.WriterTo
// (writing the rest of the file, up to Info().Size, from the current
// offset) to send the file without copying it through user space.
type File interface {
	io.Reader
	io.ReaderAt
	io.Seeker
	io.Closer
	// Info describes the file as it was when opened.
	Info() Info
	// Record returns the record kept with this version (Commit.Record or
	// SetRecord) if it is still valid: the file has not been changed
	// behind the store's back since. ok is false otherwise, or if the
	// store could not keep it.
	Record() (record []byte, ok bool)
	// SetRecord keeps record with this version, for a file committed
	// without one (or whose record was lost). Keeping it is best effort.
	SetRecord(record []byte) error
}

// Upload is a partial file being written; it becomes its target only by
// Store.Commit. An Upload is not safe for use by several goroutines at
// once. A store may also implement io.ReaderFrom, appending from a stream
// without copying it through user space.
type Upload interface {
	// Target is the path the upload will become.
	Target() string
	// Size returns the bytes held now.
	Size() int64
	// ReadAt reads what is held already.
	io.ReaderAt
	// Write appends at the end.
	io.Writer
	// Truncate cuts the partial to size, which must not exceed Size, and
	// forgets the state (call SetState again for the bytes left).
	Truncate(size int64) error
	// State returns what SetState kept with the partial when it was last
	// closed, or nil if there is none or the partial changed since (by
	// writes without SetState, behind the store's back, or lost in a
	// crash).
	State() []byte
	// SetState keeps state (at most MaxState bytes) with a resumable
	// partial when it is closed, once the partial's bytes are durable:
	// the service keeps the hash of the bytes held, so that a resume need
	// not read them again.
	SetState(state []byte)
	// Close releases the upload: a resumable partial is kept, on disk, for a
	// later resume; a temporary one is removed. Close after Commit or
	// Discard does nothing.
	Close() error
	// Discard removes the partial and releases it.
	Discard() error
}
