package users

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// ErrMalformed is returned, wrapped with the file, row and column at fault,
// for a workbook that cannot be read back as a user registry.
var ErrMalformed = errors.New("malformed user workbook")

// sheetName is the one sheet of the workbook.
const sheetName = "users"

// Columns of the users sheet, in order. Row 1 holds their titles. The
// account id comes last: it was added after the others (legacyCols is
// where a workbook of the earlier format ends), and it is the column an
// administrator needs least.
const (
	colName = iota + 1
	colHash
	colRegistered
	colPasswordChanged
	colQuota
	colDisabled
	colAccountID
	numCols    = colAccountID
	legacyCols = colDisabled
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
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("creating header style: %w", err)
	}
	sw, err := f.NewStreamWriter(sheetName)
	if err != nil {
		return fmt.Errorf("starting sheet: %w", err)
	}
	// Column widths and the frozen header must precede the first row.
	widths := [numCols]float64{20, 100, 22, 22, 16, 10, 34}
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
		row[colRegistered-1] = u.Registered.UTC().Format(timeLayout)
		row[colPasswordChanged-1] = u.PasswordChanged.UTC().Format(timeLayout)
		row[colQuota-1] = u.QuotaBytes
		row[colDisabled-1] = u.Disabled
		row[colAccountID-1] = u.AccountID
		// SetRow encodes the values at once, so row can be reused.
		if err := sw.SetRow("A"+strconv.Itoa(i+2), row); err != nil {
			return fmt.Errorf("writing user %q: %w", u.Name, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("finishing sheet: %w", err)
	}
	if err := f.SetCustomProps(excelize.CustomProperty{Name: versionProp, Value: version}); err != nil {
		return fmt.Errorf("marking the workbook's version: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("writing workbook: %w", err)
	}
	return nil
}
