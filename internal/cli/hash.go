package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"netdisk/internal/client"
	"netdisk/internal/digest"
)

func (a *app) hashCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "hash REMOTE...",
		Short: "Show the BLAKE3-256 the server recorded for files (as b3sum prints it)",
		Long: `Show the BLAKE3-256 digest the server recorded for each file when it was
stored, in the form b3sum prints ("DIGEST  NAME"), so it can be compared with
b3sum of a local copy. Nothing is read or hashed on the server; a file the
server has no record for (not uploaded through netdisk) shows "-".`,
		Args: atLeastOne("file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := a.loggedIn(ctx)
			if err != nil {
				return err
			}
			for _, arg := range args {
				sum, _, err := c.Hash(ctx, a.remote(arg))
				if err != nil {
					return err
				}
				if sum == nil {
					fmt.Fprintf(a.stdout, "-  %s\n", safeName(arg))
				} else {
					fmt.Fprintf(a.stdout, "%x  %s\n", sum, safeName(arg))
				}
			}
			return nil
		},
	}
}

// sameDigest says whether the local file has the digest the server
// recorded for remote (--checksum). A file the server has no record for
// is taken as different.
func sameDigest(ctx context.Context, c *client.Client, local, remote string) (bool, error) {
	want, _, err := c.Hash(ctx, remote)
	if err != nil || want == nil {
		return false, err
	}
	got, err := localDigest(local)
	if err != nil {
		return false, err
	}
	return bytes.Equal(got, want), nil
}

// localDigest is the BLAKE3-256 of a local file.
func localDigest(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, localError("reading", path, err)
	}
	defer f.Close()
	h := digest.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, localError("reading", path, err)
	}
	return h.Sum(nil), nil
}
