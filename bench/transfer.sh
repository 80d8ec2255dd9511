#!/usr/bin/env bash
# Transfer benchmark: in one run on loopback, the bare Go TCP copy of a file
# (the limit), netdisk --plaintext put/get, netdisk over TLS put/get, and
# OpenSSH sftp (if sshd is installed), for one large file and for many small
# files in one session. Prints MB/s, files/s and ratios to the bare copy;
# every figure is the median of ROUNDS runs, alternating the contenders.
#
#   bench/transfer.sh                 # 1 GiB file, 1000 × 4 KiB, 3 rounds
#   SIZE_MB=256 ROUNDS=5 bench/transfer.sh
#
# Needs: go. Optional: sshd + sftp (apt-get install openssh-server).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${SIZE_MB:-1024}
SMALL_FILES=${SMALL_FILES:-1000}
SMALL_KB=${SMALL_KB:-4}
ROUNDS=${ROUNDS:-3}
WORK=${WORK:-$(mktemp -d /tmp/netdisk-bench.XXXXXX)}
KEEP=${KEEP:-}
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "$KEEP" ] || rm -rf "$WORK"
}
trap cleanup EXIT

echo "# building"
go build -o "$WORK/netdisk" ./cmd/netdisk
go build -o "$WORK/tcpcopy" ./bench/tcpcopy
ND="$WORK/netdisk"; TC="$WORK/tcpcopy"

echo "# data: ${SIZE_MB} MiB file, ${SMALL_FILES} × ${SMALL_KB} KiB files in $WORK"
head -c $((SIZE_MB << 20)) /dev/urandom > "$WORK/big.bin"
mkdir -p "$WORK/small"
for i in $(seq -w 1 "$SMALL_FILES"); do head -c $((SMALL_KB << 10)) /dev/urandom > "$WORK/small/f$i"; done
WARM=$(( (SIZE_MB + 512) << 20 ))

now() { date +%s.%N; }
warm() { "$TC" warm -size "$WARM"; sync; }

start_server() { # name flags...
  local name=$1; shift
  "$ND" serve --data "$WORK/$name-data" --listen 127.0.0.1:0 --http off --log-level warn "$@" \
    > "$WORK/$name.out" 2> "$WORK/$name.log" &
  PIDS+=($!)
  eval "${name}_PID=$!"
  for _ in $(seq 100); do grep -q "serving" "$WORK/$name.out" 2>/dev/null && break; sleep 0.1; done
  local addr; addr=$(sed -n 's/.*protocol on \([^ ]*\).*/\1/p' "$WORK/$name.out")
  eval "${name}_ADDR=$addr"
}
start_server plain --plaintext
start_server tls
client() { # name args...
  local name=$1; shift
  local addr_var="${name}_ADDR"
  local flags=(--server "${!addr_var}" -q)
  [ "$name" = plain ] && flags+=(--plaintext)
  NETDISK_CONFIG_DIR="$WORK/$name-cfg" "$ND" "${flags[@]}" "$@"
}
for s in plain tls; do
  echo "bench password" | client $s register --password-stdin bench >/dev/null 2>&1
  echo "bench password" | client $s login --password-stdin bench >/dev/null 2>&1
done

HAVE_SFTP=
if command -v sshd >/dev/null && command -v sftp >/dev/null; then
  mkdir -p "$WORK/ssh"
  ssh-keygen -q -t ed25519 -N '' -f "$WORK/ssh/host" && ssh-keygen -q -t ed25519 -N '' -f "$WORK/ssh/user"
  cat "$WORK/ssh/user.pub" > "$WORK/ssh/authorized_keys"; chmod 600 "$WORK/ssh/authorized_keys"
  [ -d /run/sshd ] || mkdir -p /run/sshd 2>/dev/null || true # sshd's privilege separation folder
  SSH_PORT=$((20000 + RANDOM % 20000))
  $(command -v sshd) -D -e -f /dev/null -p "$SSH_PORT" -h "$WORK/ssh/host" -o ListenAddress=127.0.0.1 \
    -o AuthorizedKeysFile="$WORK/ssh/authorized_keys" -o StrictModes=no -o PasswordAuthentication=no \
    -o Ciphers=aes128-gcm@openssh.com -o Subsystem="sftp internal-sftp" -o PidFile=none 2>"$WORK/sshd.log" &
  PIDS+=($!)
  sleep 0.5
  SFTP=(sftp -q -b - -P "$SSH_PORT" -i "$WORK/ssh/user" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o Ciphers=aes128-gcm@openssh.com -o BatchMode=yes "$(whoami)@127.0.0.1")
  if echo "pwd" | "${SFTP[@]}" >/dev/null 2>&1; then HAVE_SFTP=1; mkdir -p "$WORK/sftp-remote"; fi
fi

declare -A T
record() { T[$1]="${T[$1]:-} $2"; }
# Deleting a 1 GiB file costs seconds on a disk mounted with 'discard', so
# every run's old output is removed (and synced) before its timer starts.
clear_outputs() {
  rm -f "$WORK/bare.out" "$WORK"/got-*.bin
  rm -rf "$WORK/sftp-remote/big.bin" "$WORK/sftp-remote/small"
  for s in plain tls; do client $s rm -r big.bin small >/dev/null 2>&1 || true; done
  sync; sleep 1 # let the file system finish discarding what was deleted
}
timed() { # key command...
  local key=$1; shift
  clear_outputs
  warm
  local t0; t0=$(now)
  "$@" >/dev/null
  local t1; t1=$(now)
  record "$key" "$(echo "$t1 - $t0" | bc)"
}

bare_up() {
  "$TC" recv -out "$WORK/bare.out" > "$WORK/bare.addr" &
  local p=$!
  for _ in $(seq 50); do [ -s "$WORK/bare.addr" ] && break; sleep 0.05; done
  "$TC" send -addr "$(cat "$WORK/bare.addr")" -in "$WORK/big.bin" 2>/dev/null
  wait $p
}
bare_down() {
  rm -f "$WORK/bare.addr"
  "$TC" serve-file -in "$WORK/big.bin" > "$WORK/bare.addr" &
  local p=$!
  for _ in $(seq 50); do [ -s "$WORK/bare.addr" ] && break; sleep 0.05; done
  "$TC" fetch -addr "$(cat "$WORK/bare.addr")" -out "$WORK/bare.out" 2>/dev/null
  wait $p
}
nd_put() { client "$1" put "$WORK/big.bin" big.bin; }
nd_get() { client "$1" get big.bin "$WORK/got-$1.bin"; }
nd_small() { client "$1" put -r --parallel 1 "$WORK/small" small; }
# get needs the file on the server: put it back (untimed) after clearing.
nd_get_timed() { clear_outputs; client "$1" put "$WORK/big.bin" big.bin; warm; local t0; t0=$(now); nd_get "$1" >/dev/null; record "$1_get" "$(echo "$(now) - $t0" | bc)"; }
sftp_put() { echo "put $WORK/big.bin $WORK/sftp-remote/big.bin" | "${SFTP[@]}"; }
sftp_get() { echo "get $WORK/sftp-remote/big.bin $WORK/got-sftp.bin" | "${SFTP[@]}"; }
sftp_small() { echo "put -r $WORK/small $WORK/sftp-remote/small" | "${SFTP[@]}"; }
sftp_get_timed() { clear_outputs; cp "$WORK/big.bin" "$WORK/sftp-remote/big.bin"; warm; local t0; t0=$(now); sftp_get >/dev/null; record sftp_get "$(echo "$(now) - $t0" | bc)"; }

for r in $(seq "$ROUNDS"); do
  echo "# round $r"
  timed bare_up bare_up
  timed plain_put nd_put plain
  timed tls_put nd_put tls
  [ -n "$HAVE_SFTP" ] && timed sftp_put sftp_put
  timed bare_down bare_down
  cmp "$WORK/big.bin" "$WORK/bare.out"
  nd_get_timed plain
  cmp "$WORK/big.bin" "$WORK/got-plain.bin"
  nd_get_timed tls
  cmp "$WORK/big.bin" "$WORK/got-tls.bin"
  [ -n "$HAVE_SFTP" ] && sftp_get_timed
  timed plain_small nd_small plain
  timed tls_small nd_small tls
  [ -n "$HAVE_SFTP" ] && timed sftp_small sftp_small
done

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mbs() { echo "scale=0; $SIZE_MB * 1048576 / $1 / 1000000" | bc; }
fps() { echo "scale=0; $SMALL_FILES / $1" | bc; }
up=$(median "${T[bare_up]}"); down=$(median "${T[bare_down]}")
echo
echo "## ${SIZE_MB} MiB file over loopback (median of $ROUNDS; MB = 10^6 bytes)"
printf "%-28s %10s %8s\n" "contender" "MB/s" "ratio"
row() { local t; t=$(median "${T[$2]}"); printf "%-28s %10s %8s\n" "$1" "$(mbs "$t")" "$(echo "scale=2; $3 / $t" | bc)"; }
row "bare TCP copy, up" bare_up "$up"
row "netdisk --plaintext put" plain_put "$up"
row "netdisk TLS put" tls_put "$up"
[ -n "$HAVE_SFTP" ] && row "sftp put (aes128-gcm)" sftp_put "$up"
row "bare TCP copy, down" bare_down "$down"
row "netdisk --plaintext get" plain_get "$down"
row "netdisk TLS get" tls_get "$down"
[ -n "$HAVE_SFTP" ] && row "sftp get (aes128-gcm)" sftp_get "$down"
echo
echo "## ${SMALL_FILES} × ${SMALL_KB} KiB files, one session (median of $ROUNDS)"
printf "%-28s %10s\n" "contender" "files/s"
printf "%-28s %10s\n" "netdisk --plaintext put -r" "$(fps "$(median "${T[plain_small]}")")"
printf "%-28s %10s\n" "netdisk TLS put -r" "$(fps "$(median "${T[tls_small]}")")"
[ -n "$HAVE_SFTP" ] && printf "%-28s %10s\n" "sftp put -r" "$(fps "$(median "${T[sftp_small]}")")"
echo
echo "# server RSS after the runs (kB): plain $(awk '/VmHWM/{print $2}' /proc/$plain_PID/status) peak, tls $(awk '/VmHWM/{print $2}' /proc/$tls_PID/status) peak"
