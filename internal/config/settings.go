package config

import (
	"strings"
	"time"

	"netdisk/internal/server"
	"netdisk/internal/service"
	"netdisk/internal/users"
)

// Settings are the values of every server setting. The command line turns
// them into a daemon.Config.
type Settings struct {
	Data          string
	Listen        string
	HTTP          string // "off": no web
	Metrics       string // "" or "off": no metrics endpoint
	Plaintext     bool
	TLSCert       string
	TLSKey        string
	ClientKey     string // a file made by netdisk keygen
	TrustedProxy  []string
	Name          string
	Welcome       string
	ShutdownGrace time.Duration
	LogLevel      string
	LogFormat     string

	MaxConns           int // 0: from the open-files limit
	MaxPreLoginPerAddr int
	MaxConnsPerUser    int
	MaxEntries         int64 // -1: no limit

	HandshakeTimeout time.Duration
	LoginTimeout     time.Duration
	IdleTimeout      time.Duration
	FrameTimeout     time.Duration
	WriteTimeout     time.Duration

	SignupsPerHour       int
	LoginFailuresPerUser int
	LoginFailuresPerAddr int
	LoginFailureWindow   time.Duration

	DefaultQuota      int64 // bytes; 0: none
	UploadMaxAge      time.Duration
	SessionTTL        time.Duration
	Argon2Memory      int64 // bytes
	Argon2Time        int
	Argon2Concurrency int // 0: one per CPU

	Store         string // "local" or "s3"
	PGURL         string
	S3Endpoint    string
	S3Region      string
	S3Bucket      string
	S3Prefix      string
	S3Credentials string // a file: the access key on its first line, the secret on its second
	ObjectGrace   time.Duration
	S3Capacity    int64 // bytes; 0: no bound on the total
}

// Defaults returns the settings of a server started with none given.
func Defaults() Settings {
	return Settings{
		Data:                 "netdisk-data",
		Listen:               ":7070",
		HTTP:                 ":7080",
		Name:                 "netdisk",
		Welcome:              server.DefaultWelcome,
		ShutdownGrace:        30 * time.Second,
		LogLevel:             "info",
		LogFormat:            "text",
		MaxPreLoginPerAddr:   server.DefaultMaxPreLoginPerAddr,
		MaxConnsPerUser:      server.DefaultMaxConnsPerUser,
		MaxEntries:           service.DefaultMaxEntries,
		HandshakeTimeout:     server.DefaultHandshakeTimeout,
		LoginTimeout:         server.DefaultLoginTimeout,
		IdleTimeout:          server.DefaultIdleTimeout,
		FrameTimeout:         server.DefaultFrameTimeout,
		WriteTimeout:         server.DefaultWriteTimeout,
		SignupsPerHour:       service.DefaultLimits.SignupsPerHour,
		LoginFailuresPerUser: service.DefaultLimits.UserFree,
		LoginFailuresPerAddr: service.DefaultLimits.AddrFree,
		LoginFailureWindow:   service.DefaultLimits.Window,
		UploadMaxAge:         service.DefaultUploadMaxAge,
		SessionTTL:           service.DefaultSessionTTL,
		Argon2Memory:         int64(users.DefaultParams.MemoryKiB) << 10,
		Argon2Time:           int(users.DefaultParams.Time),
		Store:                "local",
		S3Region:             "us-east-1",
		ObjectGrace:          24 * time.Hour,
	}
}

// setting describes one setting: its flag name (the key is the name with
// _ for -, the variable NETDISK_ and the key in capitals), its kind and
// checks, and the field of Settings it fills.
type setting struct {
	name  string
	arg   string // what --help shows after the flag: DIR, ADDR, N…
	usage string
	kind  kind
	// words are values accepted besides those of the kind ("off").
	words []string
	// min and max bound counts and sizes; note says what an accepted
	// value below min (one of also) means.
	min, max int64
	also     []int64
	note     string
	unit     int64               // a size must be a whole number of these
	field    func(*Settings) any // a pointer to the field
}

func (s *setting) key() string { return strings.ReplaceAll(s.name, "-", "_") }
func (s *setting) env() string { return "NETDISK_" + strings.ToUpper(s.key()) }

const maxInt32 = 1<<31 - 1

// table lists every setting, in the order --help and --print-config show
// them.
var table = []*setting{
	{name: "data", arg: "DIR", kind: kindString, usage: "data folder (users.xlsx, files, TLS certificate)",
		field: func(s *Settings) any { return &s.Data }},
	{name: "listen", arg: "ADDR", kind: kindAddr, usage: "address for the netdisk protocol",
		field: func(s *Settings) any { return &s.Listen }},
	{name: "http", arg: "ADDR", kind: kindAddr, words: []string{"off"}, usage: "address for the web page (off: no web)",
		field: func(s *Settings) any { return &s.HTTP }},
	{name: "metrics", arg: "ADDR", kind: kindAddr, words: []string{"", "off"}, usage: `address for the Prometheus metrics endpoint ("" or off: none)`,
		field: func(s *Settings) any { return &s.Metrics }},
	{name: "plaintext", kind: kindBool, usage: "no TLS on either port (trusted networks, or the web behind a proxy that adds it)",
		field: func(s *Settings) any { return &s.Plaintext }},
	{name: "tls-cert", arg: "FILE", kind: kindString, usage: "TLS certificate (PEM) for both ports, instead of the self-signed one",
		field: func(s *Settings) any { return &s.TLSCert }},
	{name: "tls-key", arg: "FILE", kind: kindString, usage: "the key of tls-cert (PEM)",
		field: func(s *Settings) any { return &s.TLSKey }},
	{name: "client-key", arg: "FILE", kind: kindString, usage: "require clients to prove this key (made by netdisk keygen) before anything else",
		field: func(s *Settings) any { return &s.ClientKey }},
	{name: "trusted-proxy", arg: "CIDR", kind: kindProxies, usage: "address or CIDR of a reverse proxy whose X-Forwarded-For and -Proto the web believes (repeatable; a list in the file, commas in the variable)",
		field: func(s *Settings) any { return &s.TrustedProxy }},
	{name: "name", arg: "TEXT", kind: kindString, usage: "server name shown to clients",
		field: func(s *Settings) any { return &s.Name }},
	{name: "welcome", arg: "TEXT", kind: kindString, usage: "welcome message shown to clients",
		field: func(s *Settings) any { return &s.Welcome }},
	{name: "shutdown-grace", arg: "D", kind: kindDuration, usage: "on SIGINT/SIGTERM, how long transfers in progress may take to finish",
		field: func(s *Settings) any { return &s.ShutdownGrace }},
	{name: "log-level", arg: "LEVEL", kind: kindWord, words: []string{"debug", "info", "warn", "error"}, usage: "debug, info, warn or error",
		field: func(s *Settings) any { return &s.LogLevel }},
	{name: "log-format", arg: "FORMAT", kind: kindWord, words: []string{"text", "json"}, usage: "text or json",
		field: func(s *Settings) any { return &s.LogFormat }},

	{name: "max-conns", arg: "N", kind: kindCount, min: 1, max: 1 << 20, also: []int64{0}, note: "0: from the open-files limit",
		usage: "most connections served at once (0: the open-files limit less room for the server's own files)",
		field: func(s *Settings) any { return &s.MaxConns }},
	{name: "max-prelogin-per-addr", arg: "N", kind: kindCount, min: 1, max: maxInt32, usage: "most connections one address may hold before logging in",
		field: func(s *Settings) any { return &s.MaxPreLoginPerAddr }},
	{name: "max-conns-per-user", arg: "N", kind: kindCount, min: 1, max: maxInt32, usage: "most connections one user may hold",
		field: func(s *Settings) any { return &s.MaxConnsPerUser }},
	{name: "max-entries", arg: "N", kind: kindCount, min: 1, max: 1 << 62, also: []int64{-1}, note: "-1: no limit",
		usage: "most files and folders one user may have (-1: no limit)",
		field: func(s *Settings) any { return &s.MaxEntries }},

	{name: "handshake-timeout", arg: "D", kind: kindDuration, usage: "drop connections that have not greeted (TLS, preamble) within this",
		field: func(s *Settings) any { return &s.HandshakeTimeout }},
	{name: "login-timeout", arg: "D", kind: kindDuration, usage: "drop connections not logged in this long after greeting",
		field: func(s *Settings) any { return &s.LoginTimeout }},
	{name: "idle-timeout", arg: "D", kind: kindDuration, usage: "drop logged-in connections idle this long",
		field: func(s *Settings) any { return &s.IdleTimeout }},
	{name: "frame-timeout", arg: "D", kind: kindDuration, usage: "once a frame has begun, how long the rest of its header (and each piece of its body) may take",
		field: func(s *Settings) any { return &s.FrameTimeout }},
	{name: "write-timeout", arg: "D", kind: kindDuration, usage: "drop a client that takes longer than this to accept one write",
		field: func(s *Settings) any { return &s.WriteTimeout }},

	{name: "signups-per-hour", arg: "N", kind: kindCount, min: 1, max: maxInt32,
		usage: "registrations one address may make in an hour",
		field: func(s *Settings) any { return &s.SignupsPerHour }},
	{name: "login-failures-per-user", arg: "N", kind: kindCount, min: 1, max: maxInt32, usage: "failed logins to one account within the window before each further one waits, doubling",
		field: func(s *Settings) any { return &s.LoginFailuresPerUser }},
	{name: "login-failures-per-addr", arg: "N", kind: kindCount, min: 1, max: maxInt32, usage: "failed logins from one address within the window before each further one waits, doubling",
		field: func(s *Settings) any { return &s.LoginFailuresPerAddr }},
	{name: "login-failure-window", arg: "D", kind: kindDuration, usage: "how long a failed login counts",
		field: func(s *Settings) any { return &s.LoginFailureWindow }},

	{name: "default-quota", arg: "SIZE", kind: kindSize, min: 0, max: 1 << 60, usage: "quota of a newly registered user (0: none; the administrator may change it in users.xlsx)",
		field: func(s *Settings) any { return &s.DefaultQuota }},
	{name: "upload-max-age", arg: "D", kind: kindDuration, usage: "remove unfinished uploads untouched this long",
		field: func(s *Settings) any { return &s.UploadMaxAge }},
	{name: "session-ttl", arg: "D", kind: kindDuration, usage: "how long a login lasts",
		field: func(s *Settings) any { return &s.SessionTTL }},
	{name: "argon2-memory", arg: "SIZE", kind: kindSize, min: 8 << 10, max: int64(users.MaxMemoryKiB) << 10, unit: 1 << 10,
		usage: "memory of one argon2id password hash (new hashes; old ones keep theirs)",
		field: func(s *Settings) any { return &s.Argon2Memory }},
	{name: "argon2-time", arg: "N", kind: kindCount, min: 1, max: 16, usage: "passes of one argon2id password hash (new hashes; old ones keep theirs)",
		field: func(s *Settings) any { return &s.Argon2Time }},
	{name: "argon2-concurrency", arg: "N", kind: kindCount, min: 1, max: 1 << 16, also: []int64{0}, note: "0: one per CPU",
		usage: "password hashes computed at once; more wait their turn (0: one per CPU)",
		field: func(s *Settings) any { return &s.Argon2Concurrency }},

	{name: "store", arg: "KIND", kind: kindWord, words: []string{"local", "s3"},
		usage: "where files are kept: local (DATA/files) or s3 (the tree in PostgreSQL, the contents in an S3-compatible bucket)",
		field: func(s *Settings) any { return &s.Store }},
	{name: "pg-url", arg: "URL", kind: kindString, usage: "PostgreSQL of the s3 store (postgres://user@host/db; the password from PGPASSWORD or ~/.pgpass, never here)",
		field: func(s *Settings) any { return &s.PGURL }},
	{name: "s3-endpoint", arg: "URL", kind: kindString, usage: "S3-compatible server of the s3 store (https://host:port)",
		field: func(s *Settings) any { return &s.S3Endpoint }},
	{name: "s3-region", arg: "NAME", kind: kindString, usage: "region of the bucket",
		field: func(s *Settings) any { return &s.S3Region }},
	{name: "s3-bucket", arg: "NAME", kind: kindString, usage: "bucket of the s3 store (it must exist)",
		field: func(s *Settings) any { return &s.S3Bucket }},
	{name: "s3-prefix", arg: "TEXT", kind: kindString, usage: "put before every object key (to share a bucket)",
		field: func(s *Settings) any { return &s.S3Prefix }},
	{name: "s3-credentials", arg: "FILE", kind: kindString, usage: "file with the S3 access key on its first line and the secret on its second (else AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)",
		field: func(s *Settings) any { return &s.S3Credentials }},
	{name: "object-grace", arg: "D", kind: kindDuration, usage: "s3 store: how long a replaced or removed file's objects are kept (downloads under way, restoring a database backup)",
		field: func(s *Settings) any { return &s.ObjectGrace }},
	{name: "s3-capacity", arg: "SIZE", kind: kindSize, min: 0, max: 1 << 62, usage: "s3 store: the most bytes the bucket may hold for netdisk, file versions kept for the grace period included (0: no bound but 5 TiB per file)",
		field: func(s *Settings) any { return &s.S3Capacity }},
}

// byKey finds a setting by its file key.
func byKey(key string) *setting {
	for _, s := range table {
		if s.key() == key {
			return s
		}
	}
	return nil
}
