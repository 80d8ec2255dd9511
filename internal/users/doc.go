// Package users owns the netdisk user accounts: the rules for user names and
// passwords, password hashing with argon2id, and the registry of accounts.
//
// The registry lives in memory and is persisted as an .xlsx workbook
// (users.xlsx) so that an administrator can read, sort and edit it in Excel
// or LibreOffice, even while the server runs. Every change rewrites the
// whole workbook atomically (temporary file, fsync, swap into place, fsync
// of the folder), so a crash leaves either the old or the new workbook on
// disk.
//
// A rewrite of a large registry takes a noticeable time (about 0.6 s at
// 100,000 users), so changes are group-committed: a single writer goroutine
// takes every change queued while the previous rewrite ran, applies them
// together and writes one workbook for the whole batch. Add and Update
// return only once their change is durably on disk, or with the error that
// prevented it.
//
// The same goroutine never overwrites a workbook it did not write last. It
// compares the file with the version it last wrote or read before every
// rewrite and every WatchInterval (refresh.go, watch.go); an edited
// workbook is merged into the state row by row against the version it was
// made from (reconcile.go, history.go), and the owner hears of the accounts
// it changed (OnExternalEdit).
//
// Every account has a random account id (the workbook's Account ID
// column), so that an account removed and a later one of the same name are
// told apart. The last column, Max entries, is a user's own limit on files
// and folders (0: the server's).
//
// Password hashes use the standard argon2id encoding
// ($argon2id$v=19$m=…,t=…,p=…$salt$key), and a Hasher bounds how many of
// those memory-hungry computations run at once.
package users
