package users

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

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
	n, err := parseWhole(s, "bytes")
	if err == nil && n < 0 {
		return 0, fmt.Errorf("quota %d is negative; use 0 for no quota", n)
	}
	return n, err
}

// parseCount reads the Max entries cell as parseQuota reads a quota;
// empty means the server's default.
func parseCount(s string) (int64, error) {
	n, err := parseWhole(s, "files and folders")
	if err == nil && n < 0 {
		return 0, fmt.Errorf("max entries %d is negative; use 0 for the server's default", n)
	}
	return n, err
}

// parseWhole accepts an integer, or a float holding an integer; empty is 0.
func parseWhole(s, unit string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		// 2^63 itself rounds to a float64 that does not fit in int64.
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) >= math.Exp2(63) {
			return 0, fmt.Errorf("%q is not a whole number of %s", s, unit)
		}
		n = int64(f)
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
