-- The metadata of the cloud store (see doc.go). Every statement can run
-- again on an existing database: a server creates what is missing at start.

-- One row per user's folder. A retired folder keeps its row under a name
-- no user can have.
CREATE TABLE IF NOT EXISTS netdisk_spaces (
	id      bigserial PRIMARY KEY,
	owner   text NOT NULL UNIQUE,
	root    bigint,
	created timestamptz NOT NULL DEFAULT now()
);

-- The tree: one row per file or folder. The top folder of a space has no
-- parent. Names compare and sort byte by byte.
CREATE TABLE IF NOT EXISTS netdisk_nodes (
	id     bigserial PRIMARY KEY,
	space  bigint NOT NULL REFERENCES netdisk_spaces (id),
	parent bigint REFERENCES netdisk_nodes (id),
	name   text COLLATE "C" NOT NULL,
	dir    boolean NOT NULL,
	size   bigint NOT NULL DEFAULT 0,
	mtime  timestamptz NOT NULL,
	blob   bigint,
	record bytea,
	UNIQUE (parent, name)
);
CREATE INDEX IF NOT EXISTS netdisk_nodes_space ON netdisk_nodes (space);

-- The contents of one file version, or of one unfinished upload. kind is
-- 'upload' while it is written, 'file' once a node points to it, and
-- 'dropped' when nothing may read it after purge_after (the sweep then
-- removes its objects and the row).
CREATE TABLE IF NOT EXISTS netdisk_blobs (
	id          bigserial PRIMARY KEY,
	space       bigint NOT NULL,
	kind        text NOT NULL,
	target      text COLLATE "C",
	resumable   boolean NOT NULL DEFAULT false,
	size        bigint NOT NULL DEFAULT 0,
	updated     timestamptz NOT NULL DEFAULT now(),
	state       bytea,
	state_size  bigint,
	holder      text,
	held_until  timestamptz,
	purge_after timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS netdisk_blobs_resumable ON netdisk_blobs (space, target)
	WHERE kind = 'upload' AND resumable;
CREATE INDEX IF NOT EXISTS netdisk_blobs_dropped ON netdisk_blobs (purge_after) WHERE kind = 'dropped';

-- The objects that hold a blob's bytes, in order: the chunk at off holds
-- bytes [off, off+size) of it.
CREATE TABLE IF NOT EXISTS netdisk_chunks (
	blob bigint NOT NULL REFERENCES netdisk_blobs (id) ON DELETE CASCADE,
	off  bigint NOT NULL,
	size bigint NOT NULL,
	key  text NOT NULL,
	PRIMARY KEY (blob, off)
);

-- Objects being written: recorded before the PUT and removed with the
-- chunk row that takes them, so an object a crash left behind is found
-- and removed by the sweep without listing the bucket.
CREATE TABLE IF NOT EXISTS netdisk_pending (
	key   text PRIMARY KEY,
	since timestamptz NOT NULL DEFAULT now()
);

-- Promises of room to uploads and new folders under way, on any server:
-- a quota is checked against the folder's usage plus every live promise
-- (less what an upload has stored since it was promised, which usage
-- counts already),
-- under the lock on the user's row of netdisk_spaces, so servers sharing
-- the database never promise the same room twice. A promise lapses when
-- its server stops renewing it (it died).
CREATE TABLE IF NOT EXISTS netdisk_reservations (
	id         bigserial PRIMARY KEY,
	space      bigint NOT NULL,
	bytes      bigint NOT NULL,
	entries    bigint NOT NULL,
	blob       bigint,          -- the upload the promise is for, if any
	base       bigint NOT NULL, -- the bytes that upload had stored when promised
	holder     text NOT NULL,
	held_until timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS netdisk_reservations_space ON netdisk_reservations (space);
