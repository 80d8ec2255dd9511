package users

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestReconcile reads edited rows against the version they were made
// from: the rules of reconcile, one case each.
func TestReconcile(t *testing.T) {
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	h1, h2, h3 := cheapHash(t, "one password"), cheapHash(t, "two password"), cheapHash(t, "three password")
	user := func(name, hash string, quota int64) User {
		return User{Name: name, PasswordHash: hash, Registered: when, PasswordChanged: when, QuotaBytes: quota, AccountID: newAccountID()}
	}
	alice, bob := user("alice", h1, 10), user("bob", h1, 20)
	with := func(u User, f func(*User)) User { f(&u); return u }
	row := func(num int, u User) sheetRow { return sheetRow{num: num, user: u} }
	bad := func(num int, u User, msg string) sheetRow { return sheetRow{num: num, user: u, err: errors.New(msg)} }
	state := func(us ...User) map[string]User {
		m := make(map[string]User)
		for _, u := range us {
			m[u.Name] = u
		}
		return m
	}
	// baseOf is a known base holding us.
	baseOf := func(us ...User) func(string) (User, bool) {
		m := state(us...)
		return func(name string) (User, bool) { u, ok := m[name]; return u, ok }
	}

	tests := []struct {
		name    string
		cur     map[string]User
		base    func(string) (User, bool) // nil: unknown
		rows    []sheetRow
		changed map[string]User
		removed []string
		refused map[int]string // row → part of the reason
	}{
		{
			name: "unchanged copy changes nothing",
			cur:  state(alice, bob), base: baseOf(alice, bob),
			rows: []sheetRow{row(2, alice), row(3, bob)},
		},
		{
			name: "quota and disabled edited",
			cur:  state(alice, bob), base: baseOf(alice, bob),
			rows:    []sheetRow{row(2, with(alice, func(u *User) { u.QuotaBytes = 99 })), row(3, with(bob, func(u *User) { u.Disabled = true }))},
			changed: state(with(alice, func(u *User) { u.QuotaBytes = 99 }), with(bob, func(u *User) { u.Disabled = true })),
		},
		{
			name: "new hash changes the password now",
			cur:  state(alice), base: baseOf(alice),
			rows:    []sheetRow{row(2, with(alice, func(u *User) { u.PasswordHash = h2 }))},
			changed: state(with(alice, func(u *User) { u.PasswordHash, u.PasswordChanged = h2, now })),
		},
		{
			name: "row removed",
			cur:  state(alice, bob), base: baseOf(alice, bob),
			rows:    []sheetRow{row(2, alice)},
			removed: []string{"bob"},
		},
		{
			name: "user registered after the copy is not a removal",
			cur:  state(alice, bob), base: baseOf(alice),
			rows: []sheetRow{row(2, alice)},
		},
		{
			name: "unknown base: the copy is the whole truth",
			cur:  state(alice, bob), base: nil,
			rows:    []sheetRow{row(2, alice)},
			removed: []string{"bob"},
		},
		{
			name: "server's change since the copy kept, admin's applied",
			// bob changed his password after the copy was made; the
			// administrator raised his quota in the copy.
			cur: state(with(bob, func(u *User) { u.PasswordHash, u.PasswordChanged = h3, now })), base: baseOf(bob),
			rows:    []sheetRow{row(2, with(bob, func(u *User) { u.QuotaBytes = 77 }))},
			changed: state(with(bob, func(u *User) { u.PasswordHash, u.PasswordChanged, u.QuotaBytes = h3, now, 77 })),
		},
		{
			name: "row added by hand gets an id",
			cur:  state(alice), base: baseOf(alice),
			rows:    []sheetRow{row(2, alice), row(3, with(bob, func(u *User) { u.AccountID = "" }))},
			changed: state(with(bob, func(u *User) { u.AccountID = "" })), // "": any fresh id
		},
		{
			name: "empty id cell keeps the id",
			cur:  state(alice), base: baseOf(alice),
			rows: []sheetRow{row(2, with(alice, func(u *User) { u.AccountID = "" }))},
		},
		{
			name: "a new id for an existing user",
			cur:  state(alice), base: baseOf(alice),
			rows:    []sheetRow{row(2, with(alice, func(u *User) { u.AccountID = "00112233445566778899aabbccddeeff" }))},
			changed: state(with(alice, func(u *User) { u.AccountID = "00112233445566778899aabbccddeeff" })),
		},
		{
			name: "bad row keeps the user",
			cur:  state(alice, bob), base: baseOf(alice, bob),
			rows:    []sheetRow{row(2, alice), bad(3, bob, "bad quota")},
			refused: map[int]string{3: "bad quota"},
		},
		{
			name: "bad new row is not added",
			cur:  state(alice), base: baseOf(alice),
			rows:    []sheetRow{row(2, alice), bad(3, User{Name: "erin"}, "bad hash")},
			refused: map[int]string{3: "bad hash"},
		},
		{
			name: "duplicate name refuses both rows",
			cur:  state(alice, bob), base: baseOf(alice, bob),
			rows:    []sheetRow{row(2, alice), row(3, with(bob, func(u *User) { u.QuotaBytes = 1 })), row(4, with(bob, func(u *User) { u.QuotaBytes = 2 }))},
			refused: map[int]string{3: "appears in rows [3 4]", 4: "appears in rows [3 4]"},
		},
		{
			name: "duplicate id refuses both rows",
			cur:  state(alice), base: baseOf(alice),
			rows: []sheetRow{row(2, alice), row(3, with(bob, func(u *User) { u.AccountID = alice.AccountID }))},
			// The copy of alice's id in bob's row also makes it alice's
			// row under another name.
			refused: map[int]string{2: "appears in rows [2 3]", 3: "appears in rows [2 3]"},
		},
		{
			name: "rename refused, both kept",
			cur:  state(alice), base: baseOf(alice),
			rows:    []sheetRow{row(2, with(alice, func(u *User) { u.Name = "alicia" }))},
			refused: map[int]string{2: `user "alice"'s`},
		},
		{
			name: "row typed for a name registered since",
			cur:  state(alice, bob), base: baseOf(alice),
			rows:    []sheetRow{row(2, alice), row(3, with(bob, func(u *User) { u.AccountID = ""; u.QuotaBytes = 5 }))},
			refused: map[int]string{3: "registered after this copy"},
		},
		{
			name: "old row of an account removed since is ignored",
			cur:  state(alice), base: baseOf(alice, bob),
			rows: []sheetRow{row(2, alice), row(3, bob)},
		},
		{
			name: "edited row of an account removed since is refused",
			cur:  state(alice), base: baseOf(alice, bob),
			rows:    []sheetRow{row(2, alice), row(3, with(bob, func(u *User) { u.QuotaBytes = 1 }))},
			refused: map[int]string{3: "was removed after this copy"},
		},
		{
			name: "row of an account replaced since is ignored",
			// bob was removed and registered again after the copy.
			cur: state(alice, with(bob, func(u *User) { u.AccountID = newAccountID() })), base: baseOf(alice, bob),
			rows: []sheetRow{row(2, alice), row(3, bob)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := maps.Clone(tt.cur)
			out := reconcile(tt.cur, tt.rows, tt.base, now)
			if !maps.Equal(cur, tt.cur) {
				t.Fatal("reconcile changed its input")
			}
			for name, u := range out.changed {
				want, ok := tt.changed[name]
				if ok && want.AccountID == "" {
					if len(u.AccountID) != accountIDLen {
						t.Errorf("%s got account id %q", name, u.AccountID)
					}
					want.AccountID = u.AccountID
				}
				if !ok || !sameUser(u, want) {
					t.Errorf("changed %s = %+v; want %+v (listed: %v)", name, u, want, ok)
				}
			}
			if len(out.changed) != len(tt.changed) {
				t.Errorf("changed %v; want %v", slices.Sorted(maps.Keys(out.changed)), slices.Sorted(maps.Keys(tt.changed)))
			}
			if !slices.Equal(out.removed, tt.removed) {
				t.Errorf("removed %v; want %v", out.removed, tt.removed)
			}
			if len(out.edits) != len(out.changed)+len(out.removed) {
				t.Errorf("%d edits for %d changes and %d removals", len(out.edits), len(out.changed), len(out.removed))
			}
			got := make(map[int]string)
			for _, f := range out.refused {
				got[f.row] = f.err.Error()
			}
			for num, want := range tt.refused {
				if !strings.Contains(got[num], want) {
					t.Errorf("row %d refused with %q; want %q", num, got[num], want)
				}
			}
			if len(got) != len(tt.refused) {
				t.Errorf("refused %v; want rows %v", got, slices.Sorted(maps.Keys(tt.refused)))
			}
		})
	}
}
