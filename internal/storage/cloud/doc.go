// Package cloud is the store for several netdisk servers at once: the
// tree of every user's folder in PostgreSQL, the contents of files as
// immutable objects in S3-compatible storage.
//
// A file's contents are a blob: one or more objects (chunks) of at most
// Config.ChunkSize bytes each, keyed by the blob's id, never by path. The
// tree lives in one table (netdisk_nodes) with a unique (parent, name), so
// a rename of any folder is one UPDATE, a name clash is refused by the
// database, and a listing reads rows by the folder's id, which a rename
// does not change.
//
// An upload writes a new blob: its bytes are kept in memory until a chunk
// is full, then stored as an object and recorded (netdisk_chunks) in one
// transaction with the blob's size. What all uploads keep in memory is
// bounded (Config.BufferMemory, 512 MiB by default): once that is spent,
// further uploads store smaller chunks (256 KiB) sooner. A resumable upload's last, shorter
// chunk is stored when it is closed, so a resume on any server continues
// where the last server left off. Commit points the file's node at the
// new blob in a transaction; the old blob is marked dropped and its
// objects are removed only after Config.Grace, so a download in progress
// keeps reading the old bytes.
//
// An unfinished upload is held by one store (one server) at a time, with
// a lease the holder renews while it runs: a server that dies loses its
// holds after Config.Lease, and another server may take the upload over.
//
// Changes to one user's tree are serialized by a lock on the user's row
// (netdisk_spaces), which makes moves that would put a folder inside
// itself impossible to race; reads take no lock.
package cloud
