// Package config owns the settings of `netdisk serve`: their names, types,
// defaults and checks, and where each value comes from. Every setting is a
// flag (--max-conns-per-user), an environment variable
// (NETDISK_MAX_CONNS_PER_USER) and a key of an optional TOML file
// (max_conns_per_user); a flag wins over the environment, which wins over
// the file, which wins over the default. A bad value or an unknown key is
// an error naming where it was written (file and line, or the variable),
// so a server never starts on a setting it did not understand.
package config
