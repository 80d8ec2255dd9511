#!/usr/bin/env bash
# Transfer benchmark: every contender in one run, on loopback, for one large
# file (SIZE_MB, up and down) and for many small files in one session.
#
# Contenders:
#   bare TCP copy        bench/tcpcopy: sendfile → splice, writeback started
#                        every 8 MiB, fsync at the end; no protocol, no hash.
#                        The limit for moving the bytes at all.
#   verified bare copy   bench/tcpcopy -verify: the same file, every byte
#                        hashed with BLAKE3-256 (netdisk's digest) on both
#                        sides, hashing overlapped with the I/O on a second
#                        goroutine, the digests compared. The limit for a
#                        verified transfer, which is what netdisk does.
#                        (Zero copy with the hash reading the page cache
#                        back when it has two cores, read → hash → write
#                        when pinned to one: the faster of the two in each
#                        case, see bench/tcpcopy/verify.go.)
#   netdisk --plaintext  netdisk put/get without TLS (ND_BIN, or built here)
#   netdisk TLS          netdisk put/get over TLS
#   sftp                 OpenSSH sftp, aes128-gcm (if sshd and sftp exist)
# Small files: SMALL_FILES × SMALL_KB KiB with `put -r` in one session
# (netdisk with --parallel 1), against sftp `put -r`.
#
# Ratios are of throughput (MB/s of the row ÷ MB/s of the reference, in
# the same direction and the same table), each figure the median of ROUNDS:
#   /verified  to the verified bare copy; goal for netdisk --plaintext
#              put and get: ≥ 0.85
#   /bare      to the bare copy without hashing, for scale
#   /sftp      to sftp; goal for netdisk TLS put and get: ≥ 1.25, and for
#              the small files (files/s): ≥ 4
# Server RSS is the netdisk server's peak resident memory (VmHWM, reset
# before each large transfer through /proc/PID/clear_refs), the largest of
# the rounds; goal: < 32 MiB during a 1 GiB transfer.
#
# Each round runs every contender twice (PIN=both): unpinned, and pinned
# with the client side under `taskset -c 0` and the server side under
# `taskset -c 1` (netdisk serve; sshd and its sftp server; the tcpcopy
# receiver on upload and sender on download), which is closer to two
# machines than two processes sharing two cores. Within a round the two
# tables and the contenders take turns in alternating order; before each
# timed run the previous outputs are deleted and synced and memory is
# touched (tcpcopy warm), outside the timer; the tcpcopy server side is
# listening before the timer starts, as the netdisk servers are. About two
# minutes a round for the defaults on the 2-core VM (6 minutes in all).
#
#   bench/transfer.sh                            # 1 GiB, 1000 × 4 KiB, 3 rounds, both tables
#   SIZE_MB=64 ROUNDS=1 PIN=0 bench/transfer.sh  # a quick look, unpinned only
#   ND_BIN=/tmp/netdisk-old bench/transfer.sh    # another netdisk binary, same conditions
#
# Environment:
#   SIZE_MB=1024 SMALL_FILES=1000 SMALL_KB=4 ROUNDS=3
#   PIN=both        both tables; 0: unpinned only; 1: pinned only
#   ND_BIN=path     the netdisk binary to measure (default: built from ./cmd/netdisk)
#   TC_VARIANT=auto tcpcopy -variant of the verified copy: auto, rw or zc
#   RUN_TIMEOUT=600 seconds one transfer may take before the run fails
#   ONLY="..."      only these contenders (names as in CONTENDERS below)
#   WORK=dir        scratch folder (default: a new one in /tmp); KEEP=1 keeps it
#
# Needs: go, bc, taskset. Optional: sshd + sftp (apt-get install openssh-server).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${SIZE_MB:-1024}
SMALL_FILES=${SMALL_FILES:-1000}
SMALL_KB=${SMALL_KB:-4}
ROUNDS=${ROUNDS:-3}
PIN=${PIN:-both}
TC_VARIANT=${TC_VARIANT:-auto}
RUN_TIMEOUT=${RUN_TIMEOUT:-600}
ND_BIN=${ND_BIN:-}
ONLY=${ONLY:-}
KEEP=${KEEP:-}
case $PIN in
  both) MODES=(u p) ;;
  0) MODES=(u) ;;
  1) MODES=(p) ;;
  *) echo "PIN must be both, 0 or 1" >&2; exit 2 ;;
esac
if [ "$PIN" != 0 ] && [ "$(nproc)" -lt 2 ]; then
  echo "pinning needs two CPUs; run with PIN=0" >&2; exit 2
fi
declare -A MODE_NAME=([u]="unpinned" [p]="pinned: client on CPU 0, server on CPU 1")
WORK=${WORK:-$(mktemp -d /tmp/netdisk-bench.XXXXXX)}
STARTED=$(date +%s)

# Processes: PIDS are the long-running servers, BG the one transient
# tcpcopy peer of the run in progress. Only these are ever killed.
PIDS=()
BG=
cleanup() {
  [ -z "$BG" ] || kill "$BG" 2>/dev/null || true
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "$KEEP" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM # so that cleanup runs

echo "# building"
if [ -n "$ND_BIN" ]; then
  ND=$(realpath "$ND_BIN")
  [ -x "$ND" ] || { echo "ND_BIN=$ND_BIN is not an executable" >&2; exit 2; }
else
  go build -o "$WORK/netdisk" ./cmd/netdisk
  ND="$WORK/netdisk"
fi
go build -o "$WORK/tcpcopy" ./bench/tcpcopy
TC="$WORK/tcpcopy"
TO=(timeout -k 5 "$RUN_TIMEOUT") # bounds every client command
echo "# netdisk: $ND ($(sha256sum "$ND" | cut -c1-12)), $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "# verified bare copy: tcpcopy -verify -variant $TC_VARIANT (auto: rw on one CPU, zc on two; see bench/tcpcopy/verify.go)"
echo "# data: ${SIZE_MB} MiB file, ${SMALL_FILES} × ${SMALL_KB} KiB files in $WORK"
head -c $((SIZE_MB << 20)) /dev/urandom > "$WORK/big.bin"
mkdir -p "$WORK/small"
for i in $(seq -w 1 "$SMALL_FILES"); do head -c $((SMALL_KB << 10)) /dev/urandom > "$WORK/small/f$i"; done
WARM=$(( (SIZE_MB + 512) << 20 ))

now() { date +%s.%N; }
warm() { "$TC" warm -size "$WARM"; sync; }

# set_mode u|p chooses the table: the CPUs of the client side (CPIN) and
# of the server side (SPIN) for what runs next.
set_mode() {
  MODE=$1
  if [ "$MODE" = p ]; then CPIN=(taskset -c 0); SPIN=(taskset -c 1); else CPIN=(); SPIN=(); fi
}

start_server() { # name flags...  (in the current mode; taskset execs, so $! is the server)
  local name=$1; shift
  "${SPIN[@]}" "$ND" serve --data "$WORK/$name-data" --listen 127.0.0.1:0 --http off --log-level warn "$@" \
    > "$WORK/$name.out" 2> "$WORK/$name.log" &
  PIDS+=($!)
  eval "${name}_PID=$!"
  for _ in $(seq 100); do grep -q "serving" "$WORK/$name.out" 2>/dev/null && break; sleep 0.1; done
  local addr; addr=$(sed -n 's/.*protocol on \([^ ]*\).*/\1/p' "$WORK/$name.out")
  [ -n "$addr" ] || { echo "server $name did not start:" >&2; cat "$WORK/$name.out" "$WORK/$name.log" >&2; exit 1; }
  eval "${name}_ADDR=$addr"
}
client() { # server-name args...  (the client side of the current mode)
  local name=$1; shift
  local addr_var="${name}_ADDR"
  local flags=(--server "${!addr_var}" -q)
  case $name in plain*) flags+=(--plaintext) ;; esac
  NETDISK_CONFIG_DIR="$WORK/$name-cfg" "${TO[@]}" "${CPIN[@]}" "$ND" "${flags[@]}" "$@"
}
for m in "${MODES[@]}"; do
  set_mode "$m"
  start_server "plain_$m" --plaintext
  start_server "tls_$m"
  for s in "plain_$m" "tls_$m"; do
    echo "bench password" | client $s register --password-stdin bench >/dev/null 2>&1 || true
    echo "bench password" | client $s login --password-stdin bench >/dev/null 2>&1 ||
      { echo "cannot log in to server $s" >&2; cat "$WORK/$s.log" >&2; exit 1; }
  done
done
# The peak RSS of a large transfer alone needs VmHWM reset before it.
HWM_RESET=
set_mode "${MODES[0]}"
pid_var="plain_${MODES[0]}_PID"
if echo 5 2>/dev/null > "/proc/${!pid_var}/clear_refs"; then HWM_RESET=1; fi

sftp_run() { # sftp batch on stdin, to the current mode's sshd
  local port_var="SSH_PORT_$MODE"
  "${TO[@]}" "${CPIN[@]}" sftp -q -b - -P "${!port_var}" -i "$WORK/ssh/user" -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o Ciphers=aes128-gcm@openssh.com -o BatchMode=yes "$(whoami)@127.0.0.1"
}
HAVE_SFTP=
if command -v sshd >/dev/null && command -v sftp >/dev/null; then
  mkdir -p "$WORK/ssh" "$WORK/sftp-remote"
  ssh-keygen -q -t ed25519 -N '' -f "$WORK/ssh/host" && ssh-keygen -q -t ed25519 -N '' -f "$WORK/ssh/user"
  cat "$WORK/ssh/user.pub" > "$WORK/ssh/authorized_keys"; chmod 600 "$WORK/ssh/authorized_keys"
  [ -d /run/sshd ] || mkdir -p /run/sshd 2>/dev/null || true # sshd's privilege separation folder
  HAVE_SFTP=1
  for m in "${MODES[@]}"; do
    set_mode "$m"
    port=$((20000 + RANDOM % 20000))
    # One sshd per mode: its per-connection children inherit its CPUs.
    "${SPIN[@]}" "$(command -v sshd)" -D -e -f /dev/null -p "$port" -h "$WORK/ssh/host" -o ListenAddress=127.0.0.1 \
      -o AuthorizedKeysFile="$WORK/ssh/authorized_keys" -o StrictModes=no -o PasswordAuthentication=no \
      -o Ciphers=aes128-gcm@openssh.com -o Subsystem="sftp internal-sftp" -o PidFile=none 2>"$WORK/sshd-$m.log" &
    PIDS+=($!)
    eval "SSH_PORT_$m=$port"
    ok=
    for _ in $(seq 20); do
      sleep 0.25
      if echo "pwd" | sftp_run >/dev/null 2>&1; then ok=1; break; fi
    done
    [ -n "$ok" ] || HAVE_SFTP=
  done
  [ -n "$HAVE_SFTP" ] || echo "# sshd did not answer (see $WORK/sshd-*.log); no sftp figures"
fi

declare -A T RSS
record() { T[$1]="${T[$1]:-} $2"; }
# Deleting a 1 GiB file costs seconds on a disk mounted with 'discard', so
# every run's old output is removed (and synced) before its timer starts.
clear_outputs() {
  local m s # (bash functions share their callers' variables otherwise)
  rm -f "$WORK/bare.out" "$WORK"/got-*.bin
  rm -rf "$WORK/sftp-remote/big.bin" "$WORK/sftp-remote/small"
  for m in "${MODES[@]}"; do
    for s in "plain_$m" "tls_$m"; do
      # One at a time: rm stops at a missing one (no big.bin when only the
      # small files run), and a small/ left behind makes put -r skip it all.
      for f in big.bin small; do client $s rm -r "$f" >/dev/null 2>&1 || true; done
    done
  done
  sync; sleep ${SETTLE:-1} # let the file system finish discarding what was deleted
}
# measure key server-pid command...: one timed run in the current mode,
# after whatever setup the caller did since clear_outputs. With a server
# pid (else -), its peak RSS during the run is kept too.
measure() {
  local key="${MODE}_$1" pid=$2; shift 2
  warm
  [ "$pid" = - ] || [ -z "$HWM_RESET" ] || echo 5 > "/proc/$pid/clear_refs"
  local t0 t1; t0=$(now)
  "$@" >/dev/null
  t1=$(now)
  record "$key" "$(echo "$t1 - $t0" | bc)"
  if [ "$pid" != - ]; then
    local kb; kb=$(awk '/VmHWM/{print $2}' "/proc/$pid/status")
    [ "${RSS[$key]:-0}" -ge "$kb" ] || RSS[$key]=$kb
  fi
}

# tc_listen tcpcopy-args...: start the server side of a bare copy (the
# receiver on upload, the sender on download) and wait until it listens,
# before the timer starts, as a netdisk server is already running.
# tc_connect tcpcopy-args...: the client side, then wait for the server
# side to finish. tcpcopy bounds itself (-timeout).
tc_listen() {
  rm -f "$WORK/tc.addr"
  "${SPIN[@]}" "$TC" "$@" -timeout "${RUN_TIMEOUT}s" > "$WORK/tc.addr" &
  BG=$!
  for _ in $(seq 500); do [ -s "$WORK/tc.addr" ] && return; sleep 0.01; done
  echo "tcpcopy $1 did not start listening" >&2; return 1
}
tc_connect() {
  "${CPIN[@]}" "$TC" "$@" -timeout "${RUN_TIMEOUT}s" -addr "$(cat "$WORK/tc.addr")" 2>/dev/null
  wait "$BG"; BG=
}
VERIFY=(-verify -variant "$TC_VARIANT")

# The contenders of one table, each a complete run: clear, set up, measure,
# check. The get runs need the file on the server first (untimed).
run_bare_up() {
  clear_outputs
  tc_listen recv -out "$WORK/bare.out"
  measure bare_up - tc_connect send -in "$WORK/big.bin"
  cmp "$WORK/big.bin" "$WORK/bare.out"
}
run_vbare_up() {
  clear_outputs
  tc_listen recv "${VERIFY[@]}" -out "$WORK/bare.out"
  measure vbare_up - tc_connect send "${VERIFY[@]}" -in "$WORK/big.bin"
  cmp "$WORK/big.bin" "$WORK/bare.out"
}
run_nd_put() { # plain|tls
  local s="$1_$MODE" pid_var="$1_${MODE}_PID"
  clear_outputs; measure "$1_put" "${!pid_var}" client "$s" put "$WORK/big.bin" big.bin
}
run_plain_put() { run_nd_put plain; }
run_tls_put() { run_nd_put tls; }
sftp_put() { echo "put $WORK/big.bin $WORK/sftp-remote/big.bin" | sftp_run; }
sftp_get() { echo "get $WORK/sftp-remote/big.bin $WORK/got-sftp.bin" | sftp_run; }
sftp_small() { echo "put -r $WORK/small $WORK/sftp-remote/small" | sftp_run; }
run_sftp_put() { clear_outputs; measure sftp_put - sftp_put; }
run_bare_down() {
  clear_outputs
  tc_listen serve-file -in "$WORK/big.bin"
  measure bare_down - tc_connect fetch -out "$WORK/bare.out"
  cmp "$WORK/big.bin" "$WORK/bare.out"
}
run_vbare_down() {
  clear_outputs
  tc_listen serve-file "${VERIFY[@]}" -in "$WORK/big.bin"
  measure vbare_down - tc_connect fetch "${VERIFY[@]}" -out "$WORK/bare.out"
  cmp "$WORK/big.bin" "$WORK/bare.out"
}
run_nd_get() { # plain|tls
  local s="$1_$MODE" pid_var="$1_${MODE}_PID"
  clear_outputs
  client "$s" put "$WORK/big.bin" big.bin
  measure "$1_get" "${!pid_var}" client "$s" get big.bin "$WORK/got-$s.bin"
  cmp "$WORK/big.bin" "$WORK/got-$s.bin"
}
run_plain_get() { run_nd_get plain; }
run_tls_get() { run_nd_get tls; }
run_sftp_get() {
  clear_outputs
  cp "$WORK/big.bin" "$WORK/sftp-remote/big.bin"
  measure sftp_get - sftp_get
  cmp "$WORK/big.bin" "$WORK/got-sftp.bin"
}
run_plain_small() { clear_outputs; measure plain_small - client "plain_$MODE" put -r --parallel 1 "$WORK/small" small; }
run_tls_small() { clear_outputs; measure tls_small - client "tls_$MODE" put -r --parallel 1 "$WORK/small" small; }
run_sftp_small() { clear_outputs; measure sftp_small - sftp_small; }

CONTENDERS=(bare_up vbare_up plain_put tls_put sftp_put bare_down vbare_down plain_get tls_get sftp_get
  plain_small tls_small sftp_small)
for r in $(seq "$ROUNDS"); do
  # Odd rounds go forward, even rounds backward: a contender's place in
  # the round (what ran just before it) is not the same every time.
  modes=("${MODES[@]}"); order=("${CONTENDERS[@]}")
  if [ $((r % 2)) = 0 ]; then
    modes=(); for ((i = ${#MODES[@]} - 1; i >= 0; i--)); do modes+=("${MODES[i]}"); done
    order=(); for ((i = ${#CONTENDERS[@]} - 1; i >= 0; i--)); do order+=("${CONTENDERS[i]}"); done
  fi
  for m in "${modes[@]}"; do
    set_mode "$m"
    echo "# round $r/$ROUNDS, ${MODE_NAME[$m]}"
    for c in "${order[@]}"; do
      case $c in sftp_*) [ -n "$HAVE_SFTP" ] || continue ;; esac
      [ -z "$ONLY" ] || [[ " $ONLY " == *" $c "* ]] || continue
      "run_$c"
    done
  done
done

median() { tr ' ' '\n' <<<"$1" | awk NF | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
med() { median "${T[$1]:-}"; } # empty when that contender did not run
mbs() { echo "scale=0; $SIZE_MB * 1048576 / $1 / 1000000" | bc; }
fps() { echo "scale=0; $SMALL_FILES / $1" | bc; }
# ratio t-ref t: throughput of t over that of t-ref, or - without both.
ratio() { if [ -n "$1" ] && [ -n "$2" ]; then echo "scale=2; $1 / $2" | bc | sed 's/^\./0./'; else echo -; fi; }
verdict() { # value goal above|below
  if [ "$1" = - ]; then echo "-"; elif [ "$(echo "$1 $3 $2" | sed 's/above/>=/; s/below/</' | bc)" = 1 ]; then echo "met"; else echo "MISSED"; fi
}
mib() { [ -n "${RSS[$1]:-}" ] && echo $(( (RSS[$1] + 1023) / 1024 )) || echo -; }

echo
echo "# $(( $(date +%s) - STARTED )) s in all; load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${SHOW_RUNS:-}" ]; then # every run's seconds, in the order they ran
  for k in "${!T[@]}"; do echo "# runs $k:${T[$k]}"; done | sort
fi
for m in "${MODES[@]}"; do
  echo
  echo "## ${SIZE_MB} MiB file over loopback, ${MODE_NAME[$m]}"
  echo "## (median of $ROUNDS; MB = 10^6 bytes; ratios of MB/s in the same direction)"
  printf "%-30s %8s %10s %8s %8s\n" "contender" "MB/s" "/verified" "/bare" "/sftp"
  for dir in up down; do
    if [ $dir = up ]; then keys=(bare_up vbare_up plain_put tls_put sftp_put); sf=sftp_put
    else keys=(bare_down vbare_down plain_get tls_get sftp_get); sf=sftp_get; fi
    v=$(med "${m}_vbare_$dir"); b=$(med "${m}_bare_$dir"); s=$(med "${m}_$sf")
    for k in "${keys[@]}"; do
      t=$(med "${m}_$k")
      [ -n "$t" ] || continue
      case $k in
        bare_*) label="bare TCP copy, $dir" ;;
        vbare_*) label="verified bare copy, $dir" ;;
        plain_*) label="netdisk --plaintext ${k#plain_}" ;;
        tls_*) label="netdisk TLS ${k#tls_}" ;;
        sftp_*) label="sftp ${k#sftp_} (aes128-gcm)" ;;
      esac
      printf "%-30s %8s %10s %8s %8s\n" "$label" "$(mbs "$t")" "$(ratio "$v" "$t")" "$(ratio "$b" "$t")" "$(ratio "$s" "$t")"
    done
  done
  echo
  echo "## ${SMALL_FILES} × ${SMALL_KB} KiB files, one session, ${MODE_NAME[$m]} (median of $ROUNDS)"
  printf "%-30s %8s %10s\n" "contender" "files/s" "/sftp"
  s=$(med "${m}_sftp_small")
  for k in plain tls sftp; do
    t=$(med "${m}_${k}_small")
    [ -n "$t" ] || continue
    case $k in plain) label="netdisk --plaintext put -r" ;; tls) label="netdisk TLS put -r" ;; sftp) label="sftp put -r" ;; esac
    printf "%-30s %8s %10s\n" "$label" "$(fps "$t")" "$(ratio "$s" "$t")"
  done
  echo
  if [ -n "$HWM_RESET" ]; then
    echo "## netdisk server peak RSS during the ${SIZE_MB} MiB transfers, ${MODE_NAME[$m]} (MiB, max of $ROUNDS)"
  else
    echo "## netdisk server peak RSS since it started, after each ${SIZE_MB} MiB transfer (MiB, max of $ROUNDS; VmHWM could not be reset)"
  fi
  printf "%-30s %8s %8s\n" "server" "put" "get"
  printf "%-30s %8s %8s\n" "netdisk --plaintext" "$(mib "${m}_plain_put")" "$(mib "${m}_plain_get")"
  printf "%-30s %8s %8s\n" "netdisk TLS" "$(mib "${m}_tls_put")" "$(mib "${m}_tls_get")"
  echo
  echo "## goals, ${MODE_NAME[$m]}"
  goal() { printf "%-54s %6s  %s\n" "$1" "$2" "$(verdict "$2" "$3" "$4")"; }
  for dir in up down; do
    op=put; [ $dir = up ] || op=get
    v=$(med "${m}_vbare_$dir"); s=$(med "${m}_sftp_$op")
    goal "netdisk --plaintext $op >= 0.85 x verified bare copy" "$(ratio "$v" "$(med "${m}_plain_$op")")" 0.85 above
    goal "netdisk TLS $op >= 1.25 x sftp" "$(ratio "$s" "$(med "${m}_tls_$op")")" 1.25 above
  done
  s=$(med "${m}_sftp_small")
  goal "netdisk --plaintext small files >= 4 x sftp" "$(ratio "$s" "$(med "${m}_plain_small")")" 4 above
  goal "netdisk TLS small files >= 4 x sftp" "$(ratio "$s" "$(med "${m}_tls_small")")" 4 above
  peak=0
  for k in plain_put plain_get tls_put tls_get; do
    x=$(mib "${m}_$k"); [ "$x" = - ] || [ "$x" -le "$peak" ] || peak=$x
  done
  goal "netdisk server peak RSS < 32 MiB (${SIZE_MB} MiB file)" "$peak" 32 below
done
