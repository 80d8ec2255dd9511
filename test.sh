#!/usr/bin/env bash
# The test command. It installs what the tests need and the machine lacks,
# then runs every test with the race detector. Extra arguments go to
# `go test` (e.g. ./test.sh -run Browser ./internal/browsertest).
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$PATH:/usr/local/go/bin"

# What the tests need besides Go: Chromium (the web page in a real
# browser), python3 and b3sum (the protocol conformance client, written in
# Python from PROTOCOL.md, takes BLAKE3 digests from b3sum), LibreOffice
# Calc (users.xlsx as a spreadsheet reads it), the PostgreSQL server
# (internal/pgtest starts a throwaway cluster; Debian puts initdb and
# postgres under /usr/lib/postgresql/<version>/bin, not on PATH).
missing=()
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || missing+=(chromium)
command -v python3 >/dev/null || missing+=(python3)
command -v b3sum >/dev/null || missing+=(b3sum)
command -v soffice >/dev/null || missing+=(libreoffice-calc-nogui)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "test.sh: installing ${missing[*]} (apt-get)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ $# -eq 0 ]; then
  set -- ./...
fi
exec go test -race "$@"
