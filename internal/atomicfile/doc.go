// Package atomicfile replaces files so that a crash leaves the old content or
// the new, never a torn file: the new content goes to a temporary file in the
// same folder, which is synced, closed and renamed over the target, and then
// the folder is synced so the rename itself survives a power cut.
//
// It is the one atomic file writer of netdisk: the users.xlsx registry, the
// server's session table and the client's sessions.json and known_servers
// all go through it.
//
// A crash can leave a temporary file behind (named after the target, with a
// ".tmp-" suffix and random characters); RemoveTemps deletes those, and owners
// of a file call it when they start, before anything writes it.
package atomicfile
