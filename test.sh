#!/usr/bin/env bash
# The test command. It installs what the tests need and the machine lacks
# (Chromium, for the tests that drive the web page in a real browser),
# then runs every test with the race detector. Extra arguments go to
# `go test` (e.g. ./test.sh -run Browser ./internal/browsertest).
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$PATH:/usr/local/go/bin"

if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "test.sh: installing chromium (apt-get)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium
fi

if [ $# -eq 0 ]; then
  set -- ./...
fi
exec go test -race "$@"
