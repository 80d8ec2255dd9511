package loadgen

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"netdisk/internal/proto"
)

// Account is a user name and password bench logs in with.
type Account struct {
	User, Password string
}

// ReadUsers reads a users file: one "name:password" a line; blank lines
// and lines starting with # are skipped.
func ReadUsers(path string) ([]Account, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the users file: %w", err)
	}
	defer f.Close()
	var accts []Account
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		name, pw, ok := strings.Cut(t, ":")
		if !ok || name == "" || pw == "" {
			return nil, fmt.Errorf("%s line %d: want name:password", path, line)
		}
		accts = append(accts, Account{User: name, Password: pw})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(accts) == 0 {
		return nil, fmt.Errorf("%s holds no name:password line", path)
	}
	return accts, nil
}

// WriteUsers writes accounts as ReadUsers reads them, readable by the
// owner alone (it holds passwords).
func WriteUsers(path string, accts []Account) error {
	var b strings.Builder
	b.WriteString("# netdisk bench users: name:password\n")
	for _, a := range accts {
		fmt.Fprintf(&b, "%s:%s\n", a.User, a.Password)
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// newRunID is the random part of a run's names: bench-3f9a-0007.
func newRunID() string {
	var b [2]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func newPassword() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// registerWorkers is how many registrations run at once (each is an
// argon2 hash on the server, which runs one per core at a time anyway).
const registerWorkers = 4

// register creates n throwaway accounts named bench-RUNID-NNNN.
func (r *run) register(ctx context.Context, n int) ([]Account, error) {
	accts := make([]Account, n)
	for i := range accts {
		accts[i] = Account{User: fmt.Sprintf("bench-%s-%04d", r.id, i), Password: newPassword()}
	}
	err := parallel(ctx, registerWorkers, n, func(ctx context.Context, i int) error {
		return r.registerOne(ctx, accts[i])
	})
	if err != nil {
		return nil, err
	}
	return accts, nil
}

func (r *run) registerOne(ctx context.Context, a Account) error {
	if err := r.gate.enter(ctx); err != nil {
		return err
	}
	defer r.gate.leave()
	c, err := r.cfg.Dial(ctx)
	if err != nil {
		return explainSetup(err)
	}
	defer c.Close()
	if err := c.Register(ctx, a.User, a.Password); err != nil {
		var pe *proto.Error
		if errors.As(err, &pe) && pe.Code == proto.CodeRateLimited {
			return fmt.Errorf("the server refused to register %s (rate_limited: %s): it allows only so many registrations an hour from one address; raise the server's --signups-per-hour (default 250), or give bench existing accounts with --users FILE (--save-users FILE keeps the accounts a run registers)", a.User, pe.Message)
		}
		return fmt.Errorf("registering %s: %w", a.User, err)
	}
	r.registered.Add(1)
	return nil
}

// explainSetup adds what to change to an error that a server setting
// explains.
func explainSetup(err error) error {
	var pe *proto.Error
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case proto.CodeServerBusy:
		return fmt.Errorf("%w (the server is at a connection limit: raise its --max-conns, or --max-prelogin-per-addr and keep bench's --max-prelogin under it)", err)
	case proto.CodeBusy:
		return fmt.Errorf("%w (a user holds as many connections as the server allows: lower bench's --idle-per-user to the server's --max-conns-per-user, or raise that)", err)
	case proto.CodeRateLimited:
		return fmt.Errorf("%w (logins are being refused after failed attempts: check the passwords in --users, or raise the server's --login-failures-per-user and --login-failures-per-addr)", err)
	case proto.CodeAuthFailed:
		return fmt.Errorf("%w (check the names and passwords in --users)", err)
	}
	return err
}
