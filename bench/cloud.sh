#!/usr/bin/env bash
# Cloud-store benchmark: netdisk's transfer throughput with --store s3,
# the tree in a throwaway PostgreSQL and the file contents in SeaweedFS (a
# real distributed object store, `weed mini`: master, volume server, filer
# and S3 gateway in one process), against the local store, in one run on
# loopback. Optional and heavy: not run by CI nor by `go test`.
#
# Servers, all started here, on loopback or Unix sockets only, and stopped
# by their PIDs on exit (Ctrl-C too):
#   PostgreSQL  initdb + postgres as the postgres user, Unix socket only
#               (listen_addresses=''), fsync off, as internal/pgtest does
#   SeaweedFS   weed mini -ip=127.0.0.1 -ip.bind=127.0.0.1, its S3 gateway
#               over http, a bucket and one identity made at its start
#               (-bucket, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY); WebDAV,
#               admin UI, Iceberg, Lance and telemetry off
#   netdisk     two servers of the same binary, both --plaintext (TLS costs
#               the same on either store): local (DATA/files) and s3
#               (--pg-url on that socket, --s3-endpoint the gateway)
# The client is netdisk's CLI (put/get, put -r/get -r), as a user would
# run it; each transfer is checked against its source (cmp, diff -r).
#
# Workloads, each on both stores, every round in alternating store order:
#   big     one BIG file: put, then get
#   small   SMALL_FILES × SMALL_KB KiB files: put -r, then get -r, once for
#           each --parallel in PARALLEL (1: one connection, as
#           bench/transfer.sh; 4: the CLI's default)
# Figures are medians of ROUNDS; s3/local is the ratio of throughput (MB/s
# or files/s) of the s3 store to the local store's in the same row. CPU
# is the seconds each server spent while a command ran (netdisk; for the
# s3 store also weed and PostgreSQL, its backends included), median of the
# rounds: on a 2-core machine it says whose work bounds a figure. Server
# RSS is the netdisk server's peak (VmHWM, reset before each large
# transfer through /proc/PID/clear_refs), the largest of the rounds.
# The bucket keeps every round's objects (--object-grace is 24 h): the
# weed folder grows by ROUNDS × BIG.
#
# SeaweedFS is built from the module pinned in bench/seaweedfs/go.mod (a
# wrapper module: it repeats SeaweedFS's replace directives, which
# `go install …/weed@version` refuses): 4 to 5 minutes and a 160 MB binary
# the first time on the 2-core VM, then cached in
# ${XDG_CACHE_HOME:-~/.cache}/netdisk-bench/ (where Go's build cache also
# is, unless GOCACHE says otherwise). After that a run with the defaults
# takes under 3 minutes.
#
#   bench/cloud.sh                                 # 1 GiB, 1000 × 4 KiB, 3 rounds
#   BIG=64M SMALL_FILES=100 ROUNDS=1 bench/cloud.sh  # a smoke test
#   ND_BIN=/tmp/netdisk-old bench/cloud.sh         # another netdisk binary
#
# Environment:
#   BIG=1G          size of the big file (K, M, G: powers of 1024)
#   SMALL_FILES=1000 SMALL_KB=4 ROUNDS=3
#   PARALLEL="1 4"  the --parallel values of the small-file runs
#   PIN=0           1: client under `taskset -c 0`, every server (netdisk,
#                   weed, postgres) under `taskset -c 1`
#   ND_BIN=path     the netdisk binary (default: built from ./cmd/netdisk)
#   WEED_BIN=path   a weed binary to use instead of the pinned build
#   RUN_TIMEOUT=600 seconds one transfer may take before the run fails
#   WORK=dir        scratch folder (default: a new one in /tmp); KEEP=1 keeps it
#
# Needs: go, bc, PostgreSQL's server binaries (Debian's postgresql
# package, under /usr/lib/postgresql/*/bin; ./test.sh installs it), and to
# run as root (initdb and postgres run as the postgres user).
set -euo pipefail
cd "$(dirname "$0")/.."
BIG=${BIG:-1G}
SMALL_FILES=${SMALL_FILES:-1000}
SMALL_KB=${SMALL_KB:-4}
ROUNDS=${ROUNDS:-3}
PARALLEL=${PARALLEL:-1 4}
PIN=${PIN:-0}
RUN_TIMEOUT=${RUN_TIMEOUT:-600}
ND_BIN=${ND_BIN:-}
WEED_BIN=${WEED_BIN:-}
KEEP=${KEEP:-}
BUCKET=netdisk-bench

BIG_BYTES=$(numfmt --from=iec "${BIG%iB}" 2>/dev/null) || { echo "BIG=$BIG is not a size (e.g. 1G, 64M)" >&2; exit 2; }
[ "$BIG_BYTES" -gt 0 ] || { echo "BIG must be more than 0" >&2; exit 2; }
BIG_LABEL=$(numfmt --to=iec-i --suffix=B "$BIG_BYTES")
[ "$(id -u)" = 0 ] || { echo "run as root: PostgreSQL is started as the postgres user" >&2; exit 2; }
id postgres >/dev/null 2>&1 || { echo "no postgres user: apt-get install postgresql" >&2; exit 2; }
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] ||
  { echo "no PostgreSQL server under /usr/lib/postgresql/*/bin: apt-get install postgresql (./test.sh does)" >&2; exit 2; }
case $PIN in
  0) CPIN=(); SPIN=() ;;
  1) [ "$(nproc)" -ge 2 ] || { echo "PIN=1 needs two CPUs" >&2; exit 2; }
     CPIN=(taskset -c 0); SPIN=(taskset -c 1) ;;
  *) echo "PIN must be 0 or 1" >&2; exit 2 ;;
esac

WORK=${WORK:-$(mktemp -d /tmp/netdisk-cloud.XXXXXX)}
mkdir -p "$WORK"
STARTED=$(date +%s)

# Processes: every server started here, by PID, in the order started;
# stopped in reverse order (netdisk before what it uses). Only these are
# ever signalled. Each runs in a session of its own (setsid, which execs:
# the PID is the server's), so that a Ctrl-C reaches the client and this
# script, and the servers are stopped here in order.
PIDS=()
WEED_SOCKS=() # the Unix sockets weed mini makes in /tmp, named by its ports
cleanup() {
  local i p
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    p=${PIDS[i]}
    # postgres: SIGINT is its fast shutdown; the others take SIGTERM.
    if [ "$p" = "${PG_PID:-}" ]; then kill -INT "$p" 2>/dev/null || true; else kill "$p" 2>/dev/null || true; fi
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  for s in "${WEED_SOCKS[@]}"; do [ -S "$s" ] && rm -f "$s"; done
  if [ -n "$KEEP" ]; then echo "# kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
INTERRUPTED=
trap 'INTERRUPTED=1; exit 130' INT TERM # so that cleanup runs

# ---- binaries ----
echo "# building"
if [ -n "$ND_BIN" ]; then
  ND=$(realpath "$ND_BIN")
  [ -x "$ND" ] || { echo "ND_BIN=$ND_BIN is not an executable" >&2; exit 2; }
else
  go build -o "$WORK/netdisk" ./cmd/netdisk
  ND="$WORK/netdisk"
fi
WEED_VERSION=$(awk '$1 == "github.com/seaweedfs/seaweedfs" { print $2 }' bench/seaweedfs/go.mod)
[ -n "$WEED_VERSION" ] || { echo "no SeaweedFS version in bench/seaweedfs/go.mod" >&2; exit 1; }
if [ -n "$WEED_BIN" ]; then
  WEED=$(realpath "$WEED_BIN")
  [ -x "$WEED" ] || { echo "WEED_BIN=$WEED_BIN is not an executable" >&2; exit 2; }
else
  # Keyed by the pinned version and the wrapper module's exact contents.
  CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/netdisk-bench
  key=$(cat bench/seaweedfs/go.mod bench/seaweedfs/go.sum | sha256sum | cut -c1-12)
  WEED="$CACHE/weed-$WEED_VERSION-$key"
  if [ -x "$WEED" ]; then
    echo "# weed: cached $WEED"
  else
    mkdir -p "$CACHE"
    echo "# weed: building SeaweedFS $WEED_VERSION (bench/seaweedfs; 4 to 5 minutes on 2 cores)"
    t0=$(date +%s)
    (cd bench/seaweedfs && go build -trimpath \
      -ldflags "-s -w -X github.com/seaweedfs/seaweedfs/weed/util/version.COMMIT=${WEED_VERSION##*-}" \
      -o "$WEED.tmp.$$" github.com/seaweedfs/seaweedfs/weed)
    mv "$WEED.tmp.$$" "$WEED"
    echo "# weed: built in $(( $(date +%s) - t0 )) s, $(( $(stat -c %s "$WEED") >> 20 )) MiB: $WEED"
  fi
fi
# bounds every client command; --foreground keeps the client in this
# script's process group, so that a Ctrl-C stops it at once.
TO=(timeout --foreground -k 5 "$RUN_TIMEOUT")
echo "# netdisk: $ND ($(sha256sum "$ND" | cut -c1-12)), $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# SeaweedFS: $("$WEED" version 2>/dev/null | head -n 1) (module $WEED_VERSION)"
echo "# PostgreSQL: $("$PG_BIN/postgres" --version)"

# ---- data ----
echo "# data: one $BIG_LABEL file, ${SMALL_FILES} × ${SMALL_KB} KiB files in $WORK"
head -c "$BIG_BYTES" /dev/urandom > "$WORK/big.bin"
mkdir -p "$WORK/small"
for i in $(seq -w 1 "$SMALL_FILES"); do head -c $((SMALL_KB << 10)) /dev/urandom > "$WORK/small/f$i"; done

# show_logs: the servers' complaints, for a failure and at the end.
show_logs() {
  local f n
  # postgres.log always has its start-up lines: only its complaints count.
  [ ! -s "$WORK/postgres.log" ] ||
    grep -E 'WARNING|ERROR|FATAL|PANIC' "$WORK/postgres.log" > "$WORK/postgres-complaints.log" || true
  for f in local.log s3.log weed.log postgres-complaints.log; do
    [ -s "$WORK/$f" ] || continue
    n=$(wc -l < "$WORK/$f")
    echo "## $f: $n lines; the last ${LOG_LINES:-20}:"
    tail -n "${LOG_LINES:-20}" "$WORK/$f" | cut -c1-400
  done
}
die() {
  sleep 0.2 # a Ctrl-C that stopped the client: let its trap run first
  [ -z "$INTERRUPTED" ] || exit 130
  echo "FAILED: $*" >&2; show_logs >&2; exit 1
}

# free_ports N: the first of N consecutive TCP ports that nothing listens
# on, with the same N ports + 10000 free too (weed's gRPC ports are its
# HTTP ports + 10000), all below Linux's ephemeral range (32768), where an
# outgoing connection could take one before weed binds it.
free_ports() {
  local n=$1 base p ok
  for _ in $(seq 50); do
    base=$((20000 + RANDOM % (12768 - 10000 - n)))
    ok=1
    for ((p = base; p < base + n; p++)); do
      if ss -Htln "( sport = :$p or sport = :$((p + 10000)) )" | grep -q .; then ok=; break; fi
    done
    [ -z "$ok" ] || { echo "$base"; return; }
  done
  echo "no free ports" >&2; return 1
}

# ---- PostgreSQL ----
# postgres runs as its own user: it must be able to pass through WORK.
chmod 711 "$WORK"
PG_DIR="$WORK/pg"; PG_SOCK="$PG_DIR/sock"
mkdir -p "$PG_SOCK"; chown -R postgres: "$PG_DIR"; chmod 700 "$PG_DIR" "$PG_SOCK"
AS_PG=(setpriv --reuid=postgres --regid=postgres --init-groups) # execs, so $! is the server itself
(cd "$PG_DIR" && "${AS_PG[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust --no-sync -E UTF8 --locale=C) \
  > "$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log" >&2; die "initdb"; }
(cd "$PG_DIR" && exec "${SPIN[@]}" setsid "${AS_PG[@]}" "$PG_BIN/postgres" -D "$PG_DIR/data" -k "$PG_SOCK" \
  -c listen_addresses= -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
  -c max_connections=200 -c logging_collector=off) > "$WORK/postgres.log" 2>&1 &
PG_PID=$!; PIDS+=("$PG_PID")
for _ in $(seq 300); do
  "$PG_BIN/pg_isready" -q -h "$PG_SOCK" -U postgres && break
  kill -0 "$PG_PID" 2>/dev/null || die "postgres exited while starting"
  sleep 0.1
done
"$PG_BIN/pg_isready" -q -h "$PG_SOCK" -U postgres || die "postgres not ready after 30 s"
PG_URL="postgres:///postgres?host=$PG_SOCK&user=postgres&sslmode=disable"

# ---- SeaweedFS ----
# Ports: master, volume, filer, S3, WebDAV and admin at BASE..BASE+5, their
# gRPC ports 10000 above. weed mini moves to another port where one is
# taken meanwhile: the S3 port is read back from its welcome below.
WB=$(free_ports 6)
W_MASTER=$WB W_VOLUME=$((WB + 1)) W_FILER=$((WB + 2)) W_S3=$((WB + 3)) W_WEBDAV=$((WB + 4)) W_ADMIN=$((WB + 5))
WEED_SOCKS=("/tmp/seaweedfs-master-grpc-$((W_MASTER + 10000)).sock" "/tmp/seaweedfs-volume-grpc-$((W_VOLUME + 10000)).sock"
  "/tmp/seaweedfs-filer-grpc-$((W_FILER + 10000)).sock" "/tmp/seaweedfs-admin-grpc-$((W_ADMIN + 10000)).sock")
mkdir -p "$WORK/weed"
S3_KEY=netdiskbench S3_SECRET=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n%s\n' "$S3_KEY" "$S3_SECRET" > "$WORK/s3-credentials"; chmod 600 "$WORK/s3-credentials"
AWS_ACCESS_KEY_ID=$S3_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET "${SPIN[@]}" setsid "$WEED" mini \
  -dir="$WORK/weed" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
  -master.port=$W_MASTER -volume.port=$W_VOLUME -filer.port=$W_FILER -s3.port=$W_S3 \
  -webdav=false -webdav.port=$W_WEBDAV -webdav.cacheDir="$WORK/weed" \
  -admin.ui=false -admin.port=$W_ADMIN -admin.port.legacy=0 \
  -s3.port.iceberg=0 -s3.port.lance=0 -master.telemetry=false \
  -filer.localSocket="$WORK/weed/filer.sock" -s3.localSocket="$WORK/weed/s3.sock" \
  -bucket=$BUCKET > "$WORK/weed.out" 2> "$WORK/weed.log" &
WEED_PID=$!; PIDS+=("$WEED_PID")
# Ready once it prints its welcome (after making the bucket), which names
# the S3 port it took.
for _ in $(seq 600); do
  kill -0 "$WEED_PID" 2>/dev/null || { cat "$WORK/weed.out" >&2; die "weed mini exited while starting"; }
  grep -q "S3 Endpoint:" "$WORK/weed.out" && break
  sleep 0.2
done
W_S3=$(sed -n 's|.*S3 Endpoint: *http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$WORK/weed.out")
[ -n "$W_S3" ] || { cat "$WORK/weed.out" >&2; die "weed mini: no S3 endpoint on 127.0.0.1 after 120 s"; }
! grep -q "failed to ensure buckets" "$WORK/weed.log" || die "weed mini did not make bucket $BUCKET"
echo "# weed mini: S3 on http://127.0.0.1:$W_S3, bucket $BUCKET, data in $WORK/weed"

# ---- netdisk servers ----
start_server() { # name flags...
  local name=$1; shift
  "${SPIN[@]}" setsid "$ND" serve --data "$WORK/$name-data" --listen 127.0.0.1:0 --http off --plaintext \
    --log-level warn "$@" > "$WORK/$name.out" 2> "$WORK/$name.log" &
  PIDS+=($!)
  eval "${name}_PID=$!"
  for _ in $(seq 300); do
    grep -q "serving" "$WORK/$name.out" 2>/dev/null && break
    kill -0 "$!" 2>/dev/null || break
    sleep 0.1
  done
  local addr; addr=$(sed -n 's/.*protocol on \([^ ]*\).*/\1/p' "$WORK/$name.out")
  [ -n "$addr" ] || { cat "$WORK/$name.out" >&2; die "netdisk server $name did not start"; }
  eval "${name}_ADDR=$addr"
}
client() { # server-name args...
  local name=$1; shift
  local addr_var="${name}_ADDR"
  NETDISK_CONFIG_DIR="$WORK/$name-cfg" "${TO[@]}" "${CPIN[@]}" "$ND" --server "${!addr_var}" --plaintext -q "$@"
}
start_server local
start_server s3 --store s3 --pg-url "$PG_URL" --s3-endpoint "http://127.0.0.1:$W_S3" --s3-bucket "$BUCKET" \
  --s3-credentials "$WORK/s3-credentials"
STORES=(local s3)
for s in "${STORES[@]}"; do
  echo "bench password" | client $s register --password-stdin bench >/dev/null 2>&1 || true
  echo "bench password" | client $s login --password-stdin bench > "$WORK/login.out" 2>&1 ||
    { cat "$WORK/login.out" >&2; die "cannot log in to the $s server"; }
done
HWM_RESET=
# shellcheck disable=SC2154 # local_PID is set by start_server (eval)
if echo 5 2>/dev/null > "/proc/$local_PID/clear_refs"; then HWM_RESET=1; fi

# ---- measuring ----
declare -A T RSS CPU
record() { T[$1]="${T[$1]:-} $2"; }
now() { date +%s.%N; }
TICK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # utime + stime of one process
# pg_ticks: PostgreSQL's CPU in all: the postmaster, the children it has
# reaped (cutime, cstime) and those alive (backends, background workers).
pg_ticks() {
  local t c
  t=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$PG_PID/stat")
  for c in $(cat "/proc/$PG_PID/task/"*/children 2>/dev/null); do
    t=$((t + $(awk '{ print $14 + $15 }' "/proc/$c/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
secs() { echo "scale=2; $1 / $TICK" | bc | sed 's/^\./0./'; } # clock ticks as seconds
# settle: what the last run wrote reaches the disk before the next timer
# starts (weed's volumes and PostgreSQL's files included).
settle() { sync; sleep "${SETTLE:-1}"; }
# measure key store command...: one timed run; the netdisk server's peak
# RSS, and the CPU of it, of weed and of PostgreSQL are kept too.
measure() {
  local key=$1 store=$2; shift 2
  local pid_var="${store}_PID"; local pid=${!pid_var}
  settle
  [ -z "$HWM_RESET" ] || echo 5 > "/proc/$pid/clear_refs"
  local c0 w0 p0 t0 t1; c0=$(cpu_ticks "$pid"); w0=$(cpu_ticks "$WEED_PID"); p0=$(pg_ticks)
  t0=$(now)
  "$@" > "$WORK/run.out" 2>&1 || { cat "$WORK/run.out" >&2; die "$key on the $store store: $*"; }
  t1=$(now)
  record "${store}_$key" "$(echo "$t1 - $t0" | bc)"
  local kb; kb=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
  [ "${RSS[${store}_$key]:-0}" -ge "$kb" ] || RSS[${store}_$key]=$kb
  CPU[${store}_${key}_nd]="${CPU[${store}_${key}_nd]:-} $(secs $(($(cpu_ticks "$pid") - c0)))"
  CPU[${store}_${key}_weed]="${CPU[${store}_${key}_weed]:-} $(secs $(($(cpu_ticks "$WEED_PID") - w0)))"
  CPU[${store}_${key}_pg]="${CPU[${store}_${key}_pg]:-} $(secs $(($(pg_ticks) - p0)))"
}
run_big() { # store
  local s=$1
  client "$s" rm -f big.bin >/dev/null 2>&1 || true
  rm -f "$WORK/got-big.bin"
  measure put "$s" client "$s" put "$WORK/big.bin" big.bin
  measure get "$s" client "$s" get big.bin "$WORK/got-big.bin"
  cmp "$WORK/big.bin" "$WORK/got-big.bin" || die "$s store: the big file came back different"
  rm -f "$WORK/got-big.bin"
}
run_small() { # store parallel
  local s=$1 p=$2
  client "$s" rm -rf small >/dev/null 2>&1 || true
  rm -rf "$WORK/got-small"; mkdir -p "$WORK/got-small"
  # Trailing slashes: the folder's contents into small, and back.
  measure "small_put_$p" "$s" client "$s" put -r --parallel "$p" "$WORK/small/" small
  measure "small_get_$p" "$s" client "$s" get -r --parallel "$p" small/ "$WORK/got-small"
  diff -rq "$WORK/small" "$WORK/got-small" > "$WORK/diff.out" 2>&1 ||
    { head "$WORK/diff.out" >&2; die "$s store: the small files came back different"; }
  rm -rf "$WORK/got-small"
}
for r in $(seq "$ROUNDS"); do
  # Odd rounds local first, even rounds s3 first.
  order=(local s3); [ $((r % 2)) = 1 ] || order=(s3 local)
  echo "# round $r/$ROUNDS: ${order[*]}"
  for s in "${order[@]}"; do run_big "$s"; done
  for p in $PARALLEL; do
    for s in "${order[@]}"; do run_small "$s" "$p"; done
  done
done

# ---- report ----
median() { tr ' ' '\n' <<<"$1" | awk NF | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
med() { median "${T[$1]:-}"; }
mbs() { echo "scale=1; $BIG_BYTES / $1 / 1000000" | bc | sed 's/^\./0./'; }
fps() { echo "scale=0; $SMALL_FILES / $1" | bc; }
# ratio t-ref t: throughput of t over that of t-ref (time ref / time t).
ratio() { if [ -n "$1" ] && [ -n "$2" ]; then echo "scale=2; $1 / $2" | bc | sed 's/^\./0./'; else echo -; fi; }
mib() { [ -n "${RSS[$1]:-}" ] && echo $(( (RSS[$1] + 1023) / 1024 )) || echo -; }

echo
echo "# $(( $(date +%s) - STARTED )) s in all; load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${SHOW_RUNS:-}" ]; then
  for k in "${!T[@]}"; do echo "# runs $k:${T[$k]}"; done | sort
fi
pinned="unpinned"; [ "$PIN" = 0 ] || pinned="pinned: client on CPU 0, servers on CPU 1"
echo
echo "## one $BIG_LABEL file, netdisk --plaintext over loopback, $pinned"
echo "## (median of $ROUNDS; MB = 10^6 bytes; s3 = PostgreSQL + SeaweedFS S3 gateway)"
printf "%-28s %10s %10s %9s\n" "operation" "local MB/s" "s3 MB/s" "s3/local"
for op in put get; do
  l=$(med "local_$op"); c=$(med "s3_$op")
  printf "%-28s %10s %10s %9s\n" "$op" "$(mbs "$l")" "$(mbs "$c")" "$(ratio "$l" "$c")"
done
echo
echo "## ${SMALL_FILES} × ${SMALL_KB} KiB files, one command each, $pinned (median of $ROUNDS)"
printf "%-28s %10s %10s %9s\n" "operation" "local f/s" "s3 f/s" "s3/local"
for p in $PARALLEL; do
  for op in put get; do
    l=$(med "local_small_${op}_$p"); c=$(med "s3_small_${op}_$p")
    printf "%-28s %10s %10s %9s\n" "$op -r --parallel $p" "$(fps "$l")" "$(fps "$c")" "$(ratio "$l" "$c")"
  done
done
echo
# CPU: what the servers spent while a command ran (weed and PostgreSQL
# serve only the s3 store).
cpu() { local m; m=$(median "${CPU[$1]:-}"); echo "${m:--}"; }
echo "## server CPU seconds during each command (median of $ROUNDS; nd = the netdisk server)"
printf "%-28s %9s %9s %9s %9s\n" "operation" "local nd" "s3 nd" "s3 weed" "s3 pg"
for k in put get $(for p in $PARALLEL; do echo "small_put_$p small_get_$p"; done); do
  case $k in
    put | get) label="$k $BIG_LABEL" ;;
    small_*) p=${k##*_}; op=${k#small_}; label="${op%_*} -r --parallel $p" ;;
  esac
  printf "%-28s %9s %9s %9s %9s\n" "$label" "$(cpu "local_${k}_nd")" "$(cpu "s3_${k}_nd")" "$(cpu "s3_${k}_weed")" "$(cpu "s3_${k}_pg")"
done
echo
if [ -n "$HWM_RESET" ]; then
  echo "## netdisk server peak RSS during the $BIG_LABEL transfers (MiB, max of $ROUNDS)"
else
  echo "## netdisk server peak RSS since it started, after each $BIG_LABEL transfer (MiB, max of $ROUNDS; VmHWM could not be reset)"
fi
printf "%-28s %9s %9s\n" "store" "put" "get"
for s in "${STORES[@]}"; do printf "%-28s %9s %9s\n" "$s" "$(mib "${s}_put")" "$(mib "${s}_get")"; done
echo "# weed mini peak RSS: $(( ($(awk '/VmHWM/ { print $2 }' "/proc/$WEED_PID/status") + 1023) / 1024 )) MiB; its data folder: $(du -sh "$WORK/weed" | cut -f1)"
echo
# Anything the servers logged at warn or above (netdisk), and weed's
# standard error (mini keeps only warnings and errors there).
LOG_LINES=${LOG_LINES:-10} show_logs | grep . || echo "## no server logged anything at warn or above"
