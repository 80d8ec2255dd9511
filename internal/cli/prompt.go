package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"netdisk/internal/users"
)

// prompter asks the user for a line or a password. One-shot commands use
// the terminal directly; the shell substitutes its line editor.
type prompter interface {
	Line(prompt string) (string, error)
	Password(prompt string) (string, error)
}

func (a *app) prompt() prompter {
	if a.shell != nil {
		return a.shell.prompter
	}
	return &termPrompter{a: a}
}

// termPrompter prompts on stderr and reads stdin.
type termPrompter struct{ a *app }

func (p *termPrompter) Line(prompt string) (string, error) {
	fmt.Fprint(p.a.stderr, prompt)
	return p.a.readLine()
}

func (p *termPrompter) Password(prompt string) (string, error) {
	f, ok := p.a.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", errors.New("no terminal to ask for the password; pipe it in with --password-stdin")
	}
	fmt.Fprint(p.a.stderr, prompt)
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(p.a.stderr)
	return string(b), err
}

// readLine reads one line of stdin (through one buffer shared by every
// prompt, so nothing read ahead is lost).
func (a *app) readLine() (string, error) {
	if a.lines == nil {
		a.lines = bufio.NewReader(a.stdin)
	}
	line, err := a.lines.ReadString('\n')
	if err == io.EOF && line != "" {
		err = nil
	}
	if err != nil {
		if err == io.EOF {
			return "", errors.New("no more input")
		}
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// password reads a password: one line of stdin with --password-stdin,
// otherwise a no-echo prompt.
func (a *app) password(prompt string) (string, error) {
	if a.passwdStdin {
		return a.readLine()
	}
	return a.prompt().Password(prompt)
}

// newPassword reads a new password, twice when a person is typing it.
func (a *app) newPassword(prompt string) (string, error) {
	pw, err := a.password(prompt)
	if err != nil {
		return pw, err
	}
	if err := users.CheckPassword(pw); err != nil {
		return "", errors.New(ruleMessage(err))
	}
	if a.passwdStdin {
		return pw, nil
	}
	again, err := a.prompt().Password("Repeat it: ")
	if err != nil {
		return "", err
	}
	if again != pw {
		return "", errors.New("the two passwords differ; nothing was changed")
	}
	return pw, nil
}

// ruleMessage words a broken name or password rule found before asking
// the server ("bad user name: ...").
func ruleMessage(err error) string {
	return err.Error() + "; nothing was changed"
}
