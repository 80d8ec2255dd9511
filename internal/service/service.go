package service

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"netdisk/internal/reqlog"
	"netdisk/internal/sessions"
	"netdisk/internal/storage"
	"netdisk/internal/users"
)

// Config is what a Service is built from. Users, Hasher and Store are
// required; zero durations take the defaults below.
type Config struct {
	DataDir string // sessions.json is kept here, unless Sessions is set
	Users   *users.Registry
	// Sessions keeps the sessions; nil: sessions.json in DataDir. The
	// service closes it.
	Sessions sessions.Store
	Hasher   *users.Hasher
	Store    storage.Store
	Logger   *slog.Logger

	SessionTTL   time.Duration // how long a login lasts; default DefaultSessionTTL
	UploadMaxAge time.Duration // unfinished uploads untouched this long are removed; default DefaultUploadMaxAge
	MaxEntries   int64         // files and folders one user may have; 0: DefaultMaxEntries, -1: no limit
	Limits       LimitConfig   // failed-login limits; zero value means DefaultLimits
	// Failures, if set, carries failed-login counts between the servers
	// that share it; nil: each server counts its own.
	Failures FailureCounts
	// NameLocks, if set, serializes the registration and removal of one
	// name across the servers that share the accounts.
	NameLocks    NameLocks
	DefaultQuota int64   // bytes given to a newly registered user; 0: no quota
	Metrics      Metrics // counts logins, registrations and refusals; nil counts nothing
	// NoJanitor leaves unfinished uploads alone however old: for a
	// short-lived owner of the data folder (netdisk admin with no server
	// running), which must not remove what it was asked to list.
	NoJanitor bool
}

// NameLocks serializes work on one account name across servers.
type NameLocks interface {
	// LockName waits until no server holds name, or ctx ends, and takes
	// it; unlock lets it go. A server that dies lets go of its names.
	LockName(ctx context.Context, name string) (unlock func(), err error)
}

// Metrics receives the service's counts (internal/metrics implements it).
// Its arguments come from fixed lists, never a user name or a path.
type Metrics interface {
	// Login counts a password login by result: ok, failed,
	// rate_limited, disabled or error.
	Login(result string)
	// Registered counts an account registered.
	Registered()
	// RateLimited counts an attempt refused by a limit on what: login,
	// signup, hashing or uploads (open at once).
	RateLimited(what string)
}

// noMetrics counts nothing.
type noMetrics struct{}

func (noMetrics) Login(string)       {}
func (noMetrics) Registered()        {}
func (noMetrics) RateLimited(string) {}

// Defaults for Config.
const (
	DefaultSessionTTL   = 7 * 24 * time.Hour
	DefaultUploadMaxAge = 24 * time.Hour
)

// Service is the business layer. It is safe for concurrent use.
type Service struct {
	users      *users.Registry
	hasher     *users.Hasher
	store      storage.Store
	logger     *slog.Logger
	sessions   *sessionTable
	limiter    *loginLimiter
	failures   FailureCounts // nil: none shared
	nameLocks  NameLocks     // nil: the servers share no accounts
	usage      usageBook
	holders    holders
	twins      twinIndex
	hashing    hashBudgets
	active     activeUploads
	signups    *signupLimiter
	committer  *committer
	maxAge     time.Duration
	maxEntries int64
	// defaultQuota is the QuotaBytes a registration gives (0: none).
	defaultQuota int64
	metrics      Metrics

	// registering holds a name while it is being registered (its old
	// folder moved aside, the account added, its folder made).
	registering nameLocks

	ctx    context.Context // ends at Close: background work stops
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New builds a Service and starts its janitor (expiry of old uploads) and
// its committer (group commit of uploads).
func New(cfg Config) (*Service, error) {
	if cfg.Users == nil || cfg.Hasher == nil || cfg.Store == nil {
		return nil, errors.New("service: Users, Hasher and Store are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.UploadMaxAge <= 0 {
		cfg.UploadMaxAge = DefaultUploadMaxAge
	}
	switch {
	case cfg.MaxEntries == 0:
		cfg.MaxEntries = DefaultMaxEntries
	case cfg.MaxEntries < 0:
		cfg.MaxEntries = 0 // no limit
	}
	if cfg.Metrics == nil {
		cfg.Metrics = noMetrics{}
	}
	cfg.Logger = reqlog.Wrap(cfg.Logger)
	if cfg.Limits == (LimitConfig{}) {
		cfg.Limits = DefaultLimits
	}
	if cfg.Sessions == nil {
		file, err := sessions.OpenFile(filepath.Join(cfg.DataDir, "sessions.json"), cfg.Logger)
		if err != nil {
			return nil, err
		}
		cfg.Sessions = file
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{
		users:        cfg.Users,
		hasher:       cfg.Hasher,
		store:        cfg.Store,
		logger:       cfg.Logger,
		sessions:     &sessionTable{store: cfg.Sessions, ttl: cfg.SessionTTL, logger: cfg.Logger},
		limiter:      newLoginLimiter(cfg.Limits),
		failures:     cfg.Failures,
		nameLocks:    cfg.NameLocks,
		signups:      newSignupLimiter(cfg.Limits.SignupsPerHour),
		maxAge:       cfg.UploadMaxAge,
		maxEntries:   cfg.MaxEntries,
		defaultQuota: max(cfg.DefaultQuota, 0),
		metrics:      cfg.Metrics,
		ctx:          ctx,
		cancel:       cancel,
	}
	s.committer = newCommitter(cfg.Store, &s.twins, &s.usage, cfg.Logger)
	cfg.Users.OnExternalEdit(s.applyEdits) // users.xlsx edited while running: end the sessions it takes away
	if !cfg.NoJanitor {
		s.wg.Go(s.janitor)
	}
	s.wg.Go(s.committer.run)
	return s, nil
}

// Close stops the janitor and the committer (after the commits waiting)
// and saves the session table. Front doors must have stopped first.
func (s *Service) Close(ctx context.Context) error {
	s.users.OnExternalEdit(nil)
	s.cancel()
	s.committer.stop()
	s.wg.Wait()
	return s.sessions.store.Close(ctx)
}

// janitor removes unfinished uploads older than the configured age, once at
// start and then every quarter of that age (at most hourly).
func (s *Service) janitor() {
	every := min(s.maxAge/4, time.Hour)
	for {
		n, err := s.store.ExpireUploads(s.ctx, time.Now().Add(-s.maxAge))
		switch {
		case err != nil && s.ctx.Err() == nil:
			s.logger.Error("expiring unfinished uploads", "err", err)
		case n > 0:
			s.usage.forgetAll()
			s.logger.Info("expired unfinished uploads", "count", n, "older_than", s.maxAge)
		}
		select {
		case <-time.After(every):
		case <-s.ctx.Done():
			return
		}
	}
}
