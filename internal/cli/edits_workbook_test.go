package cli

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"netdisk/internal/daemon"
)

// editUsersXLSX edits the running server's users.xlsx as an administrator
// would in a spreadsheet (open, change, save into a new file renamed over
// the old one). edit gets the workbook and the row of a user by name.
func editUsersXLSX(t *testing.T, srv *testServer, edit func(f *excelize.File, row func(string) string)) {
	t.Helper()
	path := filepath.Join(srv.cfg.DataDir, "users.xlsx")
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := func(name string) string {
		rows, err := f.GetRows("users")
		if err != nil {
			t.Fatal(err)
		}
		for i, cells := range rows {
			if len(cells) > 0 && cells[0] == name {
				return strconv.Itoa(i + 1)
			}
		}
		t.Fatalf("no row for %s", name)
		return ""
	}
	edit(f, row)
	tmp := filepath.Join(srv.cfg.DataDir, "~edit.xlsx")
	if err := f.SaveAs(tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// TestEditsOfUsersXLSX drives the real client against a server whose
// users.xlsx an administrator edits while it runs: disabling a user ends
// the session the client holds; removing a user ends it too, and whoever
// registers the name next starts with an empty folder.
func TestEditsOfUsersXLSX(t *testing.T) {
	srv := startServer(t, func(c *daemon.Config) { c.Plaintext = true })
	mira := srv.registered(t, "mira", "mira's password")
	nils := srv.registered(t, "nils", "nils's password")
	file := filepath.Join(t.TempDir(), "diary.txt")
	if err := os.WriteFile(file, []byte("dear diary"), 0o600); err != nil {
		t.Fatal(err)
	}
	nils.ok("", "put", file)
	// The same machine later: nils's saved token, kept from now on.
	oldNils := srv.newUser(t)
	if err := os.CopyFS(oldNils.cfgDir, os.DirFS(nils.cfgDir)); err != nil {
		t.Fatal(err)
	}

	editUsersXLSX(t, srv, func(f *excelize.File, row func(string) string) {
		if err := f.SetCellValue("users", "F"+row("mira"), true); err != nil { // Disabled
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(row("nils"))
		if err := f.RemoveRow("users", n); err != nil {
			t.Fatal(err)
		}
	})
	// The server looks at the workbook every few seconds by itself.
	deadline := time.Now().Add(10 * time.Second)
	for mira.run("", "ls").code == 0 {
		if time.Now().After(deadline) {
			t.Fatal("mira's session still works 10 s after she was disabled")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := srv.d.Users.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	mira.fails("disabled", "mira's password\n", "login", "--password-stdin", "mira")
	nils.fails("expired or was ended", "", "ls")

	again := srv.registered(t, "nils", "the new nils's password")
	if out := again.ok("", "ls"); strings.Contains(out, "diary.txt") {
		t.Fatalf("the new nils sees the old nils's files:\n%s", out)
	}
	oldNils.fails("expired or was ended", "", "ls") // the old token, now the name exists again
	if !strings.Contains(srv.logs.String(), "sessions ended by an edit of users.xlsx") {
		t.Error("the ending of sessions is not logged")
	}
}
