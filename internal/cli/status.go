package cli

import (
	"fmt"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"netdisk/internal/version"
)

// statusCommand shows, without contacting the server, what later commands
// will use: the server, the saved session and the pinned certificate.
func (a *app) statusCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the server later commands use, the saved session and the pinned certificate",
		Long: `Show what later commands will use, from the config folder, without
contacting the server: the server (and where that choice comes from), the
user logged in there and when the session expires, and the fingerprint of
the server's certificate pinned on first use.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, from, err := a.serverChoice()
			if err != nil {
				return err
			}
			st, err := a.loadState()
			if err != nil {
				return err
			}
			if asJSON {
				return a.statusJSON(st, addr, from)
			}
			fmt.Fprintf(a.stdout, "server:      %s (%s)\n", addr, from)
			if sess, ok := st.session(addr); ok {
				left := time.Until(sess.Expires).Round(time.Minute)
				fmt.Fprintf(a.stdout, "user:        %s\n", safeText(sess.User))
				if left > 0 {
					fmt.Fprintf(a.stdout, "session:     until %s (%s left)\n", sess.Expires.Local().Format("2006-01-02 15:04"), left)
				} else {
					fmt.Fprintf(a.stdout, "session:     expired %s; run: netdisk login %s\n", sess.Expires.Local().Format("2006-01-02 15:04"), safeText(sess.User))
				}
			} else {
				fmt.Fprintf(a.stdout, "user:        not logged in (run: netdisk login USER)\n")
			}
			switch {
			case a.plaintext:
				fmt.Fprintf(a.stdout, "certificate: none (--plaintext)\n")
			default:
				fp, ok, err := st.pins().Lookup(addr)
				switch {
				case err != nil:
					return err
				case ok:
					fmt.Fprintf(a.stdout, "certificate: %s (pinned in %s)\n", fp, st.pins().Path())
				default:
					fmt.Fprintf(a.stdout, "certificate: not pinned yet (shown for confirmation on the first connection)\n")
				}
			}
			fmt.Fprintf(a.stdout, "config:      %s\n", st.dir)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `one JSON document: {"server", "server_from", "user", "session_expires", "certificate", "config"}`)
	return cmd
}

func (a *app) statusJSON(st *state, addr, from string) error {
	out := struct {
		Server         string     `json:"server"`
		ServerFrom     string     `json:"server_from"`
		User           string     `json:"user,omitempty"`
		SessionExpires *time.Time `json:"session_expires,omitempty"`
		Certificate    string     `json:"certificate,omitempty"`
		Config         string     `json:"config"`
	}{Server: addr, ServerFrom: from, Config: st.dir}
	if sess, ok := st.session(addr); ok {
		exp := sess.Expires.UTC()
		out.User, out.SessionExpires = sess.User, &exp
	}
	if !a.plaintext {
		fp, ok, err := st.pins().Lookup(addr)
		if err != nil {
			return err
		}
		if ok {
			out.Certificate = fp
		}
	}
	return a.printJSON(out)
}

// serverChoice is serverAddr with where the address came from.
func (a *app) serverChoice() (addr, from string, err error) {
	switch {
	case a.server != "":
		from = "--server"
	case a.getenv("NETDISK_SERVER") != "":
		from = "$NETDISK_SERVER"
	default:
		from = "the built-in default"
		if st, err := a.loadState(); err == nil {
			if f, err := st.read(); err == nil && f.LastServer != "" {
				from = "the last server logged in to"
			}
		}
	}
	addr, err = a.serverAddr()
	return addr, from, err
}

// versionLine is netdisk's version (see package version) and the Go
// release it was built with.
func versionLine() string { return version.String() + " " + runtime.Version() }
