package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"netdisk/internal/admin"
	"netdisk/internal/daemon"
	"netdisk/internal/units"
	"netdisk/internal/users"
)

// adminCommand is `netdisk admin …`, run on the server machine: through
// the running server's admin socket, or on the data folder's files when
// no server holds it (internal/admin decides, by the folder's lock).
func (a *app) adminCommand() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Administer the users of a data folder (on the server machine)",
		Long: `Administer the users of a netdisk data folder, on the server machine.
While a server runs on the folder, each command goes through its admin
socket (DATA/admin.sock), which only the server's own user and root may
use; with no server running, the command takes the folder's lock and works
on its files (users.xlsx, the users' folders, sessions.json) itself.

Environment: NETDISK_DATA sets the default of --data.`,
		Args: exactArgs(0),
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if a.shell != nil {
				return usagef("admin cannot run inside the shell: it works on the server machine's data folder")
			}
			return cmd.Root().PersistentPreRunE(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	defaultData := daemon.DefaultDataDir
	if v := a.getenv("NETDISK_DATA"); v != "" {
		defaultData = v // as serve reads it
	}
	cmd.PersistentFlags().StringVar(&dataDir, "data", defaultData, "data folder of the server to administer")
	// call runs one request and decodes its result into out (if not nil).
	call := func(cmd *cobra.Command, req admin.Request, out any) error {
		logger := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		raw, err := admin.Run(cmd.Context(), dataDir, req, logger)
		if err != nil {
			return err
		}
		if out != nil && raw != nil {
			return json.Unmarshal(raw, out)
		}
		return nil
	}
	var asJSON bool
	jsonFlag := func(c *cobra.Command) *cobra.Command {
		c.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (field names in ADMIN.md)")
		return c
	}
	userCmd := func(use, short string, run func(cmd *cobra.Command, user string) error) *cobra.Command {
		return &cobra.Command{Use: use, Short: short, Args: exactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error { return run(cmd, args[0]) }}
	}
	ended := func(what, user string, e admin.Ended) {
		fmt.Fprintf(a.stdout, "%s %s; %s ended.\n", what, user, plural(e.Sessions, "session"))
	}

	usersCmd := jsonFlag(&cobra.Command{
		Use:   "users",
		Short: "List the users: registered, last login, usage, limits, sessions",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			var list []admin.User
			if err := call(cmd, admin.Request{Op: admin.OpUsers}, &list); err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(nonNil(list))
			}
			return a.printUsers(list)
		},
	})
	add := userCmd("add USER", "Add a user (the password is asked twice, or read from one line of standard input)", func(cmd *cobra.Command, user string) error {
		if _, err := users.NormalizeName(user); err != nil {
			return errors.New(ruleMessage(err))
		}
		pw, err := a.adminPassword()
		if err != nil {
			return err
		}
		if err := call(cmd, admin.Request{Op: admin.OpAdd, User: user, Password: pw}, nil); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "Added %s.\n", strings.ToLower(user))
		return nil
	})
	remove := userCmd("remove USER", "Remove a user: their sessions end, their folder moves to files/.removed/", func(cmd *cobra.Command, user string) error {
		var r admin.Removed
		if err := call(cmd, admin.Request{Op: admin.OpRemove, User: user}, &r); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "Removed %s; %s ended.\n", strings.ToLower(user), plural(r.Sessions, "session"))
		if r.MovedTo != "" {
			fmt.Fprintf(a.stdout, "Their files are in %s.\n", r.MovedTo)
		}
		return nil
	})
	quota := &cobra.Command{
		Use:   "quota USER SIZE|none",
		Short: "Set the bytes a user may store (e.g. 10GiB, 500MB; none for no quota)",
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var n int64
			if !strings.EqualFold(args[1], "none") {
				var err error
				if n, err = units.Parse(args[1]); err != nil {
					return usageError{err.Error()}
				}
			}
			if err := call(cmd, admin.Request{Op: admin.OpQuota, User: args[0], Value: n}, nil); err != nil {
				return err
			}
			if n == 0 {
				fmt.Fprintf(a.stdout, "%s has no quota.\n", strings.ToLower(args[0]))
			} else {
				fmt.Fprintf(a.stdout, "%s may store %s.\n", strings.ToLower(args[0]), units.Bytes(n))
			}
			return nil
		},
	}
	limit := &cobra.Command{
		Use:   "limit USER entries N|none",
		Short: "Set how many files and folders a user may have (none: the server's --max-entries)",
		Args:  exactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[1] != "entries" {
				return usagef("the limits are: entries (not %q)", args[1])
			}
			var n int64
			if !strings.EqualFold(args[2], "none") {
				var err error
				if n, err = strconv.ParseInt(args[2], 10, 64); err != nil || n < 0 {
					return usagef("%q is not a number of files and folders (0 or none: the server's default)", args[2])
				}
			}
			if err := call(cmd, admin.Request{Op: admin.OpLimit, User: args[0], Limit: "entries", Value: n}, nil); err != nil {
				return err
			}
			if n == 0 {
				fmt.Fprintf(a.stdout, "%s has the server's entries limit.\n", strings.ToLower(args[0]))
			} else {
				fmt.Fprintf(a.stdout, "%s may have %d files and folders.\n", strings.ToLower(args[0]), n)
			}
			return nil
		},
	}
	disable := userCmd("disable USER", "Disable a user: no more logins, their sessions end at once", func(cmd *cobra.Command, user string) error {
		var e admin.Ended
		if err := call(cmd, admin.Request{Op: admin.OpDisable, User: user}, &e); err != nil {
			return err
		}
		ended("Disabled", strings.ToLower(user), e)
		return nil
	})
	enable := userCmd("enable USER", "Let a disabled user log in again", func(cmd *cobra.Command, user string) error {
		if err := call(cmd, admin.Request{Op: admin.OpEnable, User: user}, nil); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "Enabled %s.\n", strings.ToLower(user))
		return nil
	})
	passwd := userCmd("passwd USER", "Reset a user's password (asked as for add); their sessions end", func(cmd *cobra.Command, user string) error {
		pw, err := a.adminPassword()
		if err != nil {
			return err
		}
		var e admin.Ended
		if err := call(cmd, admin.Request{Op: admin.OpPasswd, User: user, Password: pw}, &e); err != nil {
			return err
		}
		ended("Set the password of", strings.ToLower(user), e)
		return nil
	})
	sessions := jsonFlag(&cobra.Command{
		Use:   "sessions [USER]",
		Short: "List the live sessions (of one user, or everyone's)",
		Args:  rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := admin.Request{Op: admin.OpSessions}
			if len(args) == 1 {
				req.User = args[0]
			}
			var list []admin.Session
			if err := call(cmd, req, &list); err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(nonNil(list))
			}
			return a.printSessions(list)
		},
	})
	kick := userCmd("kick USER", "End all of a user's sessions at once (on both front doors)", func(cmd *cobra.Command, user string) error {
		var e admin.Ended
		if err := call(cmd, admin.Request{Op: admin.OpKick, User: user}, &e); err != nil {
			return err
		}
		ended("Kicked", strings.ToLower(user), e)
		return nil
	})
	uploads := jsonFlag(&cobra.Command{
		Use:   "uploads",
		Short: "List every user's unfinished uploads: bytes held, age, holder",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			var list []admin.Upload
			if err := call(cmd, admin.Request{Op: admin.OpUploads}, &list); err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(nonNil(list))
			}
			return a.printUploads(list)
		},
	})
	var recount bool
	usage := jsonFlag(&cobra.Command{
		Use:   "usage --recount",
		Short: "Walk every user's folder and reset the usage the server keeps",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !recount {
				return usagef("usage needs --recount (netdisk admin users shows the usage)")
			}
			var list []admin.Usage
			if err := call(cmd, admin.Request{Op: admin.OpRecount}, &list); err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(nonNil(list))
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "USER\tBYTES\tENTRIES")
			var bytes, entries int64
			for _, u := range list {
				fmt.Fprintf(tw, "%s\t%s\t%d\n", u.User, units.Bytes(u.Bytes), u.Entries)
				bytes, entries = bytes+u.Bytes, entries+u.Entries
			}
			tw.Flush()
			fmt.Fprintf(a.stdout, "%s recounted: %s, %d files and folders.\n", plural(len(list), "user"), units.Bytes(bytes), entries)
			return nil
		},
	})
	usage.Flags().BoolVar(&recount, "recount", false, "walk the folders and reset the usage kept")
	cmd.AddCommand(usersCmd, add, remove, quota, limit, disable, enable, passwd, sessions, kick, uploads, usage)
	return cmd
}

// adminPassword reads the password for admin add and admin passwd: asked
// twice on a terminal, or one line of standard input otherwise.
func (a *app) adminPassword() (string, error) {
	f, ok := a.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		pw, err := a.readLine()
		if err != nil {
			return "", fmt.Errorf("reading the password from standard input: %w", err)
		}
		if err := users.CheckPassword(pw); err != nil {
			return "", errors.New(ruleMessage(err))
		}
		return pw, nil
	}
	return a.newPassword("New password: ")
}
