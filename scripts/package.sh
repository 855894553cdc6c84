#!/bin/sh
# Builds the Debian package: build-deb/canvass_VERSION_ARCH.deb (binaries in
# /usr/bin, the default configuration in /etc/canvass, units, sysusers.d and
# tmpfiles.d entries, man pages). Install it with dpkg -i (docs/operations.md).
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
cmake -S . -B build-deb -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
	-DCMAKE_INSTALL_PREFIX=/usr -DCANVASS_PACKAGE=ON >/dev/null
cmake --build build-deb -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
(cd build-deb && cpack -G DEB >/dev/null)
ls build-deb/canvass_*.deb
