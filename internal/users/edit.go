package users

import "log/slog"

// Edit is one account changed by an edit of the workbook made outside the
// server (an administrator saving users.xlsx from a spreadsheet while the
// server runs), as the registry applied it.
type Edit struct {
	Row int  // the row of the edited workbook; 0 for a removed user
	Old User // the account before; zero (Name "") for one the edit added
	New User // the account after; zero for one the edit removed
}

// Name is the user the edit is about.
func (e Edit) Name() string {
	if e.New.Name != "" {
		return e.New.Name
	}
	return e.Old.Name
}

// Added reports whether the edit added the account.
func (e Edit) Added() bool { return e.Old.Name == "" }

// Removed reports whether the edit removed the account.
func (e Edit) Removed() bool { return e.New.Name == "" }

// OnExternalEdit sets fn to be told of every external edit applied, with
// the accounts it added, removed or changed; nil stops the calls. fn runs
// on the registry's writer goroutine once the edit is visible to Get and
// List, before the workbook is rewritten: it must be quick and must not
// call Add, Update, Refresh or Close, which wait for that goroutine.
func (r *Registry) OnExternalEdit(fn func([]Edit)) {
	if fn == nil {
		r.onEdit.Store(nil)
		return
	}
	r.onEdit.Store(&fn)
}

// logEdit writes one line per value an edit changed. Hashes are never
// logged, only that one changed.
func (r *Registry) logEdit(e Edit) {
	const suffix = " by an edit of users.xlsx"
	user, row := slog.String("user", e.Name()), slog.Int("row", e.Row)
	o, n := e.Old, e.New
	info := func(msg string, args ...any) {
		r.logger.Info(msg+suffix, append([]any{user, row}, args...)...)
	}
	switch {
	case e.Added():
		info("user added", "quota", n.QuotaBytes, "max_entries", n.MaxEntries, "disabled", n.Disabled, "account_id", n.AccountID)
		return
	case e.Removed():
		r.logger.Info("user removed"+suffix, user, "account_id", o.AccountID)
		return
	}
	if o.QuotaBytes != n.QuotaBytes {
		info("user quota changed", "old", o.QuotaBytes, "new", n.QuotaBytes)
	}
	if o.MaxEntries != n.MaxEntries {
		info("user max entries changed", "old", o.MaxEntries, "new", n.MaxEntries)
	}
	switch {
	case n.Disabled && !o.Disabled:
		info("user disabled")
	case o.Disabled && !n.Disabled:
		info("user enabled")
	}
	if o.PasswordHash != n.PasswordHash {
		info("user password hash changed")
	}
	if !o.PasswordChanged.Equal(n.PasswordChanged) {
		info("user password change time changed", "old", o.PasswordChanged, "new", n.PasswordChanged)
	}
	if !o.Registered.Equal(n.Registered) {
		info("user registration time changed", "old", o.Registered, "new", n.Registered)
	}
	if o.AccountID != n.AccountID {
		info("user account id changed", "old", o.AccountID, "new", n.AccountID)
	}
}
