package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// The README's command table lists every command, and the README names
// every flag of every command: --help and the README say the same things.
func TestReadmeListsEveryCommandAndFlag(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i := strings.Index(readme, "### Commands")
	j := strings.Index(readme[i+1:], "\n### ")
	table := readme[i : i+1+j]
	a := &app{getenv: func(string) string { return "" }}
	root := a.rootCommand()
	for _, c := range root.Commands() {
		if c.Hidden || c.Name() == "help" {
			continue
		}
		if !strings.Contains(table, "| `"+c.Name()) && !strings.Contains(table, ", `"+c.Name()) {
			t.Errorf("the README's command table does not list %s", c.Name())
		}
		row := ""
		for _, line := range strings.Split(table, "\n") {
			if strings.Contains(line, "`"+c.Name()) {
				row += line
			}
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden || f.Name == "help" {
				return
			}
			// Named in full anywhere, or by its letter in the command's row.
			if !strings.Contains(readme, "--"+f.Name) && (f.Shorthand == "" || !strings.Contains(row, "-"+f.Shorthand)) {
				t.Errorf("the README does not mention %s --%s (%s)", c.Name(), f.Name, f.Usage)
			}
		})
	}
	root.PersistentFlags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden && !strings.Contains(readme, "--"+f.Name) && (f.Shorthand == "" || !strings.Contains(readme, "`-"+f.Shorthand+"`")) {
			t.Errorf("the README does not mention the global flag --%s", f.Name)
		}
	})
}
