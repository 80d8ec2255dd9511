package loadgen

import (
	"context"
	"fmt"
	"sync"

	"netdisk/internal/client"
)

// idleSet is the idle logged-in connections held through a run: per user,
// the first logs in with the password and the others bind its session
// (no password hash on the server for them).
type idleSet struct {
	mu    sync.Mutex
	conns []*client.Client
	first []*client.Client // one per user, which logs the session out at the end
}

// openIdle opens n idle connections spread over accts, at most perUser
// each, never more than the gate allows not yet logged in.
func (r *run) openIdle(ctx context.Context, n int, accts []Account, perUser int) (*idleSet, error) {
	set := &idleSet{}
	if n == 0 {
		return set, nil
	}
	// counts[i]: connections of accts[i], spread evenly.
	counts := make([]int, len(accts))
	for k := range n {
		counts[k%len(accts)]++
	}
	if counts[0] > perUser {
		return set, fmt.Errorf("%d idle connections over %d users is %d a user, more than %d (--idle-per-user): use more users (--idle-users)", n, len(accts), counts[0], perUser)
	}
	tokens := make([]string, len(accts))
	// First one connection per user, with the password...
	err := r.parallel(ctx, len(accts), func(ctx context.Context, i int) error {
		c, s, err := r.dialIdle(ctx, func(c *client.Client) (string, error) {
			s, err := c.Login(ctx, accts[i].User, accts[i].Password)
			return s.Token, err
		})
		if err != nil {
			return fmt.Errorf("idle connection of %s: %w", accts[i].User, err)
		}
		tokens[i] = s
		set.add(c, true)
		return nil
	})
	if err != nil {
		return set, err
	}
	// ...then the rest, on its session.
	var jobs []int
	for i, c := range counts {
		for range c - 1 {
			jobs = append(jobs, i)
		}
	}
	err = r.parallel(ctx, len(jobs), func(ctx context.Context, k int) error {
		i := jobs[k]
		c, _, err := r.dialIdle(ctx, func(c *client.Client) (string, error) {
			_, err := c.AuthToken(ctx, tokens[i])
			return "", err
		})
		if err != nil {
			return fmt.Errorf("idle connection of %s: %w", accts[i].User, err)
		}
		set.add(c, false)
		return nil
	})
	return set, err
}

// dialIdle connects and logs in with auth, within the pre-login gate.
func (r *run) dialIdle(ctx context.Context, auth func(*client.Client) (string, error)) (*client.Client, string, error) {
	if err := r.gate.enter(ctx); err != nil {
		return nil, "", err
	}
	defer r.gate.leave()
	c, err := r.cfg.Dial(ctx)
	if err != nil {
		return nil, "", explainSetup(err)
	}
	token, err := auth(c)
	if err != nil {
		c.Close()
		return nil, "", explainSetup(err)
	}
	return c, token, nil
}

func (s *idleSet) add(c *client.Client, first bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conns = append(s.conns, c)
	if first {
		s.first = append(s.first, c)
	}
}

// lost counts the connections that ended before the run did.
func (s *idleSet) lost() int {
	n := 0
	for _, c := range s.conns {
		select {
		case <-c.Done():
			n++
		default:
		}
	}
	return n
}

// close logs each user's session out and closes every connection.
func (s *idleSet) close(ctx context.Context) {
	for _, c := range s.first {
		c.Logout(ctx)
	}
	for _, c := range s.conns {
		c.Close()
	}
}
