package service

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"netdisk/internal/sessions"
)

// Session is a logged-in user. The token is the bearer secret a client
// keeps between commands; the session store keeps only its SHA-256.
type Session struct {
	Token   string
	User    string
	Created time.Time
	Expires time.Time
	key     string // sessions.Key(Token)
	// account is the account id of User at login. A session is only
	// good for that account: once the user is removed and the name
	// registered again, the new account has another id (see account).
	account string
}

// SessionInfo describes a live session for the administrator.
type SessionInfo struct {
	User     string
	Created  time.Time
	Expires  time.Time
	LastUsed time.Time // zero if not known
	Origin   Origin    // zero fields if not known
}

// sessionTable is the service's side of the session store (a file for
// one server, PostgreSQL for several): it makes tokens and lifetimes, and
// logs what the store could not do. A store that fails refuses the
// session (the client logs in again), never grants one.
type sessionTable struct {
	store  sessions.Store
	ttl    time.Duration
	logger *slog.Logger
}

// generation is how many times all of user's sessions were ended; a
// login takes it before it reads the user's password hash.
func (t *sessionTable) generation(ctx context.Context, user string) (uint64, error) {
	return t.store.Generation(ctx, user)
}

// create starts a session for user, whose account id is account, logged
// in from origin, unless the user's sessions were ended since gen (the
// password changed, say, while this login was being checked against the
// old one); then it reports false.
func (t *sessionTable) create(ctx context.Context, user, account string, origin Origin, gen uint64) (*Session, bool, error) {
	token, key := sessions.NewToken()
	now := time.Now().UTC().Truncate(time.Microsecond) // as a database keeps it
	s := &Session{Token: token, User: user, Created: now, Expires: now.Add(t.ttl), key: key, account: account}
	ok, err := t.store.Create(ctx, sessions.Session{Key: key, User: user, Account: account, Created: s.Created, Expires: s.Expires, Door: origin.Door, Addr: origin.Addr}, gen)
	if err != nil || !ok {
		return nil, false, err
	}
	return s, true, nil
}

// lookup returns the live session for token; ok is false if there is
// none, err set if the store could not tell.
func (t *sessionTable) lookup(ctx context.Context, token string) (*Session, bool, error) {
	rec, ok, err := t.store.Use(ctx, sessions.Key(token))
	if err != nil || !ok {
		return nil, false, err
	}
	return &Session{Token: token, User: rec.User, Created: rec.Created, Expires: rec.Expires, key: rec.Key, account: rec.Account}, true, nil
}

// live reports whether s has not been ended or expired, and notes that
// it was used now; err set if the store could not tell.
func (t *sessionTable) live(ctx context.Context, s *Session) (bool, error) {
	_, ok, err := t.store.Use(ctx, s.key)
	return ok, err
}

// list describes the live sessions of user ("" for everyone's), oldest
// first.
func (t *sessionTable) list(ctx context.Context, user string) ([]SessionInfo, error) {
	recs, err := t.store.List(ctx, user)
	if err != nil {
		return nil, err
	}
	out := make([]SessionInfo, len(recs))
	for i, r := range recs {
		out[i] = SessionInfo{User: r.User, Created: r.Created, Expires: r.Expires, LastUsed: r.LastUsed, Origin: Origin{Door: r.Door, Addr: r.Addr}}
	}
	return out, nil
}

// end ends one session.
func (t *sessionTable) end(ctx context.Context, s *Session) error {
	return t.store.End(ctx, s.key)
}

// endUser ends every session of user and reports how many it ended.
func (t *sessionTable) endUser(ctx context.Context, user string) (int, error) {
	n, err := t.store.EndUser(ctx, user)
	if err != nil {
		t.logger.ErrorContext(ctx, "ending the sessions of a user", "user", user, "err", err)
	}
	return n, err
}

// sessionFault is the error of a session store (or of the database the
// servers share for sessions, login counts and name locks) that failed:
// the request's own end if that is what stopped it.
func (s *Service) sessionFault(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	s.logger.ErrorContext(ctx, "session store or shared database", "err", err)
	return fmt.Errorf("the sessions' store failed; try again: %w", err)
}
