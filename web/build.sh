#!/bin/sh
# build.sh vendors the third-party browser code the page runs: it fetches
# the versions pinned in package.json and package-lock.json from npm (the
# lockfile's sha512 integrity makes npm refuse any other bytes), copies the
# packages' own built files into internal/web/static/vendor, and checks what
# it copied against web/CHECKSUMS (SHA-256). The copies are committed, so
# `go build` needs no npm; run this only to change a version.
#
#   web/build.sh            fetch, copy, and fail if anything differs from CHECKSUMS
#   web/build.sh -update    fetch, copy, and write CHECKSUMS anew (after a version change:
#                           edit package.json, run `npm install --package-lock-only`, then this)
#   web/build.sh -check     no network: check the committed files against CHECKSUMS
#
# Nothing is built or transformed: what the page loads is byte for byte
# what the package published, so anyone can compare it with npm's tarball.
# (tus.min.js names a source map that is not vendored; only a browser's
# developer tools ask for it, and get a 404.)
set -eu

web=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$web")
mode=${1:-verify}
case $mode in
verify | -update | -check) ;;
*)
	echo "usage: $0 [-update|-check]" >&2
	exit 2
	;;
esac

# Each line: package, file in the package, where it goes (from the repo root).
# The page loads tus and BLAKE3; axe-core is only injected by the browser
# tests, so it lives in internal/browsertest/testdata and never in the binary.
files='
tus-js-client   dist/tus.min.js          internal/web/static/vendor/tus.min.js
tus-js-client   LICENSE                  internal/web/static/vendor/tus-js-client.LICENSE
hash-wasm       dist/blake3.umd.min.js   internal/web/static/vendor/blake3.umd.min.js
hash-wasm       LICENSE                  internal/web/static/vendor/hash-wasm.LICENSE
axe-core        axe.min.js               internal/browsertest/testdata/axe.min.js
'

check() {
	cd "$root"
	sha256sum --check --strict --quiet "$web/CHECKSUMS"
}

if [ "$mode" = -check ]; then
	check
	echo "vendored files match web/CHECKSUMS"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$web/package.json" "$web/package-lock.json" "$tmp/"
# --ignore-scripts: nothing from the registry runs on this machine.
(cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)

echo "$files" | while read -r pkg src dst; do
	[ -n "$pkg" ] || continue
	mkdir -p "$root/$(dirname "$dst")"
	cp "$tmp/node_modules/$pkg/$src" "$root/$dst"
	version=$(node -p "require('$tmp/node_modules/$pkg/package.json').version")
	echo "$pkg $version: $src -> $dst"
done

if [ "$mode" = -update ]; then
	cd "$root"
	echo "$files" | while read -r pkg src dst; do
		[ -n "$pkg" ] || continue
		sha256sum "$dst"
	done >"$web/CHECKSUMS"
	echo "wrote web/CHECKSUMS"
else
	check
	echo "vendored files match web/CHECKSUMS"
fi
