package users

import (
	"errors"
	"fmt"
	"time"
)

// User is one account as the registry keeps it.
type User struct {
	Name            string    // normalized (see NormalizeName)
	PasswordHash    string    // argon2id encoded form; never the password
	Registered      time.Time // UTC
	PasswordChanged time.Time // UTC
	QuotaBytes      int64     // 0 means no quota
	Disabled        bool
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
	if u.QuotaBytes < 0 {
		return u, fmt.Errorf("%w: user %q: quota must not be negative (0 means no quota)", ErrInvalidUser, name)
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
