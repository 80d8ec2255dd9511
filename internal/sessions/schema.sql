-- The sessions of netdisk's users, shared by every server on this database.
-- key is the hex SHA-256 of the bearer token; the token is never stored.
CREATE TABLE IF NOT EXISTS netdisk_sessions (
    key       text PRIMARY KEY,
    username  text NOT NULL,
    account   text NOT NULL,
    created   timestamptz NOT NULL,
    expires   timestamptz NOT NULL,
    last_used timestamptz,
    door      text NOT NULL DEFAULT '',
    addr      text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS netdisk_sessions_user ON netdisk_sessions (username, created);
CREATE INDEX IF NOT EXISTS netdisk_sessions_expires ON netdisk_sessions (expires);

-- How many times all of a user's sessions were ended; the row is also what
-- a login and an end of the same user lock against each other.
CREATE TABLE IF NOT EXISTS netdisk_session_ends (
    username text PRIMARY KEY,
    gen      bigint NOT NULL
);

-- Failed logins per key ("u:<user>" or "a:<address>"), counted by every
-- server, so that guesses spread over several servers meet one limit.
CREATE TABLE IF NOT EXISTS netdisk_login_failures (
    key     text PRIMARY KEY,
    count   integer NOT NULL,
    last    timestamptz NOT NULL,
    blocked timestamptz
);
CREATE INDEX IF NOT EXISTS netdisk_login_failures_last ON netdisk_login_failures (last);
