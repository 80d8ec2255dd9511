package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sync"
	"syscall"
	"time"

	"netdisk/internal/users"
)

// Register creates an account and its folder. The user name is normalized
// (see users.NormalizeName); the password is stored only as an argon2id
// hash. It returns once the account is durably in users.xlsx.
//
// A folder already under the name belongs to an account that was removed
// (by an edit of users.xlsx, or by hand): it is moved aside to
// .removed/<name>-<time> in the files folder, so that the new account
// starts empty and the old files wait for an administrator.
func (s *Service) Register(ctx context.Context, name, password, addr string) error {
	name, err := users.NormalizeName(name)
	if err != nil {
		return mapErr(err)
	}
	if err := users.CheckPassword(password); err != nil {
		return mapErr(err)
	}
	// The registration limit comes first: answering user_exists without it
	// would let anyone test names faster than logins can be tried.
	if err := s.signups.allow(addr, time.Now()); err != nil {
		s.logger.WarnContext(ctx, "registration refused: rate limited", "addr", addr)
		s.metrics.RateLimited("signup")
		return err
	}
	return s.addAccount(ctx, name, password)
}

// addAccount creates the account name (normalized, its password checked
// against the rules) and its folder: Register after its limits, and the
// administrator's AddUser.
func (s *Service) addAccount(ctx context.Context, name, password string) error {
	if _, taken := s.users.Get(name); taken {
		return fmt.Errorf("%w: %s", ErrUserExists, name)
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	// One registration of a name at a time from here, on every server
	// sharing the accounts: a second one must not move aside the folder
	// the first has just been given.
	unlock, err := s.registering.lock(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	if s.nameLocks != nil {
		unlockShared, err := s.nameLocks.LockName(ctx, name)
		if err != nil {
			return s.sessionFault(ctx, err)
		}
		defer unlockShared()
	}
	// Another server may have registered the name since this one last
	// looked: its new folder must not be taken for the folder of a
	// removed account and moved aside.
	if err := s.latestUsers(ctx); err != nil {
		return err
	}
	if _, taken := s.users.Get(name); taken {
		return fmt.Errorf("%w: %s", ErrUserExists, name)
	}
	if err := s.retireSpace(ctx, name); err != nil {
		return err
	}
	now := time.Now().UTC()
	err = s.users.Add(ctx, users.User{Name: name, PasswordHash: hash, QuotaBytes: s.defaultQuota, Registered: now, PasswordChanged: now})
	if err != nil {
		return mapRegistryErr(err)
	}
	// The folder after the account: a registration the registry refuses
	// (a full disk) then leaves no folder behind, and a crash in between
	// leaves an account whose folder is made when first used (every
	// request opens it with CreateSpace).
	space, err := s.store.CreateSpace(context.WithoutCancel(ctx), name)
	if err != nil {
		s.logger.WarnContext(ctx, "registered, but the user's folder could not be made yet; it will be at the first request", "user", name, "err", err)
	} else {
		space.Close()
	}
	s.metrics.Registered()
	s.logger.InfoContext(ctx, "registered", "user", name)
	return nil
}

// retireSpace moves aside the folder left under name by a removed account.
func (s *Service) retireSpace(ctx context.Context, name string) error {
	to, err := s.store.RetireSpace(ctx, name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("moving aside the folder of a removed account: %w", mapErr(err))
	}
	s.usage.forget(name)
	s.logger.InfoContext(ctx, "moved aside the folder of a removed account before registering the name again",
		"user", name, "moved_to", path.Join("files", to))
	return nil
}

// mapRegistryErr is mapErr for an error of the registry. A full disk is
// told without the path the registry's error names: that is the server's
// business, not the user's.
func mapRegistryErr(err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return &kindError{kind: ErrNoSpace, msg: ErrNoSpace.Error() + "; ask the administrator", err: err}
	}
	return mapErr(err)
}

// nameLocks serializes work on one name; the zero value is ready.
type nameLocks struct {
	mu   sync.Mutex
	held map[string]chan struct{} // closed when the holder unlocks
}

// lock waits until no one holds name, or ctx ends, and takes it.
func (l *nameLocks) lock(ctx context.Context, name string) (unlock func(), err error) {
	for {
		l.mu.Lock()
		wait, busy := l.held[name]
		if !busy {
			if l.held == nil {
				l.held = make(map[string]chan struct{})
			}
			done := make(chan struct{})
			l.held[name] = done
			l.mu.Unlock()
			return func() {
				l.mu.Lock()
				delete(l.held, name)
				l.mu.Unlock()
				close(done)
			}, nil
		}
		l.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
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
	// Taken before the password hash is read: a password change (or a
	// kick) while the hash is checked ends this login too.
	gen, err := s.sessions.generation(ctx, norm)
	if err != nil {
		return nil, s.sessionFault(ctx, err)
	}
	u, err := s.checkPassword(ctx, norm, password, addr)
	var sess *Session
	if err == nil {
		var ok bool
		sess, ok, err = s.sessions.create(ctx, u.Name, u.AccountID, Origin{Door: originOf(ctx).Door, Addr: addr}, gen)
		switch {
		case err != nil:
			err = s.sessionFault(ctx, err)
		case !ok:
			s.logger.WarnContext(ctx, "login refused: the user's sessions were ended while it was checked", "user", u.Name, "addr", addr)
			err = fmt.Errorf("%w (the password was changed, or the account's sessions ended, during this login)", ErrAuthFailed)
		}
	}
	s.metrics.Login(loginResult(err))
	if err != nil {
		return nil, err
	}
	s.logger.InfoContext(ctx, "login", "user", u.Name, "addr", addr)
	return sess, nil
}

// latestUsers brings a registry that other servers share up to date
// (one conditional request, answered "not modified" unless one of them
// wrote): a login must not be checked against a password changed through
// another server, nor a registration miss an account made there. If the
// workbook cannot be reached, the request is refused: the copy this
// server holds may be the one a password change made stale. A workbook
// that was read but cannot be understood (an administrator's bad upload)
// is the registry's to report; the state it keeps is what counts then.
func (s *Service) latestUsers(ctx context.Context) error {
	if !s.users.Shared() {
		return nil
	}
	err := s.users.Refresh(ctx)
	switch {
	case err == nil, errors.Is(err, users.ErrMalformed):
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	}
	s.logger.ErrorContext(ctx, "users.xlsx cannot be read from the bucket; logins and registrations wait for it", "err", err)
	return fmt.Errorf("the user registry cannot be reached; try again: %w", err)
}

// loginResult is a login's outcome as the metrics count it.
func loginResult(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrAuthFailed):
		return "failed"
	case errors.Is(err, ErrRateLimited):
		return "rate_limited"
	case errors.Is(err, ErrDisabled):
		return "disabled"
	}
	return "error" // cancelled, or a fault
}

// clockSlack is how far apart the clocks of the servers sharing the
// accounts may be before a new session is taken for one older than its
// account's password change.
const clockSlack = 30 * time.Second

// invalidName stands for every invalid user name in the login limits and
// logs (a real name cannot contain spaces).
const invalidName = "(invalid name)"

// checkPassword verifies a password under the rate limits.
func (s *Service) checkPassword(ctx context.Context, name, password, addr string) (users.User, error) {
	if err := s.limiter.allow(ctx, name, addr); err != nil {
		s.logger.WarnContext(ctx, "login refused: rate limited", "user", name, "addr", addr, "err", err)
		s.metrics.RateLimited("login")
		return users.User{}, err
	}
	if err := s.sharedAllow(ctx, name, addr); err != nil {
		s.limiter.abandon(name, addr)
		s.logger.WarnContext(ctx, "login refused: rate limited (failures through other servers)", "user", name, "addr", addr, "err", err)
		s.metrics.RateLimited("login")
		return users.User{}, err
	}
	// Checked against the latest users.xlsx where servers share it (after
	// the limits: a refused guess costs the bucket nothing).
	if err := s.latestUsers(ctx); err != nil {
		s.limiter.abandon(name, addr)
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
			s.logger.ErrorContext(ctx, "verifying password hash", "user", name, "err", err)
		}
	} else {
		s.hasher.VerifyDummy(ctx, password)
	}
	if !ok {
		s.limiter.fail(name, addr)
		s.sharedFail(ctx, name, addr)
		s.logger.WarnContext(ctx, "login failed", "user", name, "addr", addr)
		return users.User{}, ErrAuthFailed
	}
	s.limiter.succeed(name, addr)
	s.sharedSucceed(ctx, name)
	if u.Disabled {
		return users.User{}, ErrDisabled
	}
	return u, nil
}

// Resume returns the live session for a token from an earlier login.
func (s *Service) Resume(ctx context.Context, token string) (*Session, error) {
	sess, ok, err := s.sessions.lookup(ctx, token)
	switch {
	case err != nil:
		// Not "expired": a client would forget a session that is good.
		return nil, s.sessionFault(ctx, err)
	case !ok:
		return nil, ErrSessionExpired
	}
	if _, err := s.account(ctx, sess); err != nil {
		return nil, err
	}
	return sess, nil
}

// Logout ends the session everywhere.
func (s *Service) Logout(ctx context.Context, sess *Session) error {
	if err := s.sessions.end(ctx, sess); err != nil {
		return s.sessionFault(ctx, err)
	}
	s.logger.InfoContext(ctx, "logout", "user", sess.User)
	return nil
}

// ChangePassword replaces the user's password after checking the old one,
// ends every other session of the user and returns a fresh one.
func (s *Service) ChangePassword(ctx context.Context, sess *Session, oldPassword, newPassword, addr string) (*Session, error) {
	u, err := s.account(ctx, sess)
	if err != nil {
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
		return nil, mapRegistryErr(err)
	}
	s.logger.InfoContext(ctx, "password changed", "user", sess.User)
	// The password is changed: from here a failure is reported as that,
	// and the sessions not ended yet are refused by account once ended.
	if _, err := s.sessions.endUser(ctx, sess.User); err != nil {
		return nil, fmt.Errorf("the password is changed, but the other sessions could not be ended (log in again everywhere): %w", s.sessionFault(ctx, err))
	}
	gen, err := s.sessions.generation(ctx, u.Name)
	if err != nil {
		return nil, fmt.Errorf("the password is changed; log in again: %w", s.sessionFault(ctx, err))
	}
	fresh, ok, err := s.sessions.create(ctx, u.Name, u.AccountID, Origin{Door: originOf(ctx).Door, Addr: addr}, gen)
	switch {
	case err != nil:
		return nil, fmt.Errorf("the password is changed; log in again: %w", s.sessionFault(ctx, err))
	case !ok:
		return nil, fmt.Errorf("the password is changed, and the account's sessions were ended meanwhile: %w", ErrSessionExpired)
	}
	return fresh, nil
}

// account re-checks a session and returns its user. A session of an
// account that was removed is refused even if the name has been registered
// again since: the new account has another id.
func (s *Service) account(ctx context.Context, sess *Session) (users.User, error) {
	if sess == nil {
		return users.User{}, ErrSessionExpired
	}
	live, err := s.sessions.live(ctx, sess)
	switch {
	case err != nil:
		// Not "expired": a client would forget a session that is good.
		return users.User{}, s.sessionFault(ctx, err)
	case !live:
		return users.User{}, ErrSessionExpired
	}
	u, ok := s.users.Get(sess.User)
	if !ok || u.AccountID != sess.account {
		return users.User{}, ErrSessionExpired
	}
	// A session older than the password it was opened with is over, even
	// if ending it failed (the session store could not be reached when
	// the password changed). The slack allows for the clocks of the
	// servers that share the accounts, and for the workbook keeping
	// times to the second.
	// (A time still to come, typed into users.xlsx by mistake, is
	// ignored: it would refuse every session until then.)
	if changed := u.PasswordChanged; !changed.After(time.Now().Add(clockSlack)) && sess.Created.Before(changed.Add(-clockSlack)) {
		return users.User{}, ErrSessionExpired
	}
	if u.Disabled {
		return users.User{}, ErrDisabled
	}
	return u, nil
}

// applyEdits is the registry's OnExternalEdit function: an administrator
// edited users.xlsx while the server runs. Removing or disabling a user,
// or changing their password hash or account id, ends the user's sessions
// at once; account refuses them from then on anyway, and ending them also
// takes them out of sessions.json. It runs on the registry's writer
// goroutine, so it touches nothing but the session table.
func (s *Service) applyEdits(edits []users.Edit) {
	for _, e := range edits {
		reason := ""
		switch {
		case e.Added():
		case e.Removed():
			reason = "user removed"
		case e.New.Disabled && !e.Old.Disabled:
			reason = "user disabled"
		case e.New.AccountID != e.Old.AccountID:
			reason = "account id changed"
		case e.New.PasswordHash != e.Old.PasswordHash:
			reason = "password hash changed"
		}
		if reason == "" {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		n, _ := s.sessions.endUser(ctx, e.Name()) // (a failure is logged; account refuses the sessions anyway)
		cancel()
		s.logger.Info("sessions ended by an edit of users.xlsx", "user", e.Name(), "row", e.Row, "reason", reason, "sessions", n)
	}
}
