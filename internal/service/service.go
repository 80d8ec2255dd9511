package service

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"netdisk/internal/storage"
	"netdisk/internal/users"
)

// Config is what a Service is built from. Users, Hasher and Store are
// required; zero durations take the defaults below.
type Config struct {
	DataDir string // sessions.json is kept here
	Users   *users.Registry
	Hasher  *users.Hasher
	Store   storage.Store
	Logger  *slog.Logger

	SessionTTL   time.Duration // how long a login lasts; default DefaultSessionTTL
	UploadMaxAge time.Duration // unfinished uploads untouched this long are removed; default DefaultUploadMaxAge
	Limits       LimitConfig   // failed-login limits; zero value means DefaultLimits
}

// Defaults for Config.
const (
	DefaultSessionTTL   = 7 * 24 * time.Hour
	DefaultUploadMaxAge = 24 * time.Hour
)

// Service is the business layer. It is safe for concurrent use.
type Service struct {
	users    *users.Registry
	hasher   *users.Hasher
	store    storage.Store
	logger   *slog.Logger
	sessions *sessionTable
	limiter  *loginLimiter
	quotas   *quotaBook
	holders  holders
	active   activeUploads
	signups  *signupLimiter
	maxAge   time.Duration

	stop chan struct{}
	wg   sync.WaitGroup
}

// New builds a Service and starts its janitor (expiry of old uploads).
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
	if cfg.Limits == (LimitConfig{}) {
		cfg.Limits = DefaultLimits
	}
	sessions, err := openSessionTable(filepath.Join(cfg.DataDir, "sessions.json"), cfg.SessionTTL, cfg.Logger)
	if err != nil {
		return nil, err
	}
	s := &Service{
		users:    cfg.Users,
		hasher:   cfg.Hasher,
		store:    cfg.Store,
		logger:   cfg.Logger,
		sessions: sessions,
		limiter:  newLoginLimiter(cfg.Limits),
		quotas:   newQuotaBook(),
		signups:  newSignupLimiter(cfg.Limits.SignupsPerHour),
		maxAge:   cfg.UploadMaxAge,
		stop:     make(chan struct{}),
	}
	s.wg.Add(1)
	go s.janitor()
	return s, nil
}

// Close stops the janitor and saves the session table.
func (s *Service) Close(ctx context.Context) error {
	close(s.stop)
	s.wg.Wait()
	return s.sessions.close(ctx)
}

// janitor removes unfinished uploads older than the configured age, once at
// start and then every quarter of that age (at most hourly).
func (s *Service) janitor() {
	defer s.wg.Done()
	every := min(s.maxAge/4, time.Hour)
	for {
		n, err := s.store.ExpireUploads(time.Now().Add(-s.maxAge))
		if err != nil {
			s.logger.Error("expiring unfinished uploads", "err", err)
		} else if n > 0 {
			s.quotas.changedAll()
			s.logger.Info("expired unfinished uploads", "count", n, "older_than", s.maxAge)
		}
		select {
		case <-time.After(every):
		case <-s.stop:
			return
		}
	}
}
