#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The one library `make static` cannot take from Debian as it is: Debian's
# libmicrohttpd.a is built with TLS and needs libgnutls.a, whose libp11-kit has
# no .a in Debian. This builds libmicrohttpd without TLS (the agent's metrics
# endpoint is plain HTTP on loopback) from Debian's own source package, of the
# version of the libmicrohttpd-dev installed here, fetched with a private apt
# configuration (signed by debian-archive-keyring; /etc/apt is left alone).
# Usage: deps.sh DIR. Leaves DIR/lib/libmicrohttpd.a and DIR/include/.
# A second run with the same version does nothing.
set -euo pipefail
dir=${1:?usage: deps.sh DIR}
mirror=${BG_STATIC_MIRROR:-http://deb.debian.org/debian}
security=${BG_STATIC_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
die() { echo "make static: $*" >&2; exit 1; }

for c in apt-get dpkg-source dpkg-query make cc; do
	command -v "$c" >/dev/null || die "$c not found (make deps-test installs dpkg-dev)"
done
[ -r "$keyring" ] || die "no $keyring (apt-get install debian-archive-keyring)"
version=$(dpkg-query -W -f '${Version}' libmicrohttpd-dev 2>/dev/null) ||
	die "libmicrohttpd-dev is not installed (make deps installs it)"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
stamp="libmicrohttpd $version without TLS"
if [ -f "$dir/lib/libmicrohttpd.a" ] && [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ]; then
	exit 0
fi
rm -rf "$dir/src" "$dir/lib" "$dir/include" "$dir/.stamp"
mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/src"

# shellcheck disable=SC1091 # the machine's own
. /etc/os-release
[ -n "${VERSION_CODENAME:-}" ] || die "no VERSION_CODENAME in /etc/os-release (Debian 12 expected)"
{
	echo "deb-src [signed-by=$keyring] $mirror $VERSION_CODENAME main"
	echo "deb-src [signed-by=$keyring] $mirror $VERSION_CODENAME-updates main"
	echo "deb-src [signed-by=$keyring] $security $VERSION_CODENAME-security main"
} >"$dir/apt/sources.list"
A=(-q -o "Dir::Etc::sourcelist=$dir/apt/sources.list" -o Dir::Etc::sourceparts=/dev/null
	-o "Dir::State::Lists=$dir/apt/lists" -o "Dir::Cache=$dir/apt/cache"
	-o APT::Sandbox::User="$(id -un)")
echo "  DEPS     libmicrohttpd $version (Debian source package, built without TLS)"
apt-get "${A[@]}" update >"$dir/apt.log" 2>&1 ||
	die "apt-get update of the deb-src lists failed: $(grep '^[EW]:' "$dir/apt.log" | head -1)"
(cd "$dir/src" && apt-get "${A[@]}" source --download-only "libmicrohttpd=$version") >>"$dir/apt.log" 2>&1 ||
	die "apt-get source libmicrohttpd=$version failed: $(grep '^E:' "$dir/apt.log" | head -1)"
(cd "$dir/src" && dpkg-source -x ./*.dsc build) >>"$dir/apt.log" 2>&1 ||
	die "dpkg-source -x failed (see $dir/apt.log)"

# The library and its header only: no TLS, no curl tests, no docs, no examples.
cd "$dir/src/build"
./configure -q --prefix="$dir" --enable-static --disable-shared --disable-https --without-gnutls \
	--disable-curl --disable-doc --disable-examples --disable-nls >"$dir/build.log" 2>&1 ||
	die "libmicrohttpd's configure failed (see $dir/build.log)"
{ make -j"$(nproc)" -C src/microhttpd install && make -C src/include install; } >>"$dir/build.log" 2>&1 ||
	die "building libmicrohttpd failed (see $dir/build.log)"
echo "$stamp" >"$dir/.stamp"
