package sessions

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"
)

// Session is one session as a Store keeps it.
type Session struct {
	Key     string // hex SHA-256 of the bearer token (see NewToken)
	User    string
	Account string // the account id of User at login: the session is good for that account only
	Created time.Time
	Expires time.Time
	// LastUsed is when the session was last used, to the nearest
	// TouchEvery; zero if never.
	LastUsed time.Time
	Door     string // the front door the login came through ("tcp", "web", …)
	Addr     string // the client's address at login
}

// Store keeps sessions. Sessions whose Expires has passed are never
// returned, and are removed in time. A Store is safe for concurrent use.
type Store interface {
	// Generation returns how many times all of user's sessions were
	// ended (EndUser).
	Generation(ctx context.Context, user string) (uint64, error)
	// Create adds s unless s.User's sessions were ended since generation
	// gen was read; then it reports false and adds nothing. A user's
	// sessions beyond MaxPerUser end, the oldest first.
	Create(ctx context.Context, s Session, gen uint64) (bool, error)
	// Use returns the live session whose key is key and notes that it was
	// used now; ok is false if there is none (ended, expired, unknown).
	Use(ctx context.Context, key string) (s Session, ok bool, err error)
	// List returns the live sessions of user ("" for everyone's), oldest
	// first.
	List(ctx context.Context, user string) ([]Session, error)
	// End ends the session whose key is key; ending an unknown one is not
	// an error.
	End(ctx context.Context, key string) error
	// EndUser ends every session of user, raises the user's generation,
	// and reports how many sessions it ended.
	EndUser(ctx context.Context, user string) (int, error)
	// Close stops the store's background work and saves what it must.
	// The shared resources it was opened on (a database pool) stay open.
	Close(ctx context.Context) error
}

// MaxPerUser bounds the live sessions of one user: a login beyond it ends
// the user's oldest session, so logging in in a loop cannot grow the
// store without bound.
const MaxPerUser = 64

// TouchEvery is how often a session's LastUsed is written at most: it is
// for the administrator's eyes, and writing it on every request would cost
// a write per request.
const TouchEvery = time.Minute

// NewToken returns a fresh bearer token and its key.
func NewToken() (token, key string) {
	var raw [32]byte
	rand.Read(raw[:])
	token = base64.RawURLEncoding.EncodeToString(raw[:])
	return token, Key(token)
}

// Key returns the key a Store knows the session of token by.
func Key(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
