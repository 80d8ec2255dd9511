// Package pgtest gives tests a real PostgreSQL server: one throwaway
// cluster per test binary, started at the first New, and a new, empty
// database on it for every call. It is test support: nothing in the
// product imports it.
//
// The cluster lives in a temporary folder (initdb with trust
// authentication and no fsync) and listens on a Unix socket in that folder
// only, never on TCP. The test process starts the postgres server itself
// and keeps its PID, so it stops that process and no other: Main sends it
// SIGINT (PostgreSQL's fast shutdown) after the tests and removes the
// folder. When the tests run as root, initdb and postgres run as the
// "postgres" user, since PostgreSQL refuses to run as root.
//
// If the test process dies without running Main's clean-up (a kill, a
// crash), the server is sent SIGINT by the kernel as its parent-death
// signal, so it does not outlive the tests; the folder stays behind and
// the next test binary that starts a cluster removes it.
//
// The server binaries come from Debian's postgresql package (the newest
// /usr/lib/postgresql/*/bin), or else from initdb on PATH. Where they are
// missing, New fails the test and says to run ./test.sh, which installs
// them.
//
// Use it from a package's TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		db, err := pgx.Connect(t.Context(), pgtest.New(t))
//		…
//	}
//
// A package that also uses s3test calls both Stop functions itself:
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		pgtest.Stop()
//		s3test.Stop()
//		os.Exit(code)
//	}
package pgtest
