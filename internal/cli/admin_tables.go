package cli

import (
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"netdisk/internal/admin"
	"netdisk/internal/units"
)

// The tables of netdisk admin (without --json).

func (a *app) printUsers(list []admin.User) error {
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tREGISTERED\tLAST LOGIN\tUSED\tENTRIES\tQUOTA\tDISABLED\tSESSIONS")
	for _, u := range list {
		quota := "none"
		if u.Quota > 0 {
			quota = units.Bytes(u.Quota)
		}
		entries := strconv.FormatInt(u.Entries, 10)
		if u.MaxEntries > 0 {
			entries += " of " + strconv.FormatInt(u.MaxEntries, 10)
		}
		disabled := "no"
		if u.Disabled {
			disabled = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", u.Name, shortTime(&u.Registered), shortTime(u.LastLogin),
			units.Bytes(u.Bytes), entries, quota, disabled, u.Sessions)
	}
	return tw.Flush()
}

func (a *app) printSessions(list []admin.Session) error {
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tCREATED\tEXPIRES\tLAST USED\tADDRESS\tDOOR")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.User, shortTime(&s.Created), shortTime(&s.Expires), shortTime(s.LastUsed),
			orDash(safeText(s.Addr)), orDash(safeText(s.Door)))
	}
	return tw.Flush()
}

func (a *app) printUploads(list []admin.Upload) error {
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tPATH\tHELD\tAGE\tHOLDER")
	for _, u := range list {
		age := time.Since(u.Updated).Round(time.Second)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.User, safeText(u.Path), units.Bytes(u.Held), age, safeText(u.Holder))
	}
	return tw.Flush()
}

// shortTime writes a time of the admin tables, local, to the minute; "-"
// for none.
func shortTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// plural writes "1 session", "2 sessions".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// nonNil makes an empty list print as [] rather than null.
func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}
