package cli

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func (a *app) keygenCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "keygen FILE",
		Short: "Write a new client key file (mode 0600) for serve --client-key",
		Long: `Write a new random 32-byte client key to FILE (mode 0600). Start the
server with --client-key FILE and give the same file to trusted clients
(--client-key FILE or NETDISK_CLIENT_KEY_FILE): connections that cannot prove
the key are closed before any login.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			key := make([]byte, 32)
			rand.Read(key)
			flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
			if force {
				flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
			}
			f, err := os.OpenFile(args[0], flags, 0o600)
			if err != nil {
				return fmt.Errorf("writing the key: %w (use --force to replace a key)", err)
			}
			if err := f.Chmod(0o600); err != nil {
				f.Close()
				return err
			}
			if _, err := fmt.Fprintln(f, base64.StdEncoding.EncodeToString(key)); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Wrote a new client key to %s.\n", args[0])
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing file")
	return cmd
}
