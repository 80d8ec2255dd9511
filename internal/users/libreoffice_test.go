package users

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLibreOfficeReadsTheWorkbook converts users.xlsx to CSV with
// LibreOffice, headless, and checks every row as a spreadsheet shows it:
// names, dates in the date-time format (not text, not serial numbers),
// quotas with their number format, the disabled flag. Then LibreOffice
// saves the workbook as .xlsx itself (as an administrator who edits it
// there would) and the registry reads that file back to the same users.
func TestLibreOfficeReadsTheWorkbook(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		t.Fatalf("LibreOffice is needed (./test.sh installs libreoffice-calc-nogui): %v", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "users.xlsx")
	r, err := open(path, nil, testHooks{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	hash := cheapHash(t, "a password")
	base := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	var want []User
	for i := range 40 {
		u := User{
			Name:            fmt.Sprintf("user%02d", i),
			PasswordHash:    hash,
			Registered:      base.Add(time.Duration(i) * 36 * time.Hour),
			PasswordChanged: base.Add(time.Duration(i)*36*time.Hour + 90*time.Minute),
			QuotaBytes:      int64(i) * 1_500_000_000,
			Disabled:        i%7 == 3,
		}
		if err := r.Add(ctx, u); err != nil {
			t.Fatal(err)
		}
		got, _ := r.Get(u.Name)
		want = append(want, got)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	// CSV in UTF-8, cells as shown (the filter's ninth option), as an
	// administrator sees them on screen.
	rows := convert(t, soffice, path, "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true", filepath.Join(dir, "csv"))
	records, err := csv.NewReader(strings.NewReader(string(rows))).ReadAll()
	if err != nil {
		t.Fatalf("LibreOffice's CSV: %v\n%s", err, rows)
	}
	if len(records) != len(want)+1 {
		t.Fatalf("LibreOffice sees %d rows; want a header and %d users:\n%s", len(records), len(want), rows)
	}
	col := map[string]int{}
	for i, title := range records[0] {
		col[title] = i
	}
	for _, title := range []string{"Username", "Registered (UTC)", "Password changed (UTC)", "Quota (bytes)", "Disabled", "Account ID"} {
		if _, ok := col[title]; !ok {
			t.Fatalf("LibreOffice's header %q lacks %q", records[0], title)
		}
	}
	for i, u := range want {
		rec := records[i+1]
		cell := func(title string) string { return rec[col[title]] }
		quota := ""
		if u.QuotaBytes != 0 {
			quota = thousands(u.QuotaBytes)
		} else {
			quota = "0"
		}
		checks := []struct{ title, want string }{
			{"Username", u.Name},
			{"Registered (UTC)", u.Registered.Format("2006-01-02 15:04:05")},
			{"Password changed (UTC)", u.PasswordChanged.Format("2006-01-02 15:04:05")},
			{"Quota (bytes)", quota},
			{"Disabled", strings.ToUpper(strconv.FormatBool(u.Disabled))},
			{"Account ID", u.AccountID},
		}
		for _, c := range checks {
			if got := cell(c.title); got != c.want {
				t.Errorf("row %d (%s), %s: LibreOffice shows %q; want %q", i+2, u.Name, c.title, got, c.want)
			}
		}
	}

	// LibreOffice's own .xlsx, read back by the registry.
	saved := filepath.Join(dir, "saved")
	convert(t, soffice, path, "xlsx", saved)
	r2, err := Open(filepath.Join(saved, "users.xlsx"), nil)
	if err != nil {
		t.Fatalf("opening the workbook LibreOffice saved: %v", err)
	}
	defer r2.Close()
	got := r2.List()
	if !slices.EqualFunc(got, want, func(a, b User) bool { return a == b }) {
		t.Errorf("the workbook LibreOffice saved reads back as\n%+v\nwant\n%+v", got, want)
	}
}

// convert runs LibreOffice headless to convert src to format in outDir and
// returns the converted file's bytes. Each run has its own profile, so
// conversions do not wait on each other's lock.
func convert(t *testing.T, soffice, src, format, outDir string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	profile := "file://" + filepath.Join(t.TempDir(), "profile")
	cmd := exec.CommandContext(ctx, soffice, "-env:UserInstallation="+profile, "--headless",
		"--convert-to", format, "--outdir", outDir, src)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	ext, _, _ := strings.Cut(format, ":")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("soffice --convert-to %s: %v\n%s", ext, err, out)
	}
	name := strings.TrimSuffix(filepath.Base(src), filepath.Ext(src)) + "." + ext
	b, err := os.ReadFile(filepath.Join(outDir, name))
	if err != nil {
		t.Fatalf("soffice --convert-to %s made no %s: %v\n%s", ext, name, err, out)
	}
	return b
}

// thousands writes n with a comma between groups of three digits, as the
// quota column's #,##0 format shows it.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
