// Package testsrv is test support for harnesses that start one server per
// test binary (a PostgreSQL cluster in pgtest, an S3 gateway in s3test):
// started at its first use, stopped once after the tests. Nothing in the
// product imports it.
package testsrv

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
)

// Shared is one server of type T for the whole test binary.
type Shared[T any] struct {
	Name  string            // for messages: "pgtest", "s3test"
	Start func() (T, error) // starts it, at the first Get
	Halt  func(T) error     // stops it, at Stop

	mu      sync.Mutex
	server  T
	running bool
	err     error // of the start, which is not tried again
}

// Get returns the server, starting it at the first call.
func (s *Shared[T]) Get() (T, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running && s.err == nil {
		s.server, s.err = s.Start()
		s.running = s.err == nil
	}
	return s.server, s.err
}

// Stop stops the server if it was started; a failure is printed, as the
// tests have run by then.
func (s *Shared[T]) Stop() {
	s.mu.Lock()
	server, running := s.server, s.running
	var zero T
	s.server, s.running = zero, false
	s.mu.Unlock()
	if !running {
		return
	}
	if err := s.Halt(server); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", s.Name, err)
	}
}

// RandomHex returns n random bytes in hex, for names tests make.
func RandomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
