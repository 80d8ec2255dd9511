package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/mattn/go-runewidth"
	"github.com/peterh/liner"
	"github.com/spf13/cobra"
	"golang.org/x/term"
	"golang.org/x/text/unicode/norm"

	"netdisk/internal/proto"
	"netdisk/internal/users"
)

// shell is the state of `netdisk shell`: the current remote folder and the
// line editor.
type shell struct {
	batch    bool   // reading shell -b FILE: stop at the first failure
	failed   int    // commands that failed
	user     string // the user logged in last (for the prompt while reconnecting)
	cwd      string // remote folder, "" for the top
	prompter prompter
	editor   *liner.State // nil when stdin is not a terminal
	cache    map[string]cachedList
}

type cachedList struct {
	at      time.Time
	entries []proto.Entry
}

// builtins are the shell's own commands; everything else is a one-shot
// command run on the shell's connection.
var builtins = map[string][2]string{
	"cd":   {"cd [FOLDER]", "change the remote folder (no argument or / for the top)"},
	"pwd":  {"pwd", "show the remote folder"},
	"lcd":  {"lcd [FOLDER]", "change the local folder (no argument or ~ for your home)"},
	"lpwd": {"lpwd", "show the local folder"},
	"lls":  {"lls [FOLDER]", "list a local folder"},
	"!":    {"!COMMAND", "run a command on this machine (sh -c)"},
	"help": {"help", "this list"},
	"exit": {"exit, quit, Q", "leave the shell"},
}

func (a *app) shellCommand() *cobra.Command {
	var batch string
	cmd := &cobra.Command{
		Use:   "shell",
		Short: "Interactive shell: log in once, then run commands with history and tab completion",
		Long: `Connect, show the server's welcome, ask for your user name and password
(retry on failure; Q quits; R registers a new account), then read commands:
every netdisk command works (ls, put, get, mkdir, …) plus cd, pwd, lcd, lpwd.
In the shell, paths are relative to the current remote folder and a leading /
means your top folder. Tab completes commands and remote names.

Fed a script on standard input, the shell runs every line and exits with
status 1 if any command failed. With -b FILE it reads the commands from
FILE and stops at the first that fails (as sftp -b does); a line starting
with - may fail without stopping it.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if a.shell != nil {
				return usagef("already in the shell")
			}
			if batch != "" {
				f, err := os.Open(batch)
				if err != nil {
					return localError("reading", batch, err)
				}
				defer f.Close()
				a.batch = f
			}
			return a.runShell(cmd.Context())
		},
	}
	cmd.Flags().StringVarP(&batch, "batch", "b", "", "read commands from FILE and stop at the first that fails")
	return cmd
}

func (a *app) runShell(ctx context.Context) error {
	c, err := a.dial(ctx)
	if err != nil {
		return err
	}
	sh := &shell{cache: make(map[string]cachedList)}
	a.shell = sh
	defer func() { a.shell = nil }()
	if a.batch != nil {
		sh.prompter = &scriptPrompter{a: a}
		sh.batch = true
		a.lines = bufio.NewReader(a.batch)
	} else if f, ok := a.stdin.(*os.File); ok && f == os.Stdin && isTerminal(f) {
		sh.editor = liner.NewLiner()
		defer sh.editor.Close()
		sh.editor.SetCtrlCAborts(true)
		sh.editor.SetTabCompletionStyle(liner.TabPrints)
		sh.editor.SetWordCompleter(func(line string, pos int) (string, []string, string) {
			return a.complete(ctx, line, pos)
		})
		a.loadHistory()
		defer a.saveHistory()
		sh.prompter = &linerPrompter{ed: sh.editor}
	} else {
		sh.prompter = &scriptPrompter{a: a}
	}

	fmt.Fprintln(a.stdout, safeText(c.Hello().Welcome))
	if err := a.shellLogin(ctx); err != nil {
		if errors.Is(err, errQuit) {
			return nil
		}
		return err
	}
	fmt.Fprintf(a.stdout, "Logged in as %s. Type 'help' for commands.\n", a.user)

	terms := make(chan os.Signal, 1)
	signal.Notify(terms, syscall.SIGTERM)
	defer signal.Stop(terms)
	// The shell outlives Ctrl-C: it interrupts the command running, not
	// the shell, so commands run under a context only the shell cancels.
	base := context.WithoutCancel(ctx)
	for {
		if a.user != "" {
			sh.user = a.user
		}
		line, err := sh.prompter.Line(fmt.Sprintf("%s@netdisk:/%s> ", sh.user, sh.cwd))
		if errors.Is(err, liner.ErrPromptAborted) {
			continue
		}
		if err != nil {
			fmt.Fprintln(a.stdout)
			return sh.result() // end of input
		}
		mayFail := false
		if sh.batch && strings.HasPrefix(strings.TrimSpace(line), "-") {
			mayFail, line = true, strings.TrimPrefix(strings.TrimSpace(line), "-")
		}
		var args []string
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "!") {
			args = []string{"!", strings.TrimPrefix(t, "!")}
		} else if args, err = splitArgs(line); err != nil {
			fmt.Fprintf(a.stderr, "netdisk: %v\n", err)
			sh.failed++
			continue
		}
		if len(args) == 0 {
			continue
		}
		if sh.editor != nil {
			sh.editor.AppendHistory(line)
		}
		done, ok := a.shellLine(base, args, terms)
		if !ok && !mayFail {
			sh.failed++
			if sh.batch {
				return fmt.Errorf("stopped at the first command that failed: %s", safeText(strings.TrimSpace(line)))
			}
		}
		if done {
			return sh.result()
		}
		if a.user == "" && a.conn != nil { // logged out (a lost connection reconnects at the next command)
			if err := a.shellLogin(ctx); err != nil {
				if errors.Is(err, errQuit) {
					return nil
				}
				return err
			}
		}
	}
}

var errQuit = errors.New("quit")

// result is how a shell fed a script ends: an error if any command
// failed, so the exit status says so.
func (sh *shell) result() error {
	if sh.failed > 0 && sh.editor == nil {
		return fmt.Errorf("%d command(s) failed", sh.failed)
	}
	return nil
}

// shellLine runs one command line; it reports whether the shell should
// end, and whether the command succeeded.
func (a *app) shellLine(ctx context.Context, args []string, terms chan os.Signal) (done, ok bool) {
	sh := a.shell
	fail := func(err error) (bool, bool) {
		fmt.Fprintf(a.stderr, "netdisk: %s\n", message(err))
		return false, false
	}
	switch args[0] {
	case "exit", "quit", "Q", "q":
		return true, true
	case "help", "?":
		a.shellHelp()
		return false, true
	case "pwd":
		fmt.Fprintf(a.stdout, "/%s\n", sh.cwd)
		return false, true
	case "cd":
		if err := a.cd(ctx, args[1:]); err != nil {
			return fail(err)
		}
		return false, true
	case "lpwd":
		wd, _ := os.Getwd()
		fmt.Fprintln(a.stdout, wd)
		return false, true
	case "lcd":
		dir := "~"
		switch {
		case len(args) > 2:
			return fail(usagef("lcd takes one folder"))
		case len(args) == 2:
			dir = args[1]
		}
		if dir == "~" || strings.HasPrefix(dir, "~/") {
			home, err := os.UserHomeDir()
			if err != nil {
				return fail(err)
			}
			dir = filepath.Join(home, strings.TrimPrefix(dir, "~"))
		}
		if err := os.Chdir(dir); err != nil {
			return fail(localError("changing to", dir, err))
		}
		return false, true
	case "lls":
		if err := a.lls(args[1:]); err != nil {
			return fail(err)
		}
		return false, true
	case "!":
		if err := a.localCommand(ctx, args[1]); err != nil {
			return fail(err)
		}
		return false, true
	}
	cctx, cancel := context.WithCancel(ctx)
	ints := make(chan os.Signal, 1)
	signal.Notify(ints, os.Interrupt)
	stop := make(chan struct{})
	ended := false
	var interrupted atomic.Bool
	go func() {
		select {
		case <-ints:
			interrupted.Store(true)
			cancel()
		case <-terms:
			ended = true
			cancel()
		case <-stop:
		}
	}()
	code := a.run(cctx, args)
	close(stop)
	signal.Stop(ints)
	cancel()
	clear(sh.cache) // the command may have changed what is there
	if a.conn != nil {
		select {
		case <-a.conn.Done():
			// The shell stays: the next command connects again (and
			// resumes the saved session), so an interrupted transfer
			// (Ctrl-C closes its connection) or a restarted server costs
			// nothing but a note.
			addr := a.connAddr
			a.disconnect()
			if !interrupted.Load() {
				fmt.Fprintf(a.stderr, "netdisk: the connection to %s was lost; the next command connects again\n", addr)
			}
		default:
		}
	}
	return ended, code == exitOK
}

// lls lists a local folder (the current one by default), folders with a
// trailing /.
func (a *app) lls(args []string) error {
	dir := "."
	if len(args) > 1 {
		return usagef("lls takes at most one folder")
	} else if len(args) == 1 {
		dir = args[0]
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return localError("listing", dir, err)
	}
	for _, e := range entries {
		name := safeText(e.Name())
		if e.IsDir() {
			name += "/"
		}
		fmt.Fprintln(a.stdout, name)
	}
	return nil
}

// localCommand runs a command line on this machine with sh -c, with the
// shell's own standard streams.
func (a *app) localCommand(ctx context.Context, line string) error {
	if strings.TrimSpace(line) == "" {
		return usagef("! needs a command, e.g. !ls -l")
	}
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", line)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, a.stdout, a.stderr
	if a.batch != nil || !isTerminal(a.stdin) {
		cmd.Stdin = nil // the script's lines are the shell's, not the command's
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("local command %q: %v", line, err)
	}
	return nil
}

// shellLogin is the seeds' login flow: user name and password with retry,
// Q to quit, R to register. A saved session for this server skips it.
func (a *app) shellLogin(ctx context.Context) error {
	if _, err := a.loggedIn(ctx); err == nil {
		return nil
	}
	p := a.shell.prompter
	for {
		name, err := p.Line("User name (R to register, Q to quit): ")
		if err != nil {
			return errQuit
		}
		name = strings.TrimSpace(name)
		switch name {
		case "":
			continue
		case "Q", "q":
			return errQuit
		case "R", "r":
			if a.shellRegister(ctx) {
				return nil
			}
			continue
		}
		pw, err := p.Password("Password: ")
		if err != nil {
			return errQuit
		}
		if _, err := a.dial(ctx); err != nil {
			return err
		}
		if _, err := a.login(ctx, name, pw); err != nil {
			fmt.Fprintf(a.stderr, "Login failed: %s\n", message(err))
			if errors.Is(err, proto.ErrRateLimited) {
				var pe *proto.Error
				if errors.As(err, &pe) && pe.RetryAfter() > 0 {
					fmt.Fprintf(a.stderr, "Wait %v before trying again.\n", pe.RetryAfter().Round(time.Second))
				}
			}
			continue
		}
		return nil
	}
}

// shellRegister registers a new account, checking the name and the
// password against the rules before asking for the password again, and
// logs in with it; it reports whether the shell is now logged in.
func (a *app) shellRegister(ctx context.Context) bool {
	p := a.shell.prompter
	name, err := p.Line("New user name: ")
	if err != nil {
		return false
	}
	name = strings.TrimSpace(name)
	if _, err := users.NormalizeName(name); err != nil {
		fmt.Fprintf(a.stderr, "Registration failed: %s\n", ruleMessage(err))
		return false
	}
	pw, err := p.Password("New password: ")
	if err != nil {
		return false
	}
	if err := users.CheckPassword(pw); err != nil {
		fmt.Fprintf(a.stderr, "Registration failed: %s\n", ruleMessage(err))
		return false
	}
	again, err := p.Password("Repeat it: ")
	if err != nil {
		return false
	}
	if pw != again {
		fmt.Fprintln(a.stderr, "The two passwords differ; nothing was registered.")
		return false
	}
	c, err := a.dial(ctx)
	if err == nil {
		err = c.Register(ctx, name, pw)
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "Registration failed: %s\n", message(err))
		return false
	}
	if _, err := a.login(ctx, name, pw); err != nil {
		fmt.Fprintf(a.stderr, "Registered %s, but logging in failed: %s\n", name, message(err))
		return false
	}
	fmt.Fprintf(a.stdout, "Registered %s.\n", name)
	return true
}

func (a *app) cd(ctx context.Context, args []string) error {
	if len(args) > 1 {
		return usagef("cd takes one folder")
	}
	if len(args) == 0 || args[0] == "/" {
		a.shell.cwd = ""
		return nil
	}
	target := a.remote(args[0])
	c, err := a.loggedIn(ctx)
	if err != nil {
		return err
	}
	e, err := c.Stat(ctx, target)
	if err != nil {
		return err
	}
	if e.Kind != proto.KindDir {
		return fmt.Errorf("%s is not a folder", args[0])
	}
	if target == "." {
		target = ""
	}
	a.shell.cwd = target
	return nil
}

// remote resolves a path typed by the user: as is for one-shot commands;
// in the shell, relative to the current folder, with a leading / meaning
// the top folder.
//
// One rule for the shell and one-shot commands alike: a leading / means
// the user's top folder, anything else is relative to the current remote
// folder (the top one outside the shell), and ./ is accepted. What climbs
// above the top (..) stays in the path for the server to refuse.
func (a *app) remote(p string) string {
	cwd := ""
	if a.shell != nil {
		cwd = a.shell.cwd
	}
	var joined string
	if strings.HasPrefix(p, "/") {
		joined = path.Clean(strings.TrimLeft(p, "/"))
	} else {
		joined = path.Join(cwd, p)
	}
	if joined == "" || joined == "/" {
		return "."
	}
	return joined
}

// remoteFolderArg is the remote folder a command's optional [PATH]
// argument names: the current folder when there is none.
func (a *app) remoteFolderArg(args []string) string {
	if len(args) == 0 {
		return a.remote(".")
	}
	return a.remote(args[0])
}

func (a *app) shellHelp() {
	root := a.rootCommand()
	var lines []string
	for _, c := range root.Commands() {
		if c.Name() == "serve" || c.Name() == "shell" || c.Name() == "keygen" || c.Name() == "completion" || c.Name() == "help" || c.Hidden {
			continue
		}
		lines = append(lines, fmt.Sprintf("  %-16s %s", c.Name(), c.Short))
	}
	fmt.Fprintln(a.stdout, "Commands (each takes --help):")
	for _, l := range lines {
		fmt.Fprintln(a.stdout, l)
	}
	fmt.Fprintln(a.stdout, "Shell commands:")
	keys := make([]string, 0, len(builtins))
	for k := range builtins {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(a.stdout, "  %-16s %s\n", builtins[k][0], builtins[k][1])
	}
}

// complete is the tab completer: command names first, then local names
// for put and lcd's first argument, remote names otherwise.
// complete is the shell's tab completion. liner gives the cursor
// position in runes (not bytes); the word being completed is read with
// the shell's own quoting rules, so a name with spaces, quotes or any
// script completes whole, and each completion is written back quoted.
func (a *app) complete(ctx context.Context, line string, pos int) (string, []string, string) {
	runes := []rune(line)
	pos = max(0, min(pos, len(runes)))
	head, tail := string(runes[:pos]), string(runes[pos:])
	start, word := currentWord(head)
	before, err := splitArgs(head[:start])
	if err != nil {
		return head, nil, tail
	}
	var cands []candidate
	switch {
	case len(before) == 0:
		for _, name := range a.commandNames() {
			if strings.HasPrefix(name, word) {
				cands = append(cands, candidate{value: name, show: name})
			}
		}
	case strings.HasPrefix(word, "-"):
		return head, nil, tail
	case (before[0] == "put" || before[0] == "lcd") && countArgs(before[1:]) == 0:
		cands = completeLocal(word)
	default:
		cands = a.completeRemote(ctx, word)
	}
	return head[:start], a.offer(head[start:], word, cands), tail
}

// candidate is one possible completion: the whole word it makes
// (unquoted), whether it is a folder, and what a list of candidates shows.
type candidate struct {
	value string
	dir   bool
	show  string
}

// offer turns the candidates into what the line editor inserts, always
// exactly one item, so the editor never cuts a name inside a character:
// the one candidate (quoted, then "/" after a folder or a space after
// anything else); else the candidates' common prefix (in whole
// characters) when it is longer than what was typed; else what was typed,
// after printing the candidates in columns by their display width (a CJK
// character is two columns wide).
func (a *app) offer(typed, word string, cands []candidate) []string {
	switch len(cands) {
	case 0:
		return nil
	case 1:
		c := cands[0]
		if c.dir {
			return []string{quoteArg(c.value) + "/"}
		}
		return []string{quoteArg(c.value) + " "}
	}
	prefix := cands[0].value
	for _, c := range cands[1:] {
		prefix = commonPrefix(prefix, c.value)
	}
	if len(prefix) > len(word) {
		return []string{quoteArg(prefix)}
	}
	shows := make([]string, len(cands))
	for i, c := range cands {
		shows[i] = c.show
	}
	fmt.Fprint(a.stdout, "\n"+columns(shows, terminalWidth(a.stdout)))
	return []string{typed}
}

// commonPrefix is the longest common prefix of a and b in whole runes.
func commonPrefix(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) {
		ra, size := utf8.DecodeRuneInString(a[n:])
		rb, _ := utf8.DecodeRuneInString(b[n:])
		if ra != rb {
			break
		}
		n += size
	}
	return a[:n]
}

// columns lays names out in columns down then across, as ls does, padded
// by display width.
func columns(names []string, width int) string {
	widest := 0
	for _, n := range names {
		widest = max(widest, runewidth.StringWidth(n))
	}
	cols := max(1, (width+2)/(widest+2))
	rows := (len(names) + cols - 1) / cols
	var b strings.Builder
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			i := c*rows + r
			if i >= len(names) {
				break
			}
			b.WriteString(names[i])
			if c < cols-1 && i+rows < len(names) {
				b.WriteString(strings.Repeat(" ", widest+2-runewidth.StringWidth(names[i])))
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// terminalWidth is w's width in columns if it is a terminal, else 80.
func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return cols
		}
	}
	return 80
}

// currentWord finds the last word of head as splitArgs reads it: the byte
// offset where it starts (its opening quote, if any) and its value with
// quotes and escapes removed. A head ending in a space has an empty word.
func currentWord(head string) (start int, word string) {
	var cur strings.Builder
	inWord := false
	var quote rune
	escaped := false
	start = len(head)
	for i, r := range head {
		if !inWord && quote == 0 && !escaped && r != ' ' && r != '\t' {
			start, inWord = i, true
			cur.Reset()
		}
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped = true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote = r
		case r == ' ' || r == '\t':
			inWord = false
			start = len(head)
		default:
			cur.WriteRune(r)
		}
	}
	if !inWord {
		return len(head), ""
	}
	return start, cur.String()
}

func countArgs(words []string) int {
	n := 0
	for _, w := range words {
		if !strings.HasPrefix(w, "-") {
			n++
		}
	}
	return n
}

func (a *app) commandNames() []string {
	var names []string
	for _, c := range a.rootCommand().Commands() {
		if c.Name() != "serve" && c.Name() != "shell" && c.Name() != "completion" {
			names = append(names, c.Name())
		}
	}
	for k := range builtins {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func completeLocal(word string) []candidate {
	dir, prefix := filepath.Split(word)
	entries, err := os.ReadDir(dirOrDot(dir))
	if err != nil {
		return nil
	}
	var out []candidate
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			c := candidate{value: dir + e.Name(), dir: e.IsDir(), show: e.Name()}
			if c.dir {
				c.show += "/"
			}
			out = append(out, c)
		}
	}
	return out
}

func dirOrDot(dir string) string {
	if dir == "" {
		return "."
	}
	return dir
}

func (a *app) completeRemote(ctx context.Context, word string) []candidate {
	dir, prefix := path.Split(word)
	remoteDir := a.remote(dirOrDot(dir))
	sh := a.shell
	cached, ok := sh.cache[remoteDir]
	if !ok || time.Since(cached.at) > 5*time.Second {
		c, err := a.loggedIn(ctx)
		if err != nil {
			return nil
		}
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		entries, err := c.List(cctx, remoteDir)
		cancel()
		if err != nil {
			return nil
		}
		cached = cachedList{at: time.Now(), entries: entries}
		sh.cache[remoteDir] = cached
	}
	// Names are stored in NFC; what was typed may be decomposed (an
	// accent typed as a combining mark).
	prefix = norm.NFC.String(prefix)
	var out []candidate
	for _, e := range cached.entries {
		if strings.HasPrefix(e.Name, prefix) {
			c := candidate{value: dir + e.Name, dir: e.Kind == proto.KindDir, show: safeText(e.Name)}
			if c.dir {
				c.show += "/"
			}
			out = append(out, c)
		}
	}
	return out
}

// splitArgs splits a shell line into words: spaces separate, quotes ('…'
// or "…") group, a backslash escapes the next character.
func splitArgs(line string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inWord := false
	var quote rune
	escaped := false
	for _, r := range line {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped, inWord = true, true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, errors.New("unterminated quote")
	}
	if escaped {
		return nil, errors.New("line ends with a backslash")
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args, nil
}

// quoteArg escapes a name so splitArgs reads it back whole.
func quoteArg(s string) string {
	if !strings.ContainsAny(s, " \t'\"\\") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// linerPrompter prompts through the line editor.
type linerPrompter struct{ ed *liner.State }

func (p *linerPrompter) Line(prompt string) (string, error) { return p.ed.Prompt(prompt) }
func (p *linerPrompter) Password(prompt string) (string, error) {
	return p.ed.PasswordPrompt(prompt)
}

// scriptPrompter reads the shell's input from a pipe or file: prompts go to
// stdout, so a transcript reads like a session.
type scriptPrompter struct{ a *app }

func (p *scriptPrompter) Line(prompt string) (string, error) {
	fmt.Fprint(p.a.stdout, prompt)
	line, err := p.a.readLine()
	if err == nil {
		fmt.Fprintln(p.a.stdout)
	}
	return line, err
}

func (p *scriptPrompter) Password(prompt string) (string, error) { return p.Line(prompt) }

func (a *app) loadHistory() {
	st, err := a.loadState()
	if err != nil {
		return
	}
	f, err := os.Open(st.path("shell_history"))
	if err != nil {
		return
	}
	defer f.Close()
	a.shell.editor.ReadHistory(f)
}

func (a *app) saveHistory() {
	st, err := a.loadState()
	if err != nil {
		return
	}
	os.MkdirAll(st.dir, 0o700)
	f, err := os.OpenFile(st.path("shell_history"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	a.shell.editor.WriteHistory(f)
}
