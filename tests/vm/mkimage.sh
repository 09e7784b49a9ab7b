#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Assemble the guest's initramfs: everything the integration suite needs, copied
# from this (Debian 12) machine, plus one kernel's modules.
#
#   mkimage.sh KERNEL-TREE OUTPUT.cpio
#
# KERNEL-TREE is an unpacked linux-image-*.deb, or linux-binary-*.deb with its
# linux-modules-*.deb (modules under /usr/lib/modules). The image holds, at the same
# paths as on this machine:
#   - busybox (static), only for poweroff and insmod;
#   - the host commands in COMMANDS below, each with the shared libraries ldd
#     names for it (the dynamic loader included);
#   - Debian's python3 with its standard library (the suite parses JSON and
#     runs http.server with it);
#   - the kernel modules in MODULES (veth, for the network namespace tests) and
#     OPTIONAL_MODULES (sock_diag, where modular);
# and, under /bg: bindguard, the bgprobe and bgdecide helpers, the bgverlog helper when
# $BGVERLOG names it, tests/integration/ (with tests/verifier_ptrs.py beside
# it when there), and tests/vm/init as /init.
set -euo pipefail

tree=${1:?kernel tree}
out=${2:?output cpio}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
BINDGUARD=${BINDGUARD:-$top/bindguard}
BGPROBE=${BGPROBE:-$top/.output/bgprobe}
PYTHON=/usr/bin/python3.11

# Commands the suite and the guest's /init run.
COMMANDS=(bash sh env cat cp mv rm mkdir rmdir ls ln chmod stat sleep seq mktemp find
	grep sed awk sort uniq head tail wc cut tr tee date id dirname basename readlink
	true false printf xargs od dd timeout setsid unshare nsenter mount umount flock mkfifo
	ip ss bpftool uname nproc sysctl md5sum setpriv getent ldd ps)
MODULES=(veth)
# Loaded where the kernel has them as modules (built in, or absent, elsewhere):
# sock_diag for TCP, UDP and raw sockets (existing-socket reports and closes).
# Listed in dependency order; /init loads them in that order (numbered files).
OPTIONAL_MODULES=(inet_diag tcp_diag udp_diag raw_diag
	# L2TP/IP sockets (a protocol with its own bind), after what they need.
	udp_tunnel ip6_udp_tunnel l2tp_core l2tp_ip l2tp_ip6)

root=$(mktemp -d "${TMPDIR:-/tmp}/bgvm-root.XXXXXX")
chmod 0755 "$root" # the image's /: the suite runs some commands as nobody
trap 'rm -rf "$root"' EXIT

# Copy a file to the same path in the image (symlinks followed for the content,
# the link itself kept so that both names work).
add_file() {
	local f=$1 real
	[ -e "$root$f" ] && return 0
	mkdir -p "$root$(dirname "$f")"
	if [ -L "$f" ]; then
		real=$(readlink -f "$f")
		add_file "$real"
		ln -s "$real" "$root$f"
	else
		cp -a "$f" "$root$f"
	fi
}

# A program and the libraries it loads.
add_program() {
	local p=$1 lib
	add_file "$p"
	# "libfoo.so.1 => /lib/x86_64-linux-gnu/libfoo.so.1 (0x...)" and the loader.
	for lib in $(ldd "$p" 2>/dev/null | awk '/=> \// { print $3 } /^\t\// { print $1 }'); do
		add_file "$lib"
	done
}

for c in "${COMMANDS[@]}"; do
	p=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin type -P "$c") ||
		{ echo "mkimage: $c not found on this machine" >&2; exit 1; }
	add_program "$p"
done
# /usr/bin/bash etc.: Debian 12 is merged-/usr; keep /bin and /sbin as links.
for d in bin sbin lib lib64; do
	if [ -L "/$d" ] && [ ! -e "$root/$d" ]; then ln -s "usr/$d" "$root/$d"; fi
done

# Debian's python3 and its standard library (with its compiled modules: compiling
# them at each start is slow under emulation), without tests and GUI parts.
add_program "$PYTHON"
ln -sf python3.11 "$root/usr/bin/python3"
tar -C / --exclude='python3.11/test' --exclude='idlelib' \
	--exclude='tkinter' --exclude='turtledemo' --exclude='lib2to3' --exclude='ensurepip' \
	--exclude='pydoc_data' --exclude='dist-packages' --exclude='site-packages' \
	-cf - usr/lib/python3.11 | tar -C "$root" -xf -
for so in "$root"/usr/lib/python3.11/lib-dynload/*.so; do
	for lib in $(ldd "$so" 2>/dev/null | awk '/=> \// { print $3 }'); do add_file "$lib"; done
done

busybox=$(command -v busybox) || { echo "mkimage: busybox not found (apt-get install busybox-static)" >&2; exit 1; }
ldd "$busybox" >/dev/null 2>&1 && { echo "mkimage: $busybox is not static (apt-get install busybox-static)" >&2; exit 1; }
mkdir -p "$root/bg/busybox"
cp "$busybox" "$root/bg/busybox/busybox"
for a in poweroff insmod; do ln -s busybox "$root/bg/busybox/$a"; done

moddir=$tree/lib/modules
[ -d "$moddir" ] || moddir=$tree/usr/lib/modules
mkdir -p "$root/bg/modules"
n=10
for m in "${MODULES[@]}" "${OPTIONAL_MODULES[@]}"; do
	ko=$(find "$moddir" -name "$m.ko*" | head -1)
	if [ -z "$ko" ]; then
		case " ${OPTIONAL_MODULES[*]} " in *" $m "*) continue ;; esac
		echo "mkimage: module $m not in $tree" >&2
		exit 1
	fi
	dest="$root/bg/modules/$n-$m.ko"
	n=$((n + 1))
	case $ko in
	*.xz) xz -dc "$ko" >"$dest" ;;
	*.zst) zstd -qdc "$ko" >"$dest" ;;
	*) cp "$ko" "$dest" ;;
	esac
done

# The project: binaries, the suite, /init.
for f in "$BINDGUARD" "$BGPROBE"; do
	[ -x "$f" ] || { echo "mkimage: $f not built (make)" >&2; exit 1; }
	add_program "$f"
	cp "$f" "$root/bg/$(basename "$f")"
done
# The differential test's helper, beside bgprobe (the test skips without).
if [ -x "$(dirname "$BGPROBE")/bgdecide" ]; then
	add_program "$(dirname "$BGPROBE")/bgdecide"
	cp "$(dirname "$BGPROBE")/bgdecide" "$root/bg/bgdecide"
fi
# The verifier-log test's helper and checker, optional (the test skips without).
if [ -n "${BGVERLOG:-}" ] && [ -x "$BGVERLOG" ]; then
	add_program "$BGVERLOG"
	cp "$BGVERLOG" "$root/bg/bgverlog"
fi
mkdir -p "$root/bg/tests"
cp -r "$top/tests/integration" "$top/tests/valgrind.supp" "$root/bg/tests/"
[ -f "$top/tests/verifier_ptrs.py" ] && cp "$top/tests/verifier_ptrs.py" "$root/bg/tests/"
install -m 0755 "$here/init" "$root/init"

mkdir -p "$root"/{proc,sys,dev,tmp,run,root,etc,var}
ln -s ../run "$root/var/run"
ln -s ../tmp "$root/var/tmp"
printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"

(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) >"$out"
