// Package testwait waits in tests for a condition that real servers,
// sockets or browsers make true in their own time, where testing/synctest
// cannot reach. It is test support: nothing in the product imports it.
package testwait

import (
	"testing"
	"time"
)

// poll is how often a condition is looked at again.
const poll = 5 * time.Millisecond

// Until returns once cond holds, looking again every few milliseconds; if
// it does not hold within timeout, the test fails with the message what
// returns then (so it can show the state that was waited on).
func Until(t testing.TB, timeout time.Duration, cond func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, what())
		}
		time.Sleep(poll)
	}
}
