package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"netdisk/internal/atomicfile"
)

// Session is a logged-in user. The token is the bearer secret a client
// keeps between commands; the server stores only its SHA-256.
type Session struct {
	Token   string
	User    string
	Created time.Time
	Expires time.Time
	key     string // hex SHA-256 of Token
	// account is the account id of User at login. A session is only
	// good for that account: once the user is removed and the name
	// registered again, the new account has another id (see account).
	account string
	// Where the login came from (for the administrator), and when the
	// session was last used; kept in the table's record only.
	origin   Origin
	lastUsed atomic.Int64 // unix nanoseconds; 0: not since the server started
}

// sessionRecord is one line of sessions.json.
type sessionRecord struct {
	Key     string    `json:"token_sha256"`
	User    string    `json:"user"`
	Account string    `json:"account_id"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	// Added later, so optional: sessions of an earlier version lack them.
	Door     string     `json:"door,omitempty"`
	Addr     string     `json:"addr,omitempty"`
	LastUsed *time.Time `json:"last_used,omitempty"`
}

// sessionTable keeps live sessions in memory and in a JSON file so they
// survive a restart. Writes are coalesced by a background flusher: a crash
// can forget the last fraction of a second of logins (those users log in
// again) but never tears the file (write, fsync, rename).
type sessionTable struct {
	path   string
	ttl    time.Duration
	logger *slog.Logger

	mu    sync.Mutex
	byKey map[string]*Session
	// ended counts, per user, the times all of the user's sessions were
	// ended (a password change, kick, disable, removal): a login checked
	// against the password before such an end must not start a session
	// after it (see createIf). Bounded by the accounts that ever had it.
	ended map[string]uint64
	dirty chan struct{}
	done  chan struct{}
	wg    sync.WaitGroup
}

func openSessionTable(path string, ttl time.Duration, logger *slog.Logger) (*sessionTable, error) {
	t := &sessionTable{
		path:   path,
		ttl:    ttl,
		logger: logger,
		byKey:  make(map[string]*Session),
		dirty:  make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
	// Sessions are a convenience, so a leftover that cannot be removed is
	// only worth a warning.
	removed, err := atomicfile.RemoveTemps(path)
	for _, name := range removed {
		logger.Warn("removed temporary file left by an interrupted save", "file", name)
	}
	if err != nil {
		logger.Warn("cleaning up after an interrupted save of sessions", "err", err)
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("reading sessions: %w", err)
	default:
		var records []sessionRecord
		if err := json.Unmarshal(data, &records); err != nil {
			// Sessions are a convenience: losing them only means logging in
			// again, so a damaged file must not stop the server.
			logger.Warn("ignoring damaged sessions file", "path", path, "err", err)
		}
		now := time.Now()
		unbound := 0
		for _, r := range records {
			switch {
			case r.Account == "":
				// Saved before sessions were bound to account ids: it
				// cannot be told whose account it was, so it ends.
				unbound++
			case r.Expires.After(now):
				s := &Session{User: r.User, Created: r.Created, Expires: r.Expires, key: r.Key, account: r.Account, origin: Origin{Door: r.Door, Addr: r.Addr}}
				if r.LastUsed != nil {
					s.lastUsed.Store(r.LastUsed.UnixNano())
				}
				t.byKey[r.Key] = s
			}
		}
		if unbound > 0 {
			logger.Info("ended sessions saved without an account id by an earlier version; those users log in again", "sessions", unbound)
			t.markDirty()
		}
	}
	t.wg.Add(1)
	go t.flusher()
	return t, nil
}

func tokenKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// maxSessionsPerUser bounds the live sessions of one user; a new login
// beyond it ends the user's oldest session, so logging in in a loop cannot
// grow the table (or sessions.json) without bound.
const maxSessionsPerUser = 64

// create starts a new session for user, whose account id is account,
// logged in from origin.
// generation is how many times all of user's sessions were ended; a login
// takes it before it reads the user's password hash.
func (t *sessionTable) generation(user string) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ended[user]
}

// createIf starts a session like create unless the user's sessions were
// ended since gen (the password changed, say, while this login was being
// checked against the old one); then it reports false.
func (t *sessionTable) createIf(user, account string, origin Origin, gen uint64) (*Session, bool) {
	t.mu.Lock()
	changed := t.ended[user] != gen
	t.mu.Unlock()
	if changed {
		return nil, false
	}
	s := t.create(user, account, origin)
	// An end that came between the check and the create ended every
	// session it found; this one it may have missed.
	t.mu.Lock()
	changed = t.ended[user] != gen
	if changed {
		delete(t.byKey, s.key)
	}
	t.mu.Unlock()
	if changed {
		t.markDirty()
		return nil, false
	}
	return s, true
}

func (t *sessionTable) create(user, account string, origin Origin) *Session {
	var raw [32]byte
	rand.Read(raw[:])
	token := base64.RawURLEncoding.EncodeToString(raw[:])
	now := time.Now().UTC()
	s := &Session{Token: token, User: user, Created: now, Expires: now.Add(t.ttl), key: tokenKey(token), account: account}
	t.mu.Lock()
	t.byKey[s.key] = &Session{User: s.User, Created: s.Created, Expires: s.Expires, key: s.key, account: account, origin: origin}
	t.trimUser(user)
	t.mu.Unlock()
	t.markDirty()
	return s
}

// trimUser ends the oldest sessions of user beyond maxSessionsPerUser.
// Called with mu held.
func (t *sessionTable) trimUser(user string) {
	var mine []*Session
	for _, s := range t.byKey {
		if s.User == user {
			mine = append(mine, s)
		}
	}
	if len(mine) <= maxSessionsPerUser {
		return
	}
	slices.SortFunc(mine, func(a, b *Session) int { return a.Created.Compare(b.Created) })
	for _, s := range mine[:len(mine)-maxSessionsPerUser] {
		delete(t.byKey, s.key)
	}
}

// lookup returns the live session for token.
func (t *sessionTable) lookup(token string) (*Session, bool) {
	key := tokenKey(token)
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.byKey[key]
	if !ok || time.Now().After(s.Expires) {
		return nil, false
	}
	return &Session{Token: token, User: s.User, Created: s.Created, Expires: s.Expires, key: key, account: s.account}, true
}

// live reports whether s has not been ended or expired, and notes that
// it was used now.
func (t *sessionTable) live(s *Session) bool {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	rec, ok := t.byKey[s.key]
	if !ok || !now.Before(rec.Expires) {
		return false
	}
	rec.lastUsed.Store(now.UnixNano())
	return true
}

// SessionInfo describes a live session for the administrator.
type SessionInfo struct {
	User     string
	Created  time.Time
	Expires  time.Time
	LastUsed time.Time // zero if not known
	Origin   Origin    // zero fields if not known
}

// list describes the live sessions of user ("" for everyone's), oldest
// first.
func (t *sessionTable) list(user string) []SessionInfo {
	now := time.Now()
	t.mu.Lock()
	var out []SessionInfo
	for _, s := range t.byKey {
		if (user != "" && s.User != user) || !now.Before(s.Expires) {
			continue
		}
		info := SessionInfo{User: s.User, Created: s.Created, Expires: s.Expires, Origin: s.origin}
		if n := s.lastUsed.Load(); n != 0 {
			info.LastUsed = time.Unix(0, n).UTC()
		}
		out = append(out, info)
	}
	t.mu.Unlock()
	slices.SortFunc(out, func(a, b SessionInfo) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.User, b.User)
	})
	return out
}

// end removes one session.
func (t *sessionTable) end(s *Session) {
	t.mu.Lock()
	delete(t.byKey, s.key)
	t.mu.Unlock()
	t.markDirty()
}

// endUser removes every session of user except keep (which may be nil),
// and reports how many it removed.
func (t *sessionTable) endUser(user string, keep *Session) int {
	t.mu.Lock()
	if t.ended == nil {
		t.ended = make(map[string]uint64)
	}
	t.ended[user]++
	ended := 0
	for k, s := range t.byKey {
		if s.User == user && (keep == nil || k != keep.key) {
			delete(t.byKey, k)
			ended++
		}
	}
	t.mu.Unlock()
	t.markDirty()
	return ended
}

func (t *sessionTable) markDirty() {
	select {
	case t.dirty <- struct{}{}:
	default:
	}
}

func (t *sessionTable) flusher() {
	defer t.wg.Done()
	for {
		select {
		case <-t.dirty:
			// Let a burst of logins share one write.
			select {
			case <-time.After(200 * time.Millisecond):
			case <-t.done:
			}
			if err := t.save(); err != nil {
				t.logger.Error("saving sessions", "err", err)
			}
		case <-t.done:
			return
		}
	}
}

func (t *sessionTable) save() error {
	now := time.Now()
	t.mu.Lock()
	records := make([]sessionRecord, 0, len(t.byKey))
	for k, s := range t.byKey {
		if now.After(s.Expires) {
			delete(t.byKey, k)
			continue
		}
		r := sessionRecord{Key: k, User: s.User, Account: s.account, Created: s.Created, Expires: s.Expires, Door: s.origin.Door, Addr: s.origin.Addr}
		if n := s.lastUsed.Load(); n != 0 {
			used := time.Unix(0, n).UTC()
			r.LastUsed = &used
		}
		records = append(records, r)
	}
	t.mu.Unlock()
	data, err := json.Marshal(records)
	if err != nil {
		return err
	}
	return atomicfile.Write(t.path, data, 0o600)
}

// close stops the flusher and writes the table a last time.
func (t *sessionTable) close(ctx context.Context) error {
	close(t.done)
	t.wg.Wait()
	return t.save()
}
