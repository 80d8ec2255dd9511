// Package s3test gives tests a real S3-compatible server: one versitygw
// gateway (its embedgw package, with the posix backend on a temporary
// folder) per test binary, started at the first New, and a new, empty
// bucket on it for every call. It is test support: nothing in the product
// imports it.
//
// The gateway runs in a child process, not in the test process itself:
// the test binary starts a copy of itself that this package's init turns
// into the gateway before any test code runs. The posix backend works on
// relative paths after changing the process's working folder to its root,
// which in the test process would break every test that opens testdata/
// (and be broken by any test that calls t.Chdir); embedgw also allows one
// gateway per process, through package globals. The child listens on
// 127.0.0.1 only (S3 and its admin API on one port; no web UI), is
// stopped by its PID (Main sends it SIGTERM after the tests), and exits by
// itself when the test process goes, since it reads the test process's
// end of a pipe until it closes.
//
// Use it from a package's TestMain:
//
//	func TestMain(m *testing.M) { s3test.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		e := s3test.New(t)
//		client := s3test.Client(e)
//		…
//	}
//
// A package that also uses pgtest calls both Stop functions itself:
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		pgtest.Stop()
//		s3test.Stop()
//		os.Exit(code)
//	}
package s3test
