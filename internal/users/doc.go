// Package users owns the netdisk user accounts: the rules for user names and
// passwords, password hashing with argon2id, and the registry of accounts.
//
// The registry lives in memory and is persisted as an .xlsx workbook
// (users.xlsx) so that an administrator can read, sort and, with the server
// stopped, edit it in Excel or LibreOffice. Every change rewrites the whole
// workbook atomically (temporary file, fsync, rename, fsync of the folder),
// so a crash leaves either the old or the new workbook on disk.
//
// A rewrite of a large registry takes a noticeable time (about 0.8 s at
// 100,000 users), so changes are group-committed: a single writer goroutine
// takes every change queued while the previous rewrite ran, applies them
// together and writes one workbook for the whole batch. Add and Update
// return only once their change is durably on disk, or with the error that
// prevented it.
//
// Password hashes use the standard argon2id encoding
// ($argon2id$v=19$m=…,t=…,p=…$salt$key), and a Hasher bounds how many of
// those memory-hungry computations run at once.
package users
