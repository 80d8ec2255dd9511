package users

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"
)

// sheet is a workbook as read: the version mark it carries and its rows,
// each parsed on its own so that one bad row does not hide the others.
type sheet struct {
	version string // versionProp, "" if the workbook has none
	legacy  bool   // no Account ID column: written before account ids existed
	rows    []sheetRow
}

// sheetRow is one data row that is not blank.
type sheetRow struct {
	num int // the row number a spreadsheet shows
	// user is the row's account if err is nil. Otherwise Name and
	// AccountID are still set when those cells are valid, so that the
	// registry can tell whose row it is.
	user User
	err  error // why the row cannot be accepted: ErrMalformed naming the cell
}

// readSheet parses the bytes of a workbook, streaming the sheet row by row;
// path only names the file in errors. The error is for the workbook as a
// whole (not an .xlsx file, no users sheet, a header that is not the
// registry's): one bad row is reported in its sheetRow.
func readSheet(path string, data []byte) (*sheet, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrMalformed, path, err)
	}
	defer f.Close()
	sh := &sheet{version: readVersion(f)}
	rows, err := f.Rows(sheetName)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: sheet %q: %w", ErrMalformed, path, sheetName, err)
	}
	defer rows.Close()
	cols := numCols
	rowNum := 0
	for rows.Next() {
		// Next also steps through rows missing from a sparse sheet, so
		// counting calls gives the row number a spreadsheet shows.
		rowNum++
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, fmt.Errorf("%w: %s: row %d: %w", ErrMalformed, path, rowNum, err)
		}
		if rowNum == 1 {
			if cols, err = checkHeader(path, cells); err != nil {
				return nil, err
			}
			sh.legacy = cols < colAccountID
			continue
		}
		if blankRow(cells) {
			continue // spreadsheets leave these behind after deleting rows
		}
		u, err := parseRow(path, rowNum, cells, cols)
		sh.rows = append(sh.rows, sheetRow{num: rowNum, user: u, err: err})
	}
	if err := rows.Error(); err != nil {
		return nil, fmt.Errorf("%w: %s: row %d: %w", ErrMalformed, path, rowNum+1, err)
	}
	if rowNum == 0 {
		return nil, fmt.Errorf("%w: %s: row 1: the header row is missing", ErrMalformed, path)
	}
	return sh, nil
}

// strictUsers returns the users of a sheet if every row is valid and no
// name or account id appears twice; otherwise the first problem, naming
// the file, row and column. Open reads the workbook this way: at start
// there is no earlier state to keep for a bad row, and silently skipping
// an account could lock a user out or, worse, let a disabled one back in
// after the next rewrite. Account ids may be empty (a workbook of the
// earlier format, or a row added by hand).
func strictUsers(path string, sh *sheet) ([]User, error) {
	users := make([]User, 0, len(sh.rows))
	names := make(map[string]int) // → row, to report duplicates
	ids := make(map[string]int)
	for _, row := range sh.rows {
		if row.err != nil {
			return nil, row.err
		}
		u := row.user
		if prev, dup := names[u.Name]; dup {
			return nil, cellError(path, row.num, colName, "user %q already appears in row %d", u.Name, prev)
		}
		names[u.Name] = row.num
		if prev, dup := ids[u.AccountID]; dup && u.AccountID != "" {
			return nil, cellError(path, row.num, colAccountID, "account id %s already appears in row %d", u.AccountID, prev)
		}
		ids[u.AccountID] = row.num
		users = append(users, u)
	}
	return users, nil
}

// readVersion returns the workbook's version mark, or "" if it has none.
// A damaged property costs only the mark: the workbook is then treated
// as one the registry did not write.
func readVersion(f *excelize.File) string {
	props, err := f.GetCustomProps()
	if err != nil {
		return ""
	}
	for _, p := range props {
		if s, ok := p.Value.(string); ok && p.Name == versionProp {
			return s
		}
	}
	return ""
}

// checkHeader verifies row 1, so that a workbook with columns in another
// order is refused rather than misread, and returns how many columns the
// sheet has: numCols, or fewer for a workbook of an earlier format
// (legacyCols, before account ids; idCols, before entry limits), whose
// rows must leave the missing columns empty.
func checkHeader(path string, cells []string) (cols int, err error) {
	title := func(i int) string {
		if i < len(cells) {
			return strings.TrimSpace(cells[i])
		}
		return ""
	}
	cols = numCols
	for i, want := range header {
		got := title(i)
		if got == "" && (i == legacyCols || i == idCols) {
			// An earlier format ends here, if nothing follows.
			cols = i
			break
		}
		if !strings.EqualFold(got, want) {
			return 0, cellError(path, 1, i+1, "header is %q, want %q", got, want)
		}
	}
	for i := cols; i < len(cells); i++ {
		// A rewrite would drop the column, so refuse rather than lose it.
		if got := title(i); got != "" {
			return 0, cellError(path, 1, i+1, "unexpected title %q; the sheet has %d columns", got, numCols)
		}
	}
	return cols, nil
}

// parseRow turns one data row of a sheet with cols columns into a User.
func parseRow(path string, rowNum int, cells []string, cols int) (User, error) {
	cell := func(col int) string {
		if col <= len(cells) {
			return strings.TrimSpace(cells[col-1])
		}
		return ""
	}
	var u User
	// Name and account id first, and kept even if another cell is bad:
	// they say whose row this is.
	name, nameErr := NormalizeName(cell(colName))
	u.Name = name
	var idErr error
	if cols >= colAccountID {
		u.AccountID, idErr = parseAccountID(cell(colAccountID))
	}
	for col := cols + 1; col <= len(cells); col++ {
		// A rewrite would drop the value, so refuse rather than lose it.
		if strings.TrimSpace(cells[col-1]) != "" {
			return u, cellError(path, rowNum, col, "unexpected value %q; the sheet has %d columns", cells[col-1], cols)
		}
	}
	if nameErr != nil {
		return u, cellError(path, rowNum, colName, "%v", nameErr)
	}
	if idErr != nil {
		return u, cellError(path, rowNum, colAccountID, "%v", idErr)
	}
	u.PasswordHash = cell(colHash)
	_, err := decodeHash(u.PasswordHash)
	if err != nil {
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
	if cols >= colMaxEntries {
		if u.MaxEntries, err = parseCount(cell(colMaxEntries)); err != nil {
			return u, cellError(path, rowNum, colMaxEntries, "%v", err)
		}
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
