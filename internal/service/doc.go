// Package service is the one business layer both front doors call: the TCP
// server (internal/server) now and the browser UI later. It owns sessions,
// the path rules, quotas, login rate limits and the rules for resuming
// transfers; it reaches users through internal/users and files through
// internal/storage, both handed to it in Config.
//
// Every operation on files takes the caller's *Session and re-checks it, so
// a logout, a password change or a disabled account takes effect at once on
// every connection.
package service
