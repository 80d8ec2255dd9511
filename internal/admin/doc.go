// Package admin is the administrator's access to a data folder: the
// operations of `netdisk admin` (list, add and remove users, quotas and
// limits, disable, reset passwords, sessions, uploads, usage), carried out
// by the service layer.
//
// The same operations run two ways, and Do is the one implementation of
// both. While a server runs, it serves them on a Unix socket in its data
// folder (SocketName, mode 0600; Serve), answering only peers running as
// the server's own user or as root (SO_PEERCRED); `netdisk admin` sends one
// request there (Call). With no server running, `netdisk admin` takes the
// data folder's lock itself and runs the operation on the files (Open).
// The lock decides which: whoever holds it is the only one touching the
// folder, so the two never run side by side.
//
// The conversation on the socket is one JSON request line and one JSON
// reply line, then the server closes the connection; ADMIN.md documents
// it.
package admin
