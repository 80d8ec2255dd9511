package users

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Limits on user names and passwords.
const (
	MinNameLen     = 3
	MaxNameLen     = 32
	MinPasswordLen = 8    // in characters (runes)
	MaxPasswordLen = 1024 // in bytes, bounding the work a login can ask for
)

// ErrBadName is returned, wrapped with the rule that was broken, for a user
// name that NormalizeName refuses.
var ErrBadName = errors.New("invalid user name")

// ErrBadPassword is returned, wrapped with the rule that was broken, for a
// password that CheckPassword refuses.
var ErrBadPassword = errors.New("password does not meet the rules")

// nameRule is appended to every name error so that the user learns the whole
// rule, not only the part they happened to break.
const nameRule = "use 3 to 32 characters: a-z, 0-9, '_' or '-', starting with a letter"

// NormalizeName folds ASCII upper case to lower case and validates the
// result. User names are case-insensitive and stored in lower case; they
// have 3 to 32 characters from a-z, 0-9, '_' and '-', and start with a
// letter. Anything else (spaces, dots, slashes, NUL, non-ASCII letters that
// merely look like ASCII ones) is refused with ErrBadName and the reason.
//
// The alphabet is kept this small because names end up in folder names,
// log lines and a spreadsheet, where anything cleverer invites confusion.
func NormalizeName(name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("%w: a user name is required; %s", ErrBadName, nameRule)
	}
	// Check the characters before the length, so that "a/" is reported as
	// a bad character rather than as too short.
	folded := []byte(name)
	for i, b := range folded {
		switch {
		case b >= 'A' && b <= 'Z':
			folded[i] = b + ('a' - 'A')
		case b >= 'a' && b <= 'z', b >= '0' && b <= '9', b == '_', b == '-':
		case b >= utf8.RuneSelf:
			return "", fmt.Errorf("%w: only ASCII characters are allowed; %s", ErrBadName, nameRule)
		default:
			return "", fmt.Errorf("%w: the character %q is not allowed; %s", ErrBadName, rune(b), nameRule)
		}
	}
	switch {
	case len(folded) < MinNameLen:
		return "", fmt.Errorf("%w: too short; %s", ErrBadName, nameRule)
	case len(folded) > MaxNameLen:
		return "", fmt.Errorf("%w: too long; %s", ErrBadName, nameRule)
	case folded[0] < 'a' || folded[0] > 'z':
		return "", fmt.Errorf("%w: must start with a letter; %s", ErrBadName, nameRule)
	}
	return string(folded), nil
}

// CheckPassword reports whether pw is acceptable as a new password: valid
// UTF-8, no NUL byte, at least MinPasswordLen characters and at most
// MaxPasswordLen bytes. The error wraps ErrBadPassword and says which rule
// applies.
func CheckPassword(pw string) error {
	// The byte limit comes first so the other checks never scan a huge input.
	if len(pw) > MaxPasswordLen {
		return fmt.Errorf("%w: use at most %d bytes", ErrBadPassword, MaxPasswordLen)
	}
	if !utf8.ValidString(pw) {
		return fmt.Errorf("%w: the password is not valid UTF-8 text", ErrBadPassword)
	}
	for i := 0; i < len(pw); i++ {
		if pw[i] == 0 {
			return fmt.Errorf("%w: the password must not contain a NUL character", ErrBadPassword)
		}
	}
	if utf8.RuneCountInString(pw) < MinPasswordLen {
		return fmt.Errorf("%w: use at least %d characters", ErrBadPassword, MinPasswordLen)
	}
	return nil
}
