// Package sessions keeps the logged-in sessions of netdisk's users: who
// holds a session, since when, until when, and from where. A session is
// known by the SHA-256 of its bearer token (Key); the token itself is
// never stored.
//
// Two implementations share one conformance suite (sessionstest): File,
// a JSON file in the server's data folder for one server, and Postgres,
// a table that several servers share, so that a login on one server is
// good on all of them and a password change on one ends the user's
// sessions on every one at once.
//
// Every user has a generation, the number of times all of the user's
// sessions were ended (a password change, a kick, a disable, a removal).
// A login reads it before it checks the password and passes it to Create,
// which refuses to start a session if the user's sessions were ended
// meanwhile: a password checked against the old hash must not outlive
// the change.
package sessions
