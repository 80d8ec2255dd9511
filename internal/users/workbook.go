package users

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"
)

// ErrMalformed is returned, wrapped with the file, row and column at fault,
// for a workbook that cannot be read back as a user registry.
var ErrMalformed = errors.New("malformed user workbook")

// sheetName is the one sheet of the workbook.
const sheetName = "users"

// Columns of the users sheet, in order. Row 1 holds their titles. Columns
// added later come after the others, so that a workbook of an earlier
// format is still read: legacyCols is where the first format ends (before
// account ids), idCols where the second ends (before per-user entry
// limits).
const (
	colName = iota + 1
	colHash
	colRegistered
	colPasswordChanged
	colQuota
	colDisabled
	colAccountID
	colMaxEntries
	numCols    = colMaxEntries
	legacyCols = colDisabled
	idCols     = colAccountID
)

// header is row 1 of the sheet; titles carry units so the sheet explains
// itself to an administrator.
var header = [numCols]string{
	"Username",
	"Password hash (argon2id)",
	"Registered (UTC)",
	"Password changed (UTC)",
	"Quota (bytes)",
	"Disabled",
	"Account ID",
	"Max entries",
}

// versionProp is the custom document property in which each workbook the
// registry writes carries a random mark of that write. Spreadsheets keep
// custom properties when they save, so an edited copy still says which
// version it was made from, and the registry can tell a row the
// administrator deleted from a user registered after the copy was opened.
const versionProp = "netdisk-version"

// timeLayout is ISO-8601 in UTC to the second. As text it sorts the same way
// as the instants it names, so sorting the column in a spreadsheet works.
const timeLayout = "2006-01-02T15:04:05Z"

// writeWorkbook writes users, already sorted by name, as an .xlsx workbook.
// It streams rows rather than building the sheet in memory, which keeps a
// 100,000-user rewrite under a second.
// version is the mark written in versionProp.
func writeWorkbook(w io.Writer, users []User, version string) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName(f.GetSheetName(0), sheetName); err != nil {
		return fmt.Errorf("naming sheet: %w", err)
	}
	// The header is bold on a tint; times are real dates (serial numbers
	// with a date-time format, UTC as the header says), so a spreadsheet
	// sorts and filters them as dates; quotas show thousands separators.
	bold, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DCE6F1"}},
		Alignment: &excelize.Alignment{Vertical: "center"},
	})
	if err != nil {
		return fmt.Errorf("creating header style: %w", err)
	}
	dateFmt := "yyyy-mm-dd hh:mm:ss"
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return fmt.Errorf("creating date style: %w", err)
	}
	quotaStyle, err := f.NewStyle(&excelize.Style{NumFmt: 3}) // #,##0
	if err != nil {
		return fmt.Errorf("creating quota style: %w", err)
	}
	// The sheet's declared extent and its filter, set before streaming
	// (the stream writer writes them from the sheet as it starts).
	last, err := excelize.CoordinatesToCellName(numCols, len(users)+1)
	if err != nil {
		return err
	}
	if err := f.SetSheetDimension(sheetName, "A1:"+last); err != nil {
		return fmt.Errorf("setting the sheet's dimension: %w", err)
	}
	if err := f.AutoFilter(sheetName, "A1:"+last, nil); err != nil {
		return fmt.Errorf("adding the filter: %w", err)
	}
	if err := writeAbout(f); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheetName)
	if err != nil {
		return fmt.Errorf("starting sheet: %w", err)
	}
	// Column widths and the frozen header must precede the first row.
	widths := [numCols]float64{20, 100, 22, 22, 16, 10, 34, 14}
	for i, width := range widths {
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return fmt.Errorf("setting column width: %w", err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("freezing header row: %w", err)
	}
	row := make([]any, numCols)
	for i, title := range header {
		row[i] = title
	}
	if err := sw.SetRow("A1", row, excelize.RowOpts{StyleID: bold}); err != nil {
		return fmt.Errorf("writing header: %w", err)
	}
	for i, u := range users {
		row[colName-1] = u.Name
		row[colHash-1] = u.PasswordHash
		row[colRegistered-1] = excelize.Cell{StyleID: dateStyle, Value: dateCell(u.Registered)}
		row[colPasswordChanged-1] = excelize.Cell{StyleID: dateStyle, Value: dateCell(u.PasswordChanged)}
		row[colQuota-1] = excelize.Cell{StyleID: quotaStyle, Value: u.QuotaBytes}
		row[colDisabled-1] = u.Disabled
		row[colAccountID-1] = u.AccountID
		row[colMaxEntries-1] = excelize.Cell{StyleID: quotaStyle, Value: u.MaxEntries}
		// SetRow encodes the values at once, so row can be reused.
		if err := sw.SetRow("A"+strconv.Itoa(i+2), row); err != nil {
			return fmt.Errorf("writing user %q: %w", u.Name, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("finishing sheet: %w", err)
	}
	f.SetActiveSheet(0)
	if err := f.SetCustomProps(excelize.CustomProperty{Name: versionProp, Value: version}); err != nil {
		return fmt.Errorf("marking the workbook's version: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("writing workbook: %w", err)
	}
	return nil
}

// dateCell is a time as the sheet stores it: a date (UTC, to the second),
// or nothing for a zero time.
func dateCell(t time.Time) any {
	if t.IsZero() {
		return ""
	}
	// Naive UTC: spreadsheets have no zones, and the header says UTC.
	u := t.UTC().Truncate(time.Second)
	return time.Date(u.Year(), u.Month(), u.Day(), u.Hour(), u.Minute(), u.Second(), 0, time.UTC)
}

// aboutRows is the second sheet: what each column of the users sheet
// means and which ones an administrator may edit while the server runs.
var aboutRows = [][2]string{
	{"Column", "Meaning"},
	{"Username", "The user's name (3-32 of a-z, 0-9, _ and -, starting with a letter). Delete the row (or run netdisk admin remove USER) to remove the user: their sessions end, and their folder is moved to files/.removed/ (by netdisk admin at once, otherwise when the name is registered again)."},
	{"Password hash (argon2id)", "Never the password. Paste a hash made by netdisk to set a password; or use netdisk passwd."},
	{"Registered (UTC)", "When the account was made (a date, UTC). Informational."},
	{"Password changed (UTC)", "When the password last changed (a date, UTC). Informational."},
	{"Quota (bytes)", "Editable: the bytes the user may store (each file and folder also counts 4 KiB); 0 or empty for no quota."},
	{"Disabled", "Editable: TRUE stops the user logging in and ends their sessions at once; FALSE lets them back in."},
	{"Account ID", "Tells this account apart from any later one of the same name. Do not edit."},
	{"Max entries", "Editable: the files and folders the user may have, overriding the server's max_entries for this user; 0 or empty for the server's default."},
	{"", ""},
	{"Editing", "The server reads this workbook when it changes (within about 2 seconds) and applies each valid row; a row it cannot accept is logged with its number and the reason, and the server's value is kept. Save as .xlsx."},
}

// writeAbout adds the "About" sheet.
func writeAbout(f *excelize.File) error {
	if _, err := f.NewSheet("About"); err != nil {
		return fmt.Errorf("adding the About sheet: %w", err)
	}
	for i, r := range aboutRows {
		for j, v := range r {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := f.SetCellValue("About", cell, v); err != nil {
				return err
			}
		}
	}
	f.SetColWidth("About", "A", "A", 26)
	f.SetColWidth("About", "B", "B", 110)
	return nil
}
