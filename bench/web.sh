#!/usr/bin/env bash
# web.sh measures the web page against the command-line client on one
# server: a file of SIZE_MB MiB (default 1024) uploaded and downloaded
# through the page in headless Chromium (tus upload with the page's BLAKE3
# verification on; download through the browser's own download manager to
# disk), then put and got with the client, ROUNDS times. It prints MB/s
# for each and the page's speed as a ratio of the client's.
#
#   SIZE_MB=1024 ROUNDS=3 bench/web.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
command -v chromium >/dev/null || { echo "web.sh: needs chromium (./test.sh installs it)" >&2; exit 1; }
export BENCH_MB=${SIZE_MB:-1024}
go test ./internal/browsertest -run '^$' -bench '^BenchmarkPageTransfer$' -benchtime 1x -count "${ROUNDS:-3}" |
  grep -E '^(Benchmark|ok|FAIL)'
