package users

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// ErrMalformed is returned, wrapped with the file, row and column at fault,
// for a workbook that cannot be read back as a user registry.
var ErrMalformed = errors.New("malformed user workbook")

// sheetName is the one sheet of the workbook.
const sheetName = "users"

// Columns of the users sheet, in order. Row 1 holds their titles.
const (
	colName = iota + 1
	colHash
	colRegistered
	colPasswordChanged
	colQuota
	colDisabled
	numCols = colDisabled
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
}

// timeLayout is ISO-8601 in UTC to the second. As text it sorts the same way
// as the instants it names, so sorting the column in a spreadsheet works.
const timeLayout = "2006-01-02T15:04:05Z"

// writeWorkbook writes users, already sorted by name, as an .xlsx workbook.
// It streams rows rather than building the sheet in memory, which keeps a
// 100,000-user rewrite under a second.
func writeWorkbook(w io.Writer, users []User) error {
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
	widths := [numCols]float64{20, 100, 22, 22, 16, 10}
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
		// SetRow encodes the values at once, so row can be reused.
		if err := sw.SetRow("A"+strconv.Itoa(i+2), row); err != nil {
			return fmt.Errorf("writing user %q: %w", u.Name, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("finishing sheet: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("writing workbook: %w", err)
	}
	return nil
}

// readWorkbook reads the users from the workbook at path, streaming the
// sheet row by row. Anything it cannot make sense of is an error naming the
// file, row and column: silently skipping an account could lock a user out
// or, worse, let a disabled one back in after the next rewrite.
func readWorkbook(path string) ([]User, error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrMalformed, path, err)
	}
	defer f.Close()
	rows, err := f.Rows(sheetName)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: sheet %q: %w", ErrMalformed, path, sheetName, err)
	}
	defer rows.Close()

	var users []User
	seen := make(map[string]int) // name → row, to report duplicates
	rowNum := 0
	for rows.Next() {
		// Next also steps through rows missing from a sparse sheet, so
		// counting calls gives the row number a spreadsheet shows.
		rowNum++
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, fmt.Errorf("%w: %s: row %d: %w", ErrMalformed, path, rowNum, err)
		}
		for col := numCols + 1; col <= len(cells); col++ {
			// A rewrite would drop the column, so refuse rather than lose it.
			if strings.TrimSpace(cells[col-1]) != "" {
				return nil, cellError(path, rowNum, col, "unexpected value %q; the sheet has %d columns", cells[col-1], numCols)
			}
		}
		if rowNum == 1 {
			if err := checkHeader(path, cells); err != nil {
				return nil, err
			}
			continue
		}
		if blankRow(cells) {
			continue // spreadsheets leave these behind after deleting rows
		}
		u, err := parseRow(path, rowNum, cells)
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[u.Name]; dup {
			return nil, cellError(path, rowNum, colName, "user %q already appears in row %d", u.Name, prev)
		}
		seen[u.Name] = rowNum
		users = append(users, u)
	}
	if err := rows.Error(); err != nil {
		return nil, fmt.Errorf("%w: %s: row %d: %w", ErrMalformed, path, rowNum+1, err)
	}
	if rowNum == 0 {
		return nil, fmt.Errorf("%w: %s: row 1: the header row is missing", ErrMalformed, path)
	}
	return users, nil
}

// checkHeader verifies row 1, so that a workbook with columns in another
// order is refused rather than misread.
func checkHeader(path string, cells []string) error {
	for i, want := range header {
		got := ""
		if i < len(cells) {
			got = strings.TrimSpace(cells[i])
		}
		if !strings.EqualFold(got, want) {
			return cellError(path, 1, i+1, "header is %q, want %q", got, want)
		}
	}
	return nil
}

// parseRow turns one data row into a User.
func parseRow(path string, rowNum int, cells []string) (User, error) {
	cell := func(col int) string {
		if col <= len(cells) {
			return strings.TrimSpace(cells[col-1])
		}
		return ""
	}
	var u User
	var err error
	if u.Name, err = NormalizeName(cell(colName)); err != nil {
		return u, cellError(path, rowNum, colName, "%v", err)
	}
	u.PasswordHash = cell(colHash)
	if _, err := decodeHash(u.PasswordHash); err != nil {
		return u, cellError(path, rowNum, colHash, "%v", err)
	}
	if u.Registered, err = parseTime(cell(colRegistered)); err != nil {
		return u, cellError(path, rowNum, colRegistered, "%v", err)
	}
	if u.PasswordChanged, err = parseTime(cell(colPasswordChanged)); err != nil {
		return u, cellError(path, rowNum, colPasswordChanged, "%v", err)
	}
	if u.QuotaBytes, err = parseQuota(cell(colQuota)); err != nil {
		return u, cellError(path, rowNum, colQuota, "%v", err)
	}
	if u.Disabled, err = parseBool(cell(colDisabled)); err != nil {
		return u, cellError(path, rowNum, colDisabled, "%v", err)
	}
	return u, nil
}

// cellError describes a problem at one cell of the workbook.
func cellError(path string, row, col int, format string, args ...any) error {
	colName, _ := excelize.ColumnNumberToName(col)
	title := "extra column"
	if col <= numCols {
		title = header[col-1]
	}
	return fmt.Errorf("%w: %s: row %d, column %s (%s): %s",
		ErrMalformed, path, row, colName, title, fmt.Sprintf(format, args...))
}

// blankRow reports whether every cell of a row is empty.
func blankRow(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// parseTime accepts the ISO-8601 text the registry writes, any RFC 3339
// time, or an Excel date serial number, which is what a spreadsheet leaves
// behind when someone edits the cell and it "helpfully" becomes a date.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("a time is required, e.g. 2026-11-22T15:04:05Z")
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Truncate(time.Second), nil
	}
	if serial, err := strconv.ParseFloat(s, 64); err == nil {
		t, err := excelize.ExcelDateToTime(serial, false)
		if err != nil {
			return time.Time{}, fmt.Errorf("date serial %q: %w", s, err)
		}
		t = t.UTC().Round(time.Second)
		return t, checkYear(t)
	}
	return time.Time{}, fmt.Errorf("%q is not a time like 2026-11-22T15:04:05Z", s)
}

// parseQuota accepts an integer, or a float holding an integer (as some
// spreadsheets write large numbers); empty means no quota.
func parseQuota(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		// 2^63 itself rounds to a float64 that does not fit in int64.
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) >= math.Exp2(63) {
			return 0, fmt.Errorf("%q is not a whole number of bytes", s)
		}
		n = int64(f)
	}
	if n < 0 {
		return 0, fmt.Errorf("quota %d is negative; use 0 for no quota", n)
	}
	return n, nil
}

// parseBool accepts a boolean cell (raw 1 or 0) or the words people type.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "", "0", "false", "no":
		return false, nil
	case "1", "true", "yes":
		return true, nil
	}
	return false, fmt.Errorf("%q is not TRUE or FALSE", s)
}
