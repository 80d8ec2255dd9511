package users

import (
	"errors"
	"testing"
)

// FuzzDecodeHash checks that no stored hash, however tampered, makes the
// parser panic or accept parameters outside the limits.
func FuzzDecodeHash(f *testing.F) {
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$ZGVyaXZlZGtleWRlcml2ZWRrZXlkZXJpdmVka2V5MTI")
	f.Add("$argon2id$v=19$m=262145,t=1,p=1$c29tZXNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5")
	f.Add("$argon2id$v=16$m=64,t=1,p=1$$")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		e, err := decodeHash(s)
		if err != nil {
			if !errors.Is(err, ErrBadHash) {
				t.Fatalf("error %v does not wrap ErrBadHash", err)
			}
			return
		}
		if err := checkParams(e.params); err != nil {
			t.Fatalf("accepted out-of-range parameters: %v", err)
		}
		if again, err := decodeHash(e.encode()); err != nil || again.params != e.params {
			t.Fatalf("re-encoding %q gives %+v, %v", s, again, err)
		}
	})
}

// FuzzNormalizeName checks that accepted names are stable and within the
// rules whatever the input.
func FuzzNormalizeName(f *testing.F) {
	for _, s := range []string{"alice", "ALICE", "a", "..", "a/b", "\u212aelvin", "ali\x00ce"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, err := NormalizeName(s)
		if err != nil {
			return
		}
		if again, err := NormalizeName(name); err != nil || again != name {
			t.Fatalf("NormalizeName(%q) = %q, but normalizing that gives %q, %v", s, name, again, err)
		}
		if len(name) < MinNameLen || len(name) > MaxNameLen || name[0] < 'a' || name[0] > 'z' {
			t.Fatalf("NormalizeName(%q) accepted %q", s, name)
		}
		for _, b := range []byte(name) {
			if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_' || b == '-') {
				t.Fatalf("NormalizeName(%q) accepted %q", s, name)
			}
		}
	})
}
