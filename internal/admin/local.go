package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"netdisk/internal/datalock"
	"netdisk/internal/service"
	"netdisk/internal/storage"
	"netdisk/internal/users"
)

// StoreMarker is the file of a data folder that names the store its
// server keeps accounts and files in, when that is not the folder itself
// ("s3"): netdisk admin then works only through the running server.
const StoreMarker = "store"

// Run carries out req on the data folder dir: through the server that
// holds its lock, over its admin socket; or, if no process holds it, on
// the files, holding the lock meanwhile. If a server holds the lock but
// its socket cannot be reached, Run says so and changes nothing: it never
// works on the files behind a server's back.
func Run(ctx context.Context, dir string, req Request, logger *slog.Logger) (json.RawMessage, error) {
	if req.Op == OpAdd {
		// Users may be added before the first start of the server.
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("creating the data folder: %w", err)
		}
	} else if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("there is no data folder %s (use --data or NETDISK_DATA to name it)", dir)
	}
	f, err := Open(dir, logger)
	switch {
	case err == nil:
		result, err := resultOf(Do(ctx, f.svc, req))
		// Closing saves the sessions (a kick, say): its failure matters.
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("saving the data folder: %w", cerr)
		}
		return result, err
	case errors.Is(err, datalock.ErrLocked):
		sock := filepath.Join(dir, SocketName)
		result, callErr := Call(ctx, sock, req)
		var re *RemoteError
		if callErr != nil && !errors.As(callErr, &re) && ctx.Err() == nil {
			who := "another process"
			var le *datalock.LockedError
			if errors.As(err, &le) && le.PID > 0 {
				who = fmt.Sprintf("process %d", le.PID)
			}
			return nil, fmt.Errorf("a server holds the data folder %s (%s; or another netdisk admin does), but its admin socket %s cannot be reached (%v); nothing was changed. Is the server running as another user, or did it start without the socket (see its log)?", dir, who, sock, callErr)
		}
		return result, callErr
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("you may not administer the data folder %s (%v): run netdisk admin as the user the server runs as, or as root", dir, err)
	default:
		return nil, err
	}
}

// Folder is a data folder opened for administration with no server
// running: its lock held, its registry, files and sessions open.
type Folder struct {
	lock  *datalock.Lock
	users *users.Registry
	store *storage.Local
	svc   *service.Service
}

// Open takes the lock of the data folder dir and opens it. It fails with
// an error matching datalock.ErrLocked if a server (or another admin
// command) holds the folder.
func Open(dir string, logger *slog.Logger) (f *Folder, err error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := sameOwner(dir); err != nil {
		return nil, err
	}
	lock, err := datalock.Acquire(dir)
	if err != nil {
		return nil, err
	}
	folder := &Folder{lock: lock}
	defer func() {
		if err != nil {
			folder.Close() // (f is nil by then)
		}
	}()
	f = folder
	if kind, err := os.ReadFile(filepath.Join(dir, StoreMarker)); err == nil && string(kind) != "local\n" {
		return nil, fmt.Errorf("the data folder %s belongs to a server on the %s store, whose accounts and files are not in this folder: run netdisk admin while that server runs (it answers on its admin socket)", dir, strings.TrimSpace(string(kind)))
	}
	if f.users, err = users.Open(filepath.Join(dir, "users.xlsx"), logger); err != nil {
		return nil, err
	}
	if f.store, err = storage.NewLocal(filepath.Join(dir, "files")); err != nil {
		return nil, err
	}
	f.svc, err = service.New(service.Config{
		DataDir:   dir,
		Users:     f.users,
		Hasher:    users.NewHasher(users.DefaultParams, 1),
		Store:     f.store,
		Logger:    logger,
		NoJanitor: true,
	})
	return f, err
}

// sameOwner refuses to work on a data folder that belongs to another
// user: what admin writes (users.xlsx, a new user's folder, sessions)
// would belong to the user running it, root say, and the server, running
// as the folder's owner, could not write it afterwards.
func sameOwner(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil // (opening the folder reports it)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) == os.Geteuid() {
		return nil
	}
	who := strconv.Itoa(int(st.Uid))
	if u, err := user.LookupId(who); err == nil {
		who = u.Username
	}
	return fmt.Errorf("the data folder %s belongs to %s: with no server running, run netdisk admin as that user (sudo -u %s netdisk admin …), so that the files it writes stay the server's", dir, who, who)
}

// Service is the folder's service layer.
func (f *Folder) Service() *service.Service { return f.svc }

// Close saves the sessions and the registry, and lets go of the lock.
func (f *Folder) Close() error {
	var errs []error
	if f.svc != nil {
		errs = append(errs, f.svc.Close(context.Background()))
	}
	if f.users != nil {
		errs = append(errs, f.users.Close())
	}
	if f.store != nil {
		errs = append(errs, f.store.Close())
	}
	errs = append(errs, f.lock.Release())
	return errors.Join(errs...)
}
