package service

import (
	"context"
	"maps"
	"sync"
	"testing"
)

// countingMetrics records what the service counts.
type countingMetrics struct {
	mu          sync.Mutex
	logins      map[string]int
	registered  int
	rateLimited map[string]int
}

func (m *countingMetrics) Login(result string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.logins[result]++
}

func (m *countingMetrics) Registered() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.registered++
}

func (m *countingMetrics) RateLimited(what string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rateLimited[what]++
}

// TestMetricsCountLoginsAndRegistrations: each login is counted once by
// its result, each registration once (not a refused one), and the
// refusals of the signup limit by what.
func TestMetricsCountLoginsAndRegistrations(t *testing.T) {
	s, _, _ := accountsService(t, t.TempDir())
	m := &countingMetrics{logins: map[string]int{}, rateLimited: map[string]int{}}
	s.metrics = m
	s.signups = newSignupLimiter(1)
	ctx := context.Background()
	if err := s.Register(ctx, "erin", "correct horse battery", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Register(ctx, "frank", "correct horse battery", "192.0.2.1"); err == nil {
		t.Fatal("a second registration from one address within the hour was let through")
	}
	s.Login(ctx, "erin", "wrong password here", "192.0.2.1")
	s.Login(ctx, "not a name", "wrong password here", "192.0.2.1")
	if _, err := s.Login(ctx, "erin", "correct horse battery", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"ok": 1, "failed": 2}; !maps.Equal(m.logins, want) {
		t.Errorf("logins %v, want %v", m.logins, want)
	}
	if m.registered != 1 {
		t.Errorf("registered %d, want 1", m.registered)
	}
	if want := map[string]int{"signup": 1}; !maps.Equal(m.rateLimited, want) {
		t.Errorf("rate limited %v, want %v", m.rateLimited, want)
	}
}
