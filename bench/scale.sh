#!/usr/bin/env bash
# Scale benchmark: how far one netdisk server goes, with `netdisk bench` on
# loopback, over TLS, bounded in time.
#
#   (a) BUSY clients at once (default 1,000), each doing login, ls, put and
#       get of a 64 KiB file ROUNDS_EACH times (default 10): every operation
#       must succeed (--fail-errors 0); ops/s and p99 per operation.
#   (b) IDLE logged-in TLS connections held by one server (default 10,000),
#       while one normal client does ls and 1 MiB gets for IDLE_SECONDS:
#       the server's resident memory (VmRSS, and its peak VmHWM) and
#       goroutines (from its metrics), and that client's p99.
#
# Goals (issue 11): (a) no errors; (b) RSS under 256 MiB with 10,000 idle
# connections, the normal client's p99 under 50 ms.
#
# Each part gets a server of its own, started here with the settings a
# load test needs and a production server keeps low: registrations per
# address (--signups-per-hour) and connections per user. The production
# argon2 cost stays. The open-files limit is raised to the hard limit
# (each idle connection is one descriptor in the server and one in bench).
#
#   bench/scale.sh                      # both parts, defaults
#   BUSY=200 IDLE=2000 bench/scale.sh   # a quick look
#   PART=b bench/scale.sh               # only the idle part
#
# Environment: BUSY=1000 ROUNDS_EACH=10 IDLE=10000 IDLE_SECONDS=30 PART=ab
#   IDLE_MIX=ls=1,get=1 (the normal client's operations in part b)
#   ND_BIN=path (default: built here)  WORK=dir (default: new in /tmp; KEEP=1 keeps it)
# Needs: go, python3 (to read bench's JSON).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

BUSY=${BUSY:-1000} ROUNDS_EACH=${ROUNDS_EACH:-10}
IDLE=${IDLE:-10000} IDLE_SECONDS=${IDLE_SECONDS:-30} PART=${PART:-ab} IDLE_MIX=${IDLE_MIX:-ls=1,get=1}
WORK=${WORK:-$(mktemp -d /tmp/netdisk-scale.XXXXXX)}
mkdir -p "$WORK"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  [ "${KEEP:-}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

ulimit -n "$(ulimit -Hn)"
NOFILE=$(ulimit -n)
if [ "$NOFILE" -lt $((IDLE + 2048)) ]; then
  echo "scale.sh: the open-files limit is $NOFILE; $IDLE idle connections need about $((IDLE + 2048)) (raise the hard limit, or lower IDLE)" >&2
  exit 1
fi

ND=${ND_BIN:-}
if [ -z "$ND" ]; then
  ND="$WORK/netdisk"
  go build -o "$ND" ./cmd/netdisk
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_server NAME FLAGS...: a TLS server on loopback; sets SRV_PID,
# SRV_ADDR, SRV_FP, SRV_METRICS.
start_server() {
  local name=$1; shift
  local mport; mport=$(free_port)
  "$ND" serve --data "$WORK/$name-data" --listen 127.0.0.1:0 --http off --log-level warn \
    --metrics "127.0.0.1:$mport" --signups-per-hour 1000000 "$@" \
    > "$WORK/$name.out" 2> "$WORK/$name.log" &
  SRV_PID=$!
  PIDS+=("$SRV_PID")
  for _ in $(seq 200); do grep -q "data folder" "$WORK/$name.out" 2>/dev/null && break; sleep 0.1; done
  SRV_ADDR=$(sed -n 's/.*protocol on \([^ ]*\).*/\1/p' "$WORK/$name.out")
  SRV_FP=$(sed -n 's/.*fingerprint \(SHA256:[^ ]*\).*/\1/p' "$WORK/$name.out")
  SRV_METRICS="127.0.0.1:$mport"
  [ -n "$SRV_ADDR" ] && [ -n "$SRV_FP" ] || { echo "server $name did not start:" >&2; cat "$WORK/$name.out" "$WORK/$name.log" >&2; exit 1; }
}

stop_server() {
  kill "$SRV_PID" 2>/dev/null || true
  wait "$SRV_PID" 2>/dev/null || true
}

status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
goroutines() {
  python3 - "$SRV_METRICS" <<'EOF' 2>/dev/null || echo "?"
import sys, urllib.request
for line in urllib.request.urlopen("http://%s/metrics" % sys.argv[1], timeout=5).read().decode().splitlines():
    if line.startswith("go_goroutines "):
        print(int(float(line.split()[1])))
EOF
}

bench() { # args...: netdisk bench against the current server, JSON kept in $WORK/$BENCH_NAME.json
  NETDISK_CONFIG_DIR="$WORK/cfg" timeout 900 "$ND" bench --server "$SRV_ADDR" --fingerprint "$SRV_FP" --json "$@" \
    > "$WORK/$BENCH_NAME.json" 2> "$WORK/$BENCH_NAME.err"
}

report() { # name: a table of bench's JSON
  python3 - "$WORK/$1.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
ms = lambda us: "%.1f" % (us / 1000)
print("  %d operations in %.1f s: %.0f ops/s, %.1f MB/s, %d errors" % (
    d["ops"], d["seconds"], d["ops_per_s"], d["mb_per_s"], d["errors"]))
if d.get("idle_held"):
    print("  idle connections held: %d (lost during the run: %d, users: %d)" % (d["idle_held"], d.get("idle_lost", 0), d.get("idle_users", 0)))
print("  %-6s %8s %7s %8s %8s %8s %8s %9s %8s" % ("op", "count", "errors", "ops/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms"))
for name, o in sorted(d["operations"].items()):
    l = o["latency_us"]
    print("  %-6s %8d %7d %8.0f %8s %8s %8s %9s %8s" % (name, o["count"], o["errors"], o["ops_per_s"],
          ms(l["p50"]), ms(l["p90"]), ms(l["p99"]), ms(l["p99_9"]), ms(l["max"])))
    for code, n in sorted((o.get("errors_by_code") or {}).items()):
        print("         %s: %d" % (code, n))
EOF
}

status=0
if [[ $PART == *a* ]]; then
  echo "== (a) $BUSY clients, each login, ls, put 64 KiB, get 64 KiB × $ROUNDS_EACH, TLS"
  start_server busy --max-prelogin-per-addr 256
  BENCH_NAME=busy
  if ! bench -c "$BUSY" -n $((BUSY * 4 * ROUNDS_EACH)) --mix login=1,ls=1,put=1,get=1 --size 64KiB \
    --max-prelogin 128 --fail-errors 0; then
    status=1
    echo "  bench failed:" && tail -5 "$WORK/busy.err"
  fi
  [ -s "$WORK/busy.json" ] && report busy
  echo "  server: VmHWM $(( $(status_kib "$SRV_PID" VmHWM) / 1024 )) MiB, goroutines now $(goroutines)"
  stop_server
fi

if [[ $PART == *b* ]]; then
  echo "== (b) $IDLE idle logged-in TLS connections, one client doing ls and get 1 MiB for ${IDLE_SECONDS}s"
  start_server idle --max-conns-per-user 1000 --max-conns $((NOFILE - 1024))
  echo "  server before: VmRSS $(( $(status_kib "$SRV_PID" VmRSS) / 1024 )) MiB, goroutines $(goroutines)"
  BENCH_NAME=idle
  bench -c 1 --idle "$IDLE" --idle-per-user 1000 -d "${IDLE_SECONDS}s" --mix "$IDLE_MIX" --size 1MiB \
    --fail-errors 0 --fail-p99 50ms &
  BENCH_PID=$!
  PIDS+=("$BENCH_PID")
  # Sample the server while the idle connections are held.
  max_rss=0 max_g=0 samples=0
  while kill -0 "$BENCH_PID" 2>/dev/null; do
    rss=$(status_kib "$SRV_PID" VmRSS) g=$(goroutines)
    [ "$rss" -gt "$max_rss" ] && max_rss=$rss
    [[ $g =~ ^[0-9]+$ ]] && [ "$g" -gt "$max_g" ] && max_g=$g
    samples=$((samples + 1))
    sleep 1
  done
  if ! wait "$BENCH_PID"; then
    status=1
    echo "  bench failed (errors, or a p99 over 50 ms):" && tail -5 "$WORK/idle.err"
  fi
  [ -s "$WORK/idle.json" ] && report idle
  echo "  server during: VmRSS at most $((max_rss / 1024)) MiB (peak VmHWM $(( $(status_kib "$SRV_PID" VmHWM) / 1024 )) MiB), goroutines at most $max_g ($samples samples, 1 s apart)"
  stop_server
fi
exit $status
