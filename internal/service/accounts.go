package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"netdisk/internal/users"
)

// Register creates an account and its folder. The user name is normalized
// (see users.NormalizeName); the password is stored only as an argon2id
// hash. It returns once the account is durably in users.xlsx.
func (s *Service) Register(ctx context.Context, name, password, addr string) error {
	name, err := users.NormalizeName(name)
	if err != nil {
		return mapErr(err)
	}
	if err := users.CheckPassword(password); err != nil {
		return mapErr(err)
	}
	if _, taken := s.users.Get(name); taken {
		return fmt.Errorf("%w: %s", ErrUserExists, name)
	}
	if err := s.signups.allow(addr, time.Now()); err != nil {
		s.logger.Warn("registration refused: rate limited", "addr", addr)
		return err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	// The folder first: a crash between the two steps leaves an empty
	// folder that the same name reuses, never an account without a folder.
	space, err := s.store.CreateSpace(ctx, name)
	if err != nil {
		return fmt.Errorf("creating the user's folder: %w", mapErr(err))
	}
	space.Close()
	now := time.Now().UTC()
	err = s.users.Add(ctx, users.User{Name: name, PasswordHash: hash, Registered: now, PasswordChanged: now})
	if err != nil {
		return mapErr(err)
	}
	s.logger.Info("registered", "user", name)
	return nil
}

// Login checks name and password (addr is the client's address, for rate
// limiting) and starts a session.
func (s *Service) Login(ctx context.Context, name, password, addr string) (*Session, error) {
	norm, err := users.NormalizeName(name)
	if err != nil {
		// An invalid name cannot exist; answer like any wrong login so the
		// reply does not teach the name rules to a guesser. They all share
		// one limiter key, so names of any length cost no memory there.
		norm = invalidName
	}
	u, err := s.checkPassword(ctx, norm, password, addr)
	if err != nil {
		return nil, err
	}
	sess := s.sessions.create(u.Name)
	s.logger.Info("login", "user", u.Name, "addr", addr)
	return sess, nil
}

// invalidName stands for every invalid user name in the login limits and
// logs (a real name cannot contain spaces).
const invalidName = "(invalid name)"

// checkPassword verifies a password under the rate limits.
func (s *Service) checkPassword(ctx context.Context, name, password, addr string) (users.User, error) {
	if err := s.limiter.allow(name, addr); err != nil {
		s.logger.Warn("login refused: rate limited", "user", name, "addr", addr, "err", err)
		return users.User{}, err
	}
	u, found := s.users.Get(name)
	var ok bool
	if found {
		var err error
		ok, err = s.hasher.Verify(ctx, u.PasswordHash, password)
		if err != nil && ctx.Err() != nil {
			s.limiter.abandon(name, addr)
			return users.User{}, ctx.Err()
		}
		if err != nil {
			s.logger.Error("verifying password hash", "user", name, "err", err)
		}
	} else {
		s.hasher.VerifyDummy(ctx, password)
	}
	if !ok {
		s.limiter.fail(name, addr)
		s.logger.Warn("login failed", "user", name, "addr", addr)
		return users.User{}, ErrAuthFailed
	}
	s.limiter.succeed(name, addr)
	if u.Disabled {
		return users.User{}, ErrDisabled
	}
	return u, nil
}

// Resume returns the live session for a token from an earlier login.
func (s *Service) Resume(ctx context.Context, token string) (*Session, error) {
	sess, ok := s.sessions.lookup(token)
	if !ok {
		return nil, ErrSessionExpired
	}
	if _, err := s.account(sess); err != nil {
		return nil, err
	}
	return sess, nil
}

// Logout ends the session everywhere.
func (s *Service) Logout(ctx context.Context, sess *Session) error {
	s.sessions.end(sess)
	s.logger.Info("logout", "user", sess.User)
	return nil
}

// ChangePassword replaces the user's password after checking the old one,
// ends every other session of the user and returns a fresh one.
func (s *Service) ChangePassword(ctx context.Context, sess *Session, oldPassword, newPassword, addr string) (*Session, error) {
	if _, err := s.account(sess); err != nil {
		return nil, err
	}
	if _, err := s.checkPassword(ctx, sess.User, oldPassword, addr); err != nil {
		if errors.Is(err, ErrAuthFailed) {
			return nil, ErrWrongPassword
		}
		return nil, err
	}
	if err := users.CheckPassword(newPassword); err != nil {
		return nil, mapErr(err)
	}
	hash, err := s.hasher.Hash(ctx, newPassword)
	if err != nil {
		return nil, err
	}
	err = s.users.Update(ctx, sess.User, func(u *users.User) error {
		u.PasswordHash = hash
		u.PasswordChanged = time.Now().UTC()
		return nil
	})
	if err != nil {
		return nil, mapErr(err)
	}
	s.sessions.endUser(sess.User, nil)
	s.logger.Info("password changed", "user", sess.User)
	return s.sessions.create(sess.User), nil
}

// account re-checks a session and returns its user.
func (s *Service) account(sess *Session) (users.User, error) {
	if sess == nil || !s.sessions.live(sess) {
		return users.User{}, ErrSessionExpired
	}
	u, ok := s.users.Get(sess.User)
	if !ok {
		return users.User{}, ErrSessionExpired
	}
	if u.Disabled {
		return users.User{}, ErrDisabled
	}
	return u, nil
}
