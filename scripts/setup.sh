#!/bin/sh
# Installs the Debian 12 packages canvass needs to build, run and test.
# Idempotent: installs only what is missing. Run as root (or with sudo).
# With --test, also what only the tests need (a headless browser for the
# HTML report). Why each package is needed: docs/dependencies.md.
set -eu

PACKAGES="build-essential cmake pkg-config python3
libzmq3-dev libprotobuf-c-dev protobuf-c-compiler liblmdb-dev lmdb-utils
libjansson-dev libsodium-dev libssl-dev libinih-dev libcsv-dev libcmocka-dev
libmicrohttpd-dev libcurl4-openssl-dev libsystemd-dev libsqlite3-dev libxlsxwriter-dev help2man
libzip-dev libxml2-dev"
if [ "${1:-}" = "--test" ]; then
	PACKAGES="$PACKAGES chromium fonts-dejavu-core python3-protobuf protobuf-compiler prometheus
systemd man-db iproute2 python3-openpyxl python3-zmq lintian python3-selenium chromium-driver
python3-markdown"
fi

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "canvass setup: installing$missing" >&2
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# axe-core, the accessibility checker the portal's browser test runs in every
# page (npm registry), into .deps/ of the source tree; Node.js from Debian when
# the machine has no npm.
if [ "${1:-}" = "--test" ]; then
	top=$(cd "$(dirname "$0")/.." && pwd)
	if [ ! -f "$top/.deps/node_modules/axe-core/axe.min.js" ]; then
		if ! command -v npm >/dev/null 2>&1; then
			SUDO=""
			[ "$(id -u)" -eq 0 ] || SUDO="sudo"
			DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
				--no-install-recommends nodejs npm >/dev/null
		fi
		mkdir -p "$top/.deps"
		(cd "$top/.deps" && npm install --silent --no-audit --no-fund axe-core@4.14.1 >/dev/null)
	fi
fi
