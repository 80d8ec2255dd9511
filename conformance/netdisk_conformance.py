#!/usr/bin/env python3
"""A netdisk protocol client written from PROTOCOL.md alone, used as a
conformance test of the server.

It is deliberately not Go and shares no code with the server: it speaks
the protocol from the document (frames, messages, digests, pinning) and
checks that the server does what the document says, for every message
type and every error code of section 3, with the connection outcome the
document gives (kept open or closed).

Standard library only; BLAKE3 digests come from Debian's `b3sum`.

Usage: netdisk_conformance.py TARGETS.json

TARGETS.json names the servers to test (see conformance_test.go, which
starts them and answers the CONTROL lines this script prints when a step
needs the server's administrator: disabling an account, setting a quota,
stopping the server). Output: one line per check, "ok - ..." or
"not ok - ..."; "covered code CODE OUTCOME" and "covered type TYPE" lines
say what was exercised. The exit status is 0 only if every check passed.
"""

import base64
import hashlib
import hmac
import json
import os
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import unicodedata

# Section 3: the codes after which the server closes the connection.
CLOSING = {"client_key_required", "client_key_rejected", "tls_required",
           "tls_unexpected", "server_busy", "shutting_down", "timeout"}

MAX_HEADER = 65536
TRAILER = 32

failures = 0
covered_codes = set()
covered_types = set()


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def check(cond, what):
    global failures
    if cond:
        out("ok - " + what)
    else:
        failures += 1
        out("not ok - " + what)
    return cond


class Failure(Exception):
    """A step that cannot go on (its checks after this one make no sense)."""


def must(cond, what):
    if not check(cond, what):
        raise Failure(what)


def expect(cond, what):
    """Like must, but silent when it holds (for checks made on every frame)."""
    if not cond:
        must(cond, what)


def control(op, **args):
    """Asks the harness to act as the server's administrator."""
    args["op"] = op
    out("CONTROL " + json.dumps(args))
    reply = sys.stdin.readline().strip()
    if reply != "OK":
        raise Failure("control %s: %s" % (op, reply))


def blake3(data):
    """BLAKE3-256 of data (32 bytes), from b3sum."""
    p = subprocess.run(["b3sum", "--raw"], input=data, stdout=subprocess.PIPE, check=True)
    if len(p.stdout) != 32:
        raise Failure("b3sum gave %d bytes" % len(p.stdout))
    return p.stdout


def b64(data):
    return base64.b64encode(data).decode("ascii")


def unb64(text):
    return base64.b64decode(text.encode("ascii"), validate=True)


def host_port(addr):
    host, _, port = addr.rpartition(":")
    return host.strip("[]"), int(port)


def fingerprint(der):
    """Section 1: SHA256: + unpadded standard base64 of the DER's SHA-256."""
    return "SHA256:" + b64(hashlib.sha256(der).digest()).rstrip("=")


class Closed(Exception):
    pass


class Conn:
    """One connection: frames out, frames in, request ids."""

    def __init__(self, target, preamble=b"NETDISK2", hello=True, timeout=20):
        self.target = target
        host, port = host_port(target["addr"])
        raw = socket.create_connection((host, port), timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if target.get("fingerprint"):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE  # pinned below instead
            ctx.minimum_version = ssl.TLSVersion.TLSv1_3
            raw = ctx.wrap_socket(raw)
            got = fingerprint(raw.getpeercert(binary_form=True))
            must(got == target["fingerprint"],
                 "the TLS certificate is the pinned one (%s)" % got)
        self.sock = raw
        self.buf = b""
        self.next_id = 1
        self.hello = None
        if preamble:
            self.send_raw(preamble)
        if hello:
            h, _ = self.recv()
            self.hello = h

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send_raw(self, data):
        self.sock.sendall(data)

    def frame(self, header, body=b""):
        if body:
            header = dict(header)
            header["body_len"] = len(body)
        h = json.dumps(header, ensure_ascii=False).encode("utf-8")
        return struct.pack(">I", len(h)) + h + body

    def send(self, header, body=b""):
        covered_types.add(header.get("type"))
        self.send_raw(self.frame(header, body))

    def new_id(self):
        i = self.next_id
        self.next_id += 1
        return i

    def read_exact(self, n):
        while len(self.buf) < n:
            try:
                chunk = self.sock.recv(max(65536, n - len(self.buf)))
            except (ConnectionResetError, ssl.SSLError):
                chunk = b""
            if not chunk:
                raise Closed()
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def recv(self):
        """One frame: (header dict, body bytes)."""
        (n,) = struct.unpack(">I", self.read_exact(4))
        expect(1 <= n <= MAX_HEADER, "a frame header's length is within 1..65536 (%d)" % n)
        header = json.loads(self.read_exact(n).decode("utf-8"))
        expect(isinstance(header, dict) and isinstance(header.get("type"), str),
             "a frame header is a JSON object with a type")
        body_len = header.get("body_len", 0)
        body = self.read_exact(body_len) if body_len else b""
        covered_types.add(header["type"])
        if header["type"] == "error":
            covered_codes.add(header.get("code"))
        return header, body

    def request(self, typ, body=b"", **fields):
        """Sends one request and returns its reply (header, body)."""
        rid = self.send_request(typ, body, **fields)
        return self.reply(rid)

    def send_request(self, typ, body=b"", **fields):
        rid = self.new_id()
        header = {"type": typ, "id": rid}
        header.update(fields)
        self.send(header, body)
        return rid

    def reply(self, rid):
        h, body = self.recv()
        expect(h.get("id") == rid, "the reply carries its request's id (%s: %s)" % (rid, h))
        return h, body

    def listing(self, typ, member, **fields):
        """A listing request (ls, uploads): every frame's entries, and the frames."""
        rid = self.send_request(typ, **fields)
        items, frames = [], 0
        while True:
            h, _ = self.reply(rid)
            if h["type"] == "error":
                return h, items, frames
            frames += 1
            items.extend(h.get(member) or [])
            if not h.get("more"):
                return h, items, frames

    def closed(self, timeout=10):
        """True when the server closes the connection (nothing more is sent)."""
        self.sock.settimeout(timeout)
        try:
            self.read_exact(1)
            return False
        except Closed:
            return True
        except socket.timeout:
            return False


def expect_error(conn, reply, code, what, outcome=None, probe="df"):
    """Checks that reply is the error code, then the connection outcome:
    closed for the codes of section 3 (or outcome="closed"), else open,
    proven by a further request that is answered."""
    h = reply[0] if isinstance(reply, tuple) else reply
    ok = check(h.get("type") == "error" and h.get("code") == code,
               "%s: error %s (got %s %s)" % (what, code, h.get("code"), h.get("message", "")))
    if ok:
        check(isinstance(h.get("message"), str) and h["message"] != "",
              "%s: the %s error says what happened" % (what, code))
    if outcome is None:
        outcome = "closed" if code in CLOSING else "open"
    if outcome == "closed":
        closed = conn.closed()
        check(closed, "%s: the connection is closed after %s" % (what, code))
    else:
        p, _ = conn.request(probe)
        closed = False
        check(p.get("type") != "error" or p.get("code") not in CLOSING,
              "%s: the connection stays usable after %s" % (what, code))
    if ok:
        out("covered code %s %s" % (code, outcome))
    return h


def login(target, user, password):
    c = Conn(target)
    h, _ = c.request("login", user=user, password=password)
    must(h["type"] == "session", "login %s: session (%s)" % (user, h))
    c.token = h["token"]
    return c


def registered(target, user, password):
    c = Conn(target)
    h, _ = c.request("register", user=user, password=password)
    must(h["type"] == "ok", "register %s: ok (%s)" % (user, h))
    c.close()
    return login(target, user, password)


def put_whole(conn, path, data, mtime=None):
    """A put without put_open (offset 0): body = data + BLAKE3 of data."""
    fields = {"path": path, "size": len(data), "offset": 0}
    if mtime:
        fields["mtime"] = mtime
    return conn.request("put", data + blake3(data), **fields)


def send_cut(conn, path, data, n):
    """A put (after put_open) whose body stops after n bytes: the header
    announces the whole file, the connection is left to the caller."""
    header = {"type": "put", "id": conn.new_id(), "path": path, "size": len(data), "offset": 0}
    conn.send_raw(conn.frame(header, data + bytes(TRAILER))[:-(len(data) - n + TRAILER)])
    covered_types.add("put")
    return header["id"]


def get_whole(conn, path):
    h, body = conn.request("get", path=path, offset=0)
    must(h["type"] == "get_data", "get %s: get_data (%s)" % (path, h))
    data, trailer = body[:-TRAILER], body[-TRAILER:]
    must(h["body_len"] == h["size"] - h["offset"] + TRAILER,
         "get %s: body_len = size - offset + 32" % path)
    must(trailer == blake3(data), "get %s: the trailer is the BLAKE3-256 of the file" % path)
    return h, data


# --- section 1: transport and preamble ---------------------------------


def test_preamble(plain, tls):
    c = Conn(plain)
    h = c.hello
    check(h["type"] == "hello" and not h.get("id"), "the server speaks first with hello, no id")
    check(h.get("version") == 2, "hello.version is 2")
    check(len(unb64(h["challenge"])) == 32, "hello.challenge is 32 random bytes in base64")
    check(not h.get("client_key"), "hello.client_key is false on a server without a key")
    check(isinstance(h.get("welcome"), str) and h["welcome"], "hello carries a welcome line")
    c2 = Conn(plain)
    check(c2.hello["challenge"] != h["challenge"], "the challenge is fresh per connection")
    c.close()
    c2.close()

    # A version 1 client: unsupported, naming both versions, then close.
    c = Conn(plain, preamble=b"NETDISK1", hello=False)
    e, _ = c.recv()
    expect_error(c, e, "unsupported", "preamble NETDISK1", outcome="closed")
    check("NETDISK1" in e.get("message", "") and "NETDISK2" in e.get("message", ""),
          "the unsupported-version message names both versions")
    c.close()

    # Anything else: bad_request, then close.
    c = Conn(plain, preamble=b"GET / HT", hello=False)
    e, _ = c.recv()
    expect_error(c, e, "bad_request", "a preamble that is not NETDISK", outcome="closed")
    c.close()

    # A plaintext client at a TLS server: tls_required in plaintext.
    c = Conn(dict(tls, fingerprint=None), hello=False)
    e, _ = c.recv()
    expect_error(c, e, "tls_required", "a plaintext client at a TLS server")
    c.close()

    # A TLS client at a plaintext server: the server sees a ClientHello.
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    tobj = ctx.wrap_bio(incoming, outgoing)
    try:
        tobj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello_bytes = outgoing.read()
    check(hello_bytes[:1] == b"\x16", "a TLS ClientHello starts with 0x16")
    c = Conn(plain, preamble=hello_bytes, hello=False)
    e, _ = c.recv()
    expect_error(c, e, "tls_unexpected", "a TLS client at a plaintext server")
    c.close()


def test_tls(tls):
    c = Conn(tls)  # checks the pinned fingerprint
    check(c.sock.version() == "TLSv1.3", "TLS 1.3 only (%s)" % c.sock.version())
    check(c.hello["type"] == "hello", "hello over TLS")
    h, _ = c.request("register", user="tlsuser", password="tls password 1")
    check(h["type"] == "ok", "register over TLS")
    c.close()
    c = login(tls, "tlsuser", "tls password 1")
    data = os.urandom(300 * 1024)
    h, _ = put_whole(c, "over-tls.bin", data)
    check(h["type"] == "put_done", "put over TLS")
    _, got = get_whole(c, "over-tls.bin")
    check(got == data, "get over TLS returns the bytes put")
    c.close()


# --- section 2: frames -------------------------------------------------


def test_frames(plain):
    # N = 0: malformed; bad_request and close.
    c = Conn(plain)
    c.send_raw(struct.pack(">I", 0))
    e, _ = c.recv()
    expect_error(c, e, "bad_request", "a frame with N = 0", outcome="closed")
    c.close()

    # N over 64 KiB: refused before the header is read.
    c = Conn(plain)
    c.send_raw(struct.pack(">I", MAX_HEADER + 1))
    e, _ = c.recv()
    expect_error(c, e, "bad_request", "a frame with N = 65537", outcome="closed")
    c.close()

    # A header that is not a JSON object.
    for raw, what in ((b"[1,2,3]", "a JSON array"), (b"{not json", "not JSON"),
                      (b'{"id":1}', "no type"),
                      (b'{"type":"ls","id":1,"body_len":-1}', "a negative body_len")):
        c = Conn(plain)
        c.send_raw(struct.pack(">I", len(raw)) + raw)
        e, _ = c.recv()
        expect_error(c, e, "bad_request", "a header with %s" % what, outcome="closed")
        c.close()

    # The document's own example: ls of "photos" with id 3 is 4 + 36 bytes.
    example = b'{"type":"ls","id":3,"path":"photos"}'
    check(len(example) == 36, "section 2's example header is 36 bytes")

    # A header that is not valid UTF-8: bad_path, connection kept.
    c = registered(plain, "frames", "frames password")
    raw = b'{"type":"mkdir","id":7,"path":"bad\xff\xfename"}'
    c.send_raw(struct.pack(">I", len(raw)) + raw)
    e, _ = c.recv()
    check(e.get("id") == 7, "an invalid-UTF-8 header still gets its id back")
    expect_error(c, e, "bad_path", "a header that is not valid UTF-8")
    h, items, _ = c.listing("ls", "entries", path="")
    check(h["type"] == "list" and items == [], "nothing was created from the invalid name")

    # A request without an id: bad_request ("missing id"), kept open.
    c.send({"type": "df"})
    e, _ = c.recv()
    expect_error(c, e, "bad_request", "a request without an id")

    # Unknown members are ignored.
    h, _ = c.request("df", future_member={"x": 1})
    check(h["type"] == "usage", "unknown members are ignored")

    # An unknown message type: unsupported, kept open.
    e, _ = c.request("teleport", path="x")
    expect_error(c, e, "unsupported", "an unknown message type")
    c.close()


# --- section 4.1 and 4.2: connection and accounts ------------------------


def test_client_key(keyed):
    key = unb64(keyed["key"])
    c = Conn(keyed)
    check(c.hello.get("client_key") is True, "hello.client_key is true on a keyed server")
    e, _ = c.request("login", user="nobody", password="whatever pw")
    expect_error(c, e, "client_key_required", "a request before client_key")
    c.close()

    c = Conn(keyed)
    proof = hmac.new(b"\x00" * 32, unb64(c.hello["challenge"]), hashlib.sha256).digest()
    e, _ = c.request("client_key", proof=b64(proof))
    expect_error(c, e, "client_key_rejected", "a wrong client key proof")
    c.close()

    c = Conn(keyed)
    proof = hmac.new(key, unb64(c.hello["challenge"]), hashlib.sha256).digest()
    h, _ = c.request("client_key", proof=b64(proof))
    check(h["type"] == "ok", "the right client key proof: ok")
    h, _ = c.request("register", user="keyed", password="keyed password")
    check(h["type"] == "ok", "after the client key, register works")
    c.close()


def test_accounts(plain):
    c = Conn(plain)
    h, _ = c.request("register", user="Alice", password="alice password")
    check(h["type"] == "ok", "register: ok")
    e, _ = c.request("register", user="alice", password="another password")
    expect_error(c, e, "user_exists", "register a taken name (names are case-insensitive)",
                 probe="auth_token")
    for bad in ("al", "1alice", "al ice", "a" * 33, "álice"):
        e, _ = c.request("register", user=bad, password="a good password")
        expect_error(c, e, "bad_username", "register %r" % bad, probe="auth_token")
    for bad in ("short", "x" * 1025, "nul\x00password"):
        e, _ = c.request("register", user="bob", password=bad)
        expect_error(c, e, "bad_password", "register with password %r" % bad[:12], probe="auth_token")

    e, _ = c.request("ls", path="")
    expect_error(c, e, "not_logged_in", "ls before login", probe="auth_token")
    e, _ = c.request("login", user="alice", password="wrong password")
    expect_error(c, e, "auth_failed", "login with a wrong password", probe="auth_token")
    e, _ = c.request("login", user="nosuchuser", password="wrong password")
    expect_error(c, e, "auth_failed", "login as an unknown user", probe="auth_token")
    e, _ = c.request("auth_token", token="not-a-token")
    expect_error(c, e, "session_expired", "auth_token with an unknown token", probe="auth_token")

    h, _ = c.request("login", user="ALICE", password="alice password")
    must(h["type"] == "session", "login: session")
    check(h.get("user") == "alice", "the session names the user in lower case")
    check(isinstance(h.get("token"), str) and h["token"], "the session carries a token")
    check(h.get("expires", "").endswith("Z") and "T" in h.get("expires", ""),
          "expires is an RFC 3339 time in UTC (%s)" % h.get("expires"))
    token = h["token"]
    e, _ = c.request("login", user="alice", password="alice password")
    expect_error(c, e, "already_logged_in", "login on a logged-in connection")
    e, _ = c.request("auth_token", token=token)
    expect_error(c, e, "already_logged_in", "auth_token on a logged-in connection")

    # A second connection resumes the session with the token.
    c2 = Conn(plain)
    h, _ = c2.request("auth_token", token=token)
    check(h["type"] == "session" and h.get("user") == "alice", "auth_token: session")
    # logout on c2 ends the session everywhere: c gets session_expired once,
    # is logged out by it, and can log in again.
    h, _ = c2.request("logout")
    check(h["type"] == "ok", "logout: ok")
    e, _ = c.request("df")
    expect_error(c, e, "session_expired", "a request on a connection whose session was ended elsewhere",
                 probe="auth_token")
    h, _ = c.request("login", user="alice", password="alice password")
    check(h["type"] == "session", "after session_expired the connection takes a new login")
    c2.close()

    # passwd: wrong old password, a bad new one, then a good change.
    e, _ = c.request("passwd", old_password="wrong password", new_password="alice new password")
    expect_error(c, e, "auth_failed", "passwd with a wrong current password")
    e, _ = c.request("passwd", old_password="alice password", new_password="short")
    expect_error(c, e, "bad_password", "passwd to a password that breaks the rules")
    old_token = h["token"]
    h, _ = c.request("passwd", old_password="alice password", new_password="alice new password")
    check(h["type"] == "session" and h["token"] != old_token, "passwd: a fresh session")
    c3 = Conn(plain)
    e, _ = c3.request("auth_token", token=old_token)
    expect_error(c3, e, "session_expired", "the token from before passwd", probe="auth_token")
    h, _ = c.request("df")
    check(h["type"] == "usage", "the connection that changed the password stays logged in")
    c.close()
    c3.close()

    # Failed logins are rate-limited per user.
    c = Conn(plain)
    c.request("register", user="dave", password="dave password")
    limited = None
    for _ in range(10):
        e, _ = c.request("login", user="dave", password="not dave's password")
        if e.get("code") == "rate_limited":
            limited = e
            break
    check(limited is not None, "repeated failed logins get rate_limited")
    if limited:
        expect_error(c, limited, "rate_limited", "a login after too many failures", probe="auth_token")
        check(isinstance(limited.get("retry_after_ms"), int) and limited["retry_after_ms"] > 0,
              "rate_limited carries retry_after_ms (%s)" % limited.get("retry_after_ms"))
    c.close()

    # A disabled account.
    c = Conn(plain)
    c.request("register", user="carol", password="carol password")
    control("disable", user="carol")
    e, _ = c.request("login", user="carol", password="carol password")
    expect_error(c, e, "account_disabled", "login to a disabled account", probe="auth_token")
    c.close()


# --- section 4.3: files -----------------------------------------------


def test_files(plain):
    c = registered(plain, "erin", "erin password")
    h, _ = c.request("mkdir", path="photos", parents=False)
    check(h["type"] == "ok", "mkdir: ok")
    e, _ = c.request("mkdir", path="photos", parents=False)
    expect_error(c, e, "exists", "mkdir of an existing folder")
    h, _ = c.request("mkdir", path="photos", parents=True)
    check(h["type"] == "ok", "mkdir -p of an existing folder: ok")
    e, _ = c.request("mkdir", path="a/b/c", parents=False)
    expect_error(c, e, "not_found", "mkdir without parents under a missing folder")
    h, _ = c.request("mkdir", path="a/b/c", parents=True)
    check(h["type"] == "ok", "mkdir with parents: ok")

    data = "一二三 hello\n".encode("utf-8")
    mtime = "2025-06-01T12:30:45Z"
    h, _ = put_whole(c, "photos/note.txt", data, mtime=mtime)
    must(h["type"] == "put_done", "put: put_done (%s)" % h)
    check(h.get("size") == len(data), "put_done.size")
    check(unb64(h.get("digest", "")) == blake3(data), "put_done.digest is the BLAKE3-256 in base64")

    h, _ = c.request("stat", path="photos/./note.txt/")
    if h.get("type") == "error":
        # "." components are refused (section 5.2); ask the clean path.
        expect_error(c, h, "bad_path", "stat with a . component")
        h, _ = c.request("stat", path="photos/note.txt")
    check(h["type"] == "entry", "stat: entry")
    ent = h.get("entry", {})
    check(ent.get("name") == "photos/note.txt", "entry.name is the cleaned path (%s)" % ent.get("name"))
    check(ent.get("kind") == "file" and ent.get("size") == len(data), "entry kind and size")
    check(ent.get("mtime", "").startswith("2025-06-01T12:30:45"), "put's mtime became the file's (%s)" % ent.get("mtime"))
    h, _ = c.request("stat", path="")
    check(h["type"] == "entry" and h["entry"]["kind"] == "dir", "stat of the top folder")
    e, _ = c.request("stat", path="photos/missing.txt")
    expect_error(c, e, "not_found", "stat of a missing file")
    e, _ = c.request("stat", path="photos/note.txt/inner")
    expect_error(c, e, "not_dir", "a path through a file")

    h, _ = c.request("hash", path="photos/note.txt")
    check(h["type"] == "digest" and h.get("digest") == blake3(data).hex() and h.get("size") == len(data),
          "hash: the recorded BLAKE3-256 in hexadecimal (%s)" % h)
    e, _ = c.request("hash", path="photos")
    expect_error(c, e, "is_dir", "hash of a folder")

    # A listing of more than 128 entries comes in several list frames;
    # 150 small puts are pipelined without waiting.
    ids = []
    blobs = {}
    for i in range(150):
        blob = ("file %d\n" % i).encode() * (i + 1)
        blobs["many/f%03d" % i] = blob
    c.request("mkdir", path="many", parents=False)
    for path, blob in blobs.items():
        ids.append(c.send_request("put", blob + blake3(blob), path=path, size=len(blob), offset=0))
    done = 0
    pending = set(ids)
    for _ in ids:
        h, _ = c.recv()
        if h["type"] == "put_done" and h.get("id") in pending:
            done += 1
            pending.discard(h["id"])
    check(done == 150, "150 pipelined puts: 150 put_done (%d)" % done)
    h, items, frames = c.listing("ls", "entries", path="many")
    check(h["type"] == "list" and len(items) == 150, "ls: all 150 entries (%d)" % len(items))
    check(frames >= 2, "ls of 150 entries comes in several list frames (%d)" % frames)
    sizes = {("many/" + e["name"]): e["size"] for e in items}
    check(all(sizes.get(p) == len(b) for p, b in blobs.items()), "ls sizes match what was put")
    check(all(e["kind"] == "file" for e in items), "ls kinds")
    e, items, _ = c.listing("ls", "entries", path="nowhere")
    expect_error(c, e, "not_found", "ls of a missing folder")

    h, _ = c.request("df")
    check(h["type"] == "usage", "df: usage")
    for k in ("used", "quota", "entries", "max_entries"):
        check(isinstance(h.get(k), int) and h[k] >= 0, "usage.%s is a count (%s)" % (k, h.get(k)))
    check(h["entries"] >= 154, "usage.entries counts files and folders (%s)" % h.get("entries"))
    check(h["used"] >= sum(len(b) for b in blobs.values()),
          "usage.used counts the files' bytes (%s)" % h.get("used"))

    # mv
    h, _ = c.request("mv", **{"from": "photos/note.txt", "to": "photos/renamed.txt"})
    check(h["type"] == "ok", "mv: ok")
    e, _ = c.request("mv", **{"from": "photos/renamed.txt", "to": "photos/renamed.txt"})
    expect_error(c, e, "exists", "mv onto itself")
    put_whole(c, "other.txt", b"other")
    e, _ = c.request("mv", **{"from": "other.txt", "to": "photos/renamed.txt"})
    expect_error(c, e, "exists", "mv onto an existing file")
    e, _ = c.request("mv", **{"from": "a", "to": "a/b/c/a"})
    expect_error(c, e, "bad_path", "mv of a folder into itself")
    e, _ = c.request("mv", **{"from": "nothing", "to": "something"})
    expect_error(c, e, "not_found", "mv of a missing file")

    # cp
    h, _ = c.request("cp", **{"from": "photos/renamed.txt", "to": "copy.txt"})
    check(h["type"] == "ok", "cp: ok")
    h, _ = c.request("hash", path="copy.txt")
    check(h.get("digest") == blake3(data).hex(), "cp: the copy has its own digest record, the same digest")
    e, _ = c.request("cp", **{"from": "photos", "to": "photos2"})
    expect_error(c, e, "is_dir", "cp of a folder")
    _, got = get_whole(c, "copy.txt")
    check(got == data, "cp: the copy has the bytes")

    # rm
    e, _ = c.request("rm", path="a", recursive=False)
    expect_error(c, e, "not_empty", "rm of a non-empty folder without recursive")
    h, _ = c.request("rm", path="a", recursive=True)
    check(h["type"] == "ok", "rm recursive: ok")
    e, _ = c.request("rm", path="a", recursive=True)
    expect_error(c, e, "not_found", "rm of a missing folder")

    # Section 5.2: refused paths, each bad_path with the connection kept.
    for bad in ("/abs", "../up", "a/../b", "a//b", "back\\slash", "nul\x00", "ctl\x07",
                "bidi\u202ename", "x\u2215y", "\uff0e\uff0e", "n" * 256, ".netdisk",
                "/".join(["d"] * 65)):
        e, _ = c.request("mkdir", path=bad, parents=True)
        expect_error(c, e, "bad_path", "mkdir %r" % bad[:20])
    # A refused put whose body is small is read and dropped (kept open);
    # a body over 1 MiB + 32 is not read and the connection closes.
    e, _ = c.request("put", b"x" * 100 + blake3(b"x" * 100), path="../x", size=100, offset=0)
    expect_error(c, e, "bad_path", "a refused put with a small body")
    big = b"y" * (2 << 20)
    e, _ = c.request("put", big + blake3(big), path="../y", size=len(big), offset=0)
    expect_error(c, e, "bad_path", "a refused put with a body over 1 MiB", outcome="closed")
    c.close()


# --- section 4.4: transfers ---------------------------------------------


def test_transfers(plain):
    c = registered(plain, "frank", "frank password")
    token = c.token
    data = os.urandom(3 << 20)

    # put_open on a new path: offset 0, no prefix digest.
    h, _ = c.request("put_open", path="big.bin", size=len(data), restart=False)
    must(h["type"] == "put_ready", "put_open: put_ready (%s)" % h)
    check(h.get("offset") == 0 and not h.get("prefix_digest"), "a fresh upload starts at 0 with no prefix digest")
    # The body is cut after 1 MiB: the connection drops mid-body.
    send_cut(c, "big.bin", data, 1 << 20)
    time.sleep(0.2)
    c.close()

    # A new connection resumes with the token; put_open reports what is held.
    c = Conn(plain)
    h, _ = c.request("auth_token", token=token)
    must(h["type"] == "session", "auth_token on a new connection: session")
    h, items, _ = c.listing("uploads", "uploads")
    check(h["type"] == "upload_list", "uploads: upload_list")
    mine = [u for u in items if u.get("path") == "big.bin"]
    check(len(mine) == 1 and 0 < mine[0].get("size", 0) <= 1 << 20 and mine[0].get("updated"),
          "uploads lists the interrupted upload with the bytes held and its time (%s)" % items)
    h, _ = c.request("put_open", path="big.bin", size=len(data), restart=False)
    must(h["type"] == "put_ready", "put_open to resume: put_ready (%s)" % h)
    k = h.get("offset", 0)
    check(0 < k <= 1 << 20, "the server holds the bytes received (%d)" % k)
    check(unb64(h.get("prefix_digest", "")) == blake3(data[:k]),
          "prefix_digest is the BLAKE3-256 of the first %d bytes" % k)

    # An offset other than 0 or K is refused before the body (small body: kept).
    e, _ = c.request("put", b"z" * 10 + bytes(32), path="big.bin", size=len(data), offset=k + 10)
    expect_error(c, e, "bad_request", "put at an offset other than 0 or K")
    h, _ = c.request("put_open", path="big.bin", size=len(data), restart=False)
    must(h["type"] == "put_ready" and h.get("offset") == k, "put_open again: the same K")
    h, _ = c.request("put", data[k:] + blake3(data), path="big.bin", size=len(data), offset=k,
                     mtime="2024-01-02T03:04:05Z")
    check(h["type"] == "put_done" and unb64(h.get("digest", "")) == blake3(data),
          "the resumed put: put_done with the whole file's digest")
    _, got = get_whole(c, "big.bin")
    check(got == data, "the resumed file is the file")
    h, items, _ = c.listing("uploads", "uploads")
    check(not [u for u in items if u.get("path") == "big.bin"], "a finished upload leaves the uploads list")

    # restart: K is 0 even when bytes are held.
    c2 = Conn(plain)
    c2.request("auth_token", token=token)
    c2.request("put_open", path="r.bin", size=len(data), restart=False)
    send_cut(c2, "r.bin", data, 1 << 20)
    time.sleep(0.2)
    c2.close()
    h, _ = c.request("put_open", path="r.bin", size=len(data), restart=True)
    check(h["type"] == "put_ready" and h.get("offset") == 0, "put_open with restart: offset 0")
    h, _ = c.request("upload_discard", path="r.bin")
    check(h["type"] == "ok", "upload_discard: ok")
    h, items, _ = c.listing("uploads", "uploads")
    check(not [u for u in items if u.get("path") == "r.bin"], "a discarded upload leaves the uploads list")

    # checksum_mismatch: nothing changes.
    blob = b"the real bytes"
    e, _ = c.request("put", blob + blake3(b"other bytes"), path="mismatch.txt", size=len(blob), offset=0)
    expect_error(c, e, "checksum_mismatch", "a put whose trailer is not the file's digest")
    e, _ = c.request("stat", path="mismatch.txt")
    check(e.get("code") == "not_found", "nothing was stored after checksum_mismatch")

    # get: resume from a prefix, and a prefix that does not match.
    k = 1 << 20
    h, body = c.request("get", path="big.bin", offset=k, prefix_digest=b64(blake3(data[:k])))
    check(h["type"] == "get_data" and h.get("offset") == k and h.get("size") == len(data),
          "get with a matching prefix continues at K")
    check(body[:-TRAILER] == data[k:] and body[-TRAILER:] == blake3(data), "the rest and the whole file's digest")
    check(not h.get("restarted"), "no restarted reason when the prefix matches")
    h, body = c.request("get", path="big.bin", offset=k, prefix_digest=b64(blake3(b"x" * k)))
    check(h["type"] == "get_data" and h.get("offset") == 0 and h.get("restarted"),
          "get with a prefix that does not match restarts at 0 and says why (%s)" % h.get("restarted"))
    check(body[:-TRAILER] == data, "the restarted get sends the whole file")
    h, body = c.request("get", path="big.bin", offset=len(data) + 5, prefix_digest=b64(blake3(b"q")))
    check(h["type"] == "get_data" and h.get("offset") == 0, "get past the end restarts at 0")
    e, _ = c.request("get", path="nothing.bin", offset=0)
    expect_error(c, e, "not_found", "get of a missing file")
    c.request("mkdir", path="folder", parents=False)
    e, _ = c.request("get", path="folder", offset=0)
    expect_error(c, e, "is_dir", "get of a folder")
    e, _ = c.request("put", b"a" + blake3(b"a"), path="folder", size=1, offset=0)
    expect_error(c, e, "is_dir", "put onto a folder")

    # busy: an upload being streamed by another connection cannot be discarded.
    live = Conn(plain)
    live.request("auth_token", token=token)
    h, _ = live.request("put_open", path="live.bin", size=len(data), restart=False)
    live_id = send_cut(live, "live.bin", data, 0)
    answered = threading.Event()

    def stream():
        # A slow sender that keeps sending until the discard is answered.
        sent = 0
        while not answered.is_set() and sent < len(data) // 2:
            live.send_raw(data[sent:sent + 4096])
            sent += 4096
            time.sleep(0.05)
        live.send_raw(data[sent:] + blake3(data))

    sender = threading.Thread(target=stream)
    sender.start()
    time.sleep(0.3)
    try:
        e, _ = c.request("upload_discard", path="live.bin")
    finally:
        answered.set()
        sender.join()
    expect_error(c, e, "busy", "upload_discard of an upload another connection is streaming")
    h, _ = live.reply(live_id)
    check(h["type"] == "put_done", "the streaming upload completes after the refused discard")
    live.close()

    # busy: at most 16 put_open reservations per connection.
    got = []
    for i in range(17):
        h, _ = c.request("put_open", path="res%02d.bin" % i, size=10, restart=False)
        got.append(h)
    check(all(h["type"] == "put_ready" for h in got[:16]), "16 put_open reservations are granted")
    expect_error(c, got[16], "busy", "a 17th put_open reservation")
    c.close()

    # A new name that differs from an existing one only in Unicode form.
    c = login(plain, "frank", "frank password")
    nfd = unicodedata.normalize("NFD", "café.txt")
    control("create_file", user="frank", name=nfd)
    e, _ = put_whole(c, unicodedata.normalize("NFC", "café.txt"), b"nfc")
    expect_error(c, e, "name_collision", "put of a name whose other Unicode form exists")

    # Quota: checked against put_open's size before any body.
    control("quota", user="frank", bytes=len(data) * 2)
    e, _ = c.request("put_open", path="huge.bin", size=len(data) * 3, restart=False)
    expect_error(c, e, "quota_exceeded", "put_open beyond the quota")
    control("quota", user="frank", bytes=0)
    # The disk: more than any disk here holds.
    e, _ = c.request("put_open", path="huge.bin", size=1 << 50, restart=False)
    expect_error(c, e, "no_space", "put_open larger than the server's disk")

    # A server fault (the harness makes a folder read-only under the user's
    # folder): internal, with no details, the connection kept.
    control("readonly", user="frank", name="ro")
    e, _ = c.request("mkdir", path="ro/sub", parents=False)
    expect_error(c, e, "internal", "a server fault")
    check("/" not in e.get("message", "").replace("(logged on the server)", ""),
          "an internal error shows no server path (%s)" % e.get("message"))
    c.close()


# --- section 6: limits and deadlines --------------------------------------


def test_limits(tight):
    # Connections not logged in, per address.
    limit = tight["max_prelogin"]
    held = [Conn(tight) for _ in range(limit)]
    c = Conn(tight, hello=False)
    e, _ = c.recv()
    expect_error(c, e, "server_busy", "one connection more than the per-address limit before login")
    c.close()
    for h in held:
        h.close()
    time.sleep(0.2)

    # The login deadline: an id-0 timeout frame, then close.
    c = Conn(tight)
    e, _ = c.recv()
    check(not e.get("id"), "a deadline's timeout frame has id 0")
    expect_error(c, e, "timeout", "no login before the login deadline")
    c.close()

    # Idle while logged in.
    c = Conn(tight)
    h, _ = c.request("register", user="idler", password="idler password")
    h, _ = c.request("login", user="idler", password="idler password")
    must(h["type"] == "session", "login on the server with short deadlines")
    e, _ = c.recv()
    expect_error(c, e, "timeout", "idle longer than the idle deadline")
    c.close()

    # Shutdown: a connected client is told, then the connection closes.
    c = login(tight, "idler", "idler password")
    control("shutdown")
    e, _ = c.recv()
    expect_error(c, e, "shutting_down", "the server stops")
    c.close()


def main():
    with open(sys.argv[1]) as f:
        targets = json.load(f)
    steps = [
        ("preamble", lambda: test_preamble(targets["plain"], targets["tls"])),
        ("tls", lambda: test_tls(targets["tls"])),
        ("frames", lambda: test_frames(targets["plain"])),
        ("client key", lambda: test_client_key(targets["keyed"])),
        ("accounts", lambda: test_accounts(targets["plain"])),
        ("files", lambda: test_files(targets["plain"])),
        ("transfers", lambda: test_transfers(targets["plain"])),
        ("limits", lambda: test_limits(targets["tight"])),
    ]
    global failures
    for name, step in steps:
        out("# " + name)
        try:
            step()
        except Failure as e:
            out("# %s stopped: %s" % (name, e))
        except Closed:
            failures += 1
            out("not ok - %s: the server closed the connection unexpectedly" % name)
        except Exception as e:  # a bug here or a reply the document does not allow
            failures += 1
            out("not ok - %s: %s: %s" % (name, type(e).__name__, e))
    for code in sorted(covered_codes):
        out("seen code " + code)
    for typ in sorted(t for t in covered_types if t):
        out("covered type " + typ)
    out("# %d failed" % failures)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
