package users

import (
	"fmt"
	"slices"
	"time"
)

// outcome is what an edited copy of the workbook changes in the registry.
type outcome struct {
	changed map[string]User // accounts added or changed, by name
	removed []string
	edits   []Edit // the same, for the owner and the log, in row order
	refused []refusal
	// rows are the copy's rows that differ from the version it was made
	// from (zero User for a user it lacks), for history.noteEdited.
	rows map[string]User
}

// refusal is a row the registry cannot accept; it keeps its own value
// for that user.
type refusal struct {
	row  int
	user string // "" if the name cell is not a valid name
	err  error
}

// reconcile works out what the rows of an edited workbook change in cur,
// the present state. base says what the copy held before it was edited
// (history.base); nil means unknown, and the copy is then read against
// cur, as a whole new truth.
//
// Each field of a row counts as edited if it differs from the base, and
// only then replaces the present value: a password the user changed after
// the copy was made is kept unless the administrator changed it too. A
// user missing from the copy is removed only if the base had it (a user
// who registered later is not a removal). A row that cannot be accepted
// is refused whole and its user, if any, keeps every present value: a
// bad cell, a name or account id in two rows, an id that belongs to
// another user (renames are not supported), a new name that registered
// meanwhile.
func reconcile(cur map[string]User, rows []sheetRow, base func(string) (User, bool), now time.Time) outcome {
	if base == nil {
		base = func(name string) (User, bool) { u, ok := cur[name]; return u, ok }
	}
	out := outcome{changed: make(map[string]User), rows: make(map[string]User)}
	owner := make(map[string]string, len(cur)) // account id → name
	for name, u := range cur {
		owner[u.AccountID] = name
	}
	byName, byID := make(map[string][]int), make(map[string][]int) // → row numbers
	for _, row := range rows {
		if u := row.user; u.Name != "" {
			byName[u.Name] = append(byName[u.Name], row.num)
		}
		if id := row.user.AccountID; id != "" {
			byID[id] = append(byID[id], row.num)
		}
	}
	present := make(map[string]bool) // users some row names, even a refused one
	for _, row := range rows {
		u := row.user
		idOwner := ""
		if u.AccountID != "" {
			idOwner = owner[u.AccountID]
		}
		present[idOwner] = true
		present[u.Name] = true
		err := row.err
		switch {
		case err != nil:
		case len(byName[u.Name]) > 1:
			err = fmt.Errorf("user %q appears in rows %v; keep one", u.Name, byName[u.Name])
		case len(byID[u.AccountID]) > 1:
			err = fmt.Errorf("account id %s appears in rows %v; keep one", u.AccountID, byID[u.AccountID])
		case idOwner != "" && idOwner != u.Name:
			err = fmt.Errorf("the account id is user %q's: users cannot be renamed (remove the row and add a new one with an empty account id)", idOwner)
		default:
			err = out.applyRow(row.num, u, cur, base, now)
		}
		if err != nil {
			out.refused = append(out.refused, refusal{row: row.num, user: u.Name, err: err})
		}
	}
	var gone []string
	for name := range cur {
		if _, inBase := base(name); inBase && !present[name] {
			gone = append(gone, name)
		}
	}
	slices.Sort(gone)
	for _, name := range gone {
		out.removed = append(out.removed, name)
		out.edits = append(out.edits, Edit{Old: cur[name]})
		out.rows[name] = User{}
	}
	return out
}

// applyRow applies one valid row whose name and account id no other row
// has, or says why it cannot.
func (o *outcome) applyRow(num int, row User, cur map[string]User, base func(string) (User, bool), now time.Time) error {
	was, inBase := base(row.Name)
	now0, exists := cur[row.Name]
	if row.AccountID == "" {
		row.AccountID = was.AccountID // an empty id cell changes nothing
	}
	switch {
	case exists && !inBase:
		return fmt.Errorf("user %q registered after this copy of the workbook was made; add the row again in a fresh copy", row.Name)
	case inBase && (!exists || now0.AccountID != was.AccountID):
		if sameUser(row, was) {
			return nil // an old copy's row of an account removed since
		}
		return fmt.Errorf("the account of user %q was removed after this copy of the workbook was made; the row is ignored", row.Name)
	case !exists:
		// A new account typed in by hand.
		if row.AccountID == "" {
			row.AccountID = newAccountID()
		}
		u, err := normalizeUser(row, now)
		if err != nil {
			return err
		}
		o.changed[u.Name] = u
		o.edits = append(o.edits, Edit{Row: num, New: u})
		o.rows[u.Name] = u
		return nil
	}
	u, err := normalizeUser(merge3(row, was, now0, now), now)
	if err != nil {
		return err
	}
	if !sameUser(row, was) {
		o.rows[u.Name] = row
	}
	if !sameUser(u, now0) {
		o.changed[u.Name] = u
		o.edits = append(o.edits, Edit{Row: num, Old: now0, New: u})
	}
	return nil
}

// merge3 returns cur with the fields that row changes from base.
func merge3(row, base, cur User, now time.Time) User {
	out := cur
	if row.PasswordHash != base.PasswordHash && row.PasswordHash != cur.PasswordHash {
		// A new hash pasted in: the password changes now, unless the
		// row also says when.
		out.PasswordHash, out.PasswordChanged = row.PasswordHash, now
	}
	if !row.PasswordChanged.Equal(base.PasswordChanged) {
		out.PasswordChanged = row.PasswordChanged
	}
	if !row.Registered.Equal(base.Registered) {
		out.Registered = row.Registered
	}
	if row.QuotaBytes != base.QuotaBytes {
		out.QuotaBytes = row.QuotaBytes
	}
	if row.Disabled != base.Disabled {
		out.Disabled = row.Disabled
	}
	if row.MaxEntries != base.MaxEntries {
		out.MaxEntries = row.MaxEntries
	}
	if row.AccountID != base.AccountID {
		out.AccountID = row.AccountID
	}
	return out
}

// sameUser reports whether a and b hold the same values.
func sameUser(a, b User) bool {
	return a.Name == b.Name && a.PasswordHash == b.PasswordHash &&
		a.Registered.Equal(b.Registered) && a.PasswordChanged.Equal(b.PasswordChanged) &&
		a.QuotaBytes == b.QuotaBytes && a.MaxEntries == b.MaxEntries && a.Disabled == b.Disabled && a.AccountID == b.AccountID
}
