package users

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// User is one account as the registry keeps it.
type User struct {
	Name            string    // normalized (see NormalizeName)
	PasswordHash    string    // argon2id encoded form; never the password
	Registered      time.Time // UTC
	PasswordChanged time.Time // UTC
	QuotaBytes      int64     // 0 means no quota
	// MaxEntries overrides the server's limit on the user's files and
	// folders; 0 means the server's default.
	MaxEntries int64
	Disabled   bool
	// AccountID tells this account apart from any other that had or will
	// have the same name: sessions are bound to it, so removing a user and
	// registering the name again does not hand the old sessions over.
	// Add assigns it (32 hex digits, random); it never changes afterwards
	// except by an edit of the workbook.
	AccountID string
}

// ErrInvalidUser is returned, wrapped with the reason, for a User that the
// registry refuses to store.
var ErrInvalidUser = errors.New("invalid user record")

// normalizeUser validates u and puts it in the form the workbook stores, so
// that the in-memory state equals what a reload would give: normalized name,
// UTC times to the second, a well-formed hash. Zero times become now, and a
// zero PasswordChanged becomes Registered.
func normalizeUser(u User, now time.Time) (User, error) {
	name, err := NormalizeName(u.Name)
	if err != nil {
		return u, err
	}
	u.Name = name
	// Refusing anything but a valid argon2id hash also stops a clear-text
	// password from reaching the workbook by mistake.
	if _, err := decodeHash(u.PasswordHash); err != nil {
		return u, fmt.Errorf("%w: user %q: %w", ErrInvalidUser, name, err)
	}
	if u.AccountID, err = parseAccountID(u.AccountID); err != nil || u.AccountID == "" {
		if err == nil {
			err = errors.New("an account id is required")
		}
		return u, fmt.Errorf("%w: user %q: %w", ErrInvalidUser, name, err)
	}
	if u.QuotaBytes < 0 {
		return u, fmt.Errorf("%w: user %q: quota must not be negative (0 means no quota)", ErrInvalidUser, name)
	}
	if u.MaxEntries < 0 {
		return u, fmt.Errorf("%w: user %q: max entries must not be negative (0 means the server's default)", ErrInvalidUser, name)
	}
	if u.Registered.IsZero() {
		u.Registered = now
	}
	if u.PasswordChanged.IsZero() {
		u.PasswordChanged = u.Registered
	}
	u.Registered = u.Registered.UTC().Truncate(time.Second)
	u.PasswordChanged = u.PasswordChanged.UTC().Truncate(time.Second)
	for _, t := range []time.Time{u.Registered, u.PasswordChanged} {
		if err := checkYear(t); err != nil {
			return u, fmt.Errorf("%w: user %q: %w", ErrInvalidUser, name, err)
		}
	}
	return u, nil
}

// checkYear refuses times the workbook cannot hold: it writes four-digit
// years, and a longer one would make the workbook unreadable.
func checkYear(t time.Time) error {
	if t.Year() < 1 || t.Year() > 9999 {
		return fmt.Errorf("time %v is outside the years 1 to 9999", t)
	}
	return nil
}

// accountIDLen is the length of an account id: 16 random bytes in hex.
const accountIDLen = 32

// newAccountID returns a fresh random account id. 128 random bits never
// collide in practice, so no registry-wide check is needed for them (the
// workbook reader still refuses an id used twice, which only an edit can
// cause).
func newAccountID() string {
	var b [accountIDLen / 2]byte
	rand.Read(b[:]) // never fails (crypto/rand panics rather than return an error)
	return hex.EncodeToString(b[:])
}

// parseAccountID checks an account id as found in the workbook: empty
// (the registry assigns one) or 32 hex digits, returned in lower case.
func parseAccountID(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if len(s) != accountIDLen {
		return "", fmt.Errorf("an account id has %d hex digits, this one %d characters; leave it empty for a new user", accountIDLen, len(s))
	}
	s = strings.ToLower(s)
	if _, err := hex.DecodeString(s); err != nil {
		return "", fmt.Errorf("account id %q is not %d hex digits; leave it empty for a new user", s, accountIDLen)
	}
	return s, nil
}
