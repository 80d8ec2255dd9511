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
