#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The kernel matrix: boot each kernel of tests/vm/kernels (a Debian 12 package)
# under qemu with software emulation, run the integration suite inside, and
# bring its results back.
#
#   tests/vm/run.sh [ROW...]      (root; `make test-kernels` builds first)
#
# Per row: apt-get download the newest package matching the row's pattern
# into the cache ($BG_VM_CACHE, default .output/vm; `make clean` removes it),
# keep its kernel and the modules the guest loads, assemble the initramfs
# (mkimage.sh), boot with or without BPF LSM as the row says, and read the
# serial console. Every PASS/FAIL/SKIP/NOTE line of the guest is printed with
# its row. A row fails when a test fails, when `bindguard check` fails in the
# guest, when the guest does not finish, or when the listen() test of its
# backend did not pass: with BPF LSM active the refusal, without it the
# sock_ops confinement.
# Prints "N passed, N failed, N skipped" over all rows; exits 1 on a failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${BG_VM_CACHE:-$top/.output/vm}
timeout_s=${BG_VM_TIMEOUT:-1200}
# Per LSM column: the tests that must pass in the guest (they are why the
# matrix exists) and the kernel's lsm= list.
required_for() {
	case $1 in
	bpf) echo listen_without_bind_denied_by_lsm ;;
	none) echo listen_without_bind_is_confined listen_confinement_seen_from_another_host ;;
	esac
}
lsm_list_for() {
	case $1 in
	bpf) echo lockdown,capability,landlock,bpf ;;
	none) echo lockdown,capability,landlock ;;
	esac
}

die() {
	echo "test-kernels: $*" >&2
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
}

for c in qemu-system-x86_64 cpio apt-get dpkg-deb; do
	command -v "$c" >/dev/null ||
		die "$c not found (make deps installs qemu-system-x86, busybox-static, cpio and xz-utils)"
done
[ "$(id -u)" -eq 0 ] || die "needs root (apt-get download into the cache, and the suite in the guest runs as root)"
mkdir -p "$cache" || die "cannot create $cache"

# Interrupted: stop the guest we started and drop the row's image.
qpid="" img=""
on_exit() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null
	[ -n "$img" ] && rm -f "$img"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# ROW PATTERN LSM lines, comments dropped; optionally only the rows asked for.
rows=()
while read -r row pattern lsm; do
	[ -z "$row" ] || [[ $row == \#* ]] && continue
	[ -n "$(lsm_list_for "$lsm")" ] || die "tests/vm/kernels: row $row: LSM must be bpf or none, not '$lsm'"
	if [ $# -gt 0 ]; then
		want=0
		for a in "$@"; do [ "$a" = "$row" ] && want=1; done
		[ $want = 1 ] || continue
	fi
	rows+=("$row $pattern $lsm")
done <"$here/kernels"
[ ${#rows[@]} -gt 0 ] || die "no such row: $* (rows are in $here/kernels)"

# The newest package whose name matches a shell pattern.
newest_package() {
	local pattern=$1
	apt-cache pkgnames linux-image- 2>/dev/null | while read -r p; do
		# shellcheck disable=SC2053
		[[ $p == $pattern ]] && echo "$p"
	done | sort -V | tail -1
}

# Download and unpack; prints the unpacked tree.
kernel_tree() {
	local pkg=$1 deb
	if [ ! -d "$cache/$pkg/boot" ]; then
		rm -rf "$cache/$pkg" "$cache/$pkg.tmp"
		mkdir -p "$cache/$pkg.tmp"
		(cd "$cache/$pkg.tmp" && apt-get download -q "$pkg" >/dev/null 2>"$cache/$pkg.err") || {
			echo "apt-get download $pkg failed: $(grep -v '^W:' "$cache/$pkg.err" | head -1)" >&2
			return 1
		}
		deb=$(ls "$cache/$pkg.tmp"/*.deb)
		# Only what the guest boots and loads: the kernel and the modules of
		# mkimage.sh (the package's other 200 MB of modules are not kept).
		mkdir "$cache/$pkg.tmp/tree"
		dpkg-deb --fsys-tarfile "$deb" |
			tar -x -C "$cache/$pkg.tmp/tree" --wildcards './boot/vmlinuz-*' '*/veth.ko*' ||
			return 1
		mv "$cache/$pkg.tmp/tree" "$cache/$pkg"
		rm -rf "$cache/$pkg.tmp" "$cache/$pkg.err"
	fi
	echo "$cache/$pkg"
}

total_pass=0 total_fail=0 total_skip=0
for r in "${rows[@]}"; do
	read -r row pattern lsm <<<"$r"
	log=$cache/$row.log
	pkg=$(newest_package "$pattern")
	if [ -z "$pkg" ]; then
		echo "FAIL [$row] no Debian package matches $pattern (run apt-get update)"
		total_fail=$((total_fail + 1))
		continue
	fi
	tree=$(kernel_tree "$pkg") || {
		echo "FAIL [$row] could not fetch $pkg"
		total_fail=$((total_fail + 1))
		continue
	}
	img=$cache/$row.cpio
	if ! "$here/mkimage.sh" "$tree" "$img"; then
		echo "FAIL [$row] could not assemble the guest image"
		total_fail=$((total_fail + 1))
		continue
	fi
	echo "== [$row] $pkg, BPF LSM $lsm: booting under qemu (tcg)"
	start=$(date +%s)
	timeout "$timeout_s" qemu-system-x86_64 -accel tcg -m 2048 -smp "$(nproc)" \
		-nographic -monitor none -no-reboot -nic none \
		-kernel "$(ls "$tree"/boot/vmlinuz-*)" -initrd "$img" \
		-append "console=ttyS0 lsm=$(lsm_list_for "$lsm") panic=-1 quiet loglevel=3 bg.timeout=$((timeout_s - 60)) ${BG_VM_APPEND:-}" \
		</dev/null >"$log" 2>&1 &
	qpid=$!
	wait "$qpid"
	qrc=$?
	qpid=""
	rm -f "$img"
	img=""
	tr -d '\r' <"$log" >"$log.txt" && mv "$log.txt" "$log"

	sed -n '/^BG-VM-CHECK-BEGIN/,/^BG-VM-CHECK-END/p' "$log" | grep -v '^BG-VM' | sed "s/^/[$row] /"
	p=0 f=0 s=0
	while read -r verdict name rest; do
		case $verdict in
		PASS) p=$((p + 1)) ;;
		FAIL) f=$((f + 1)) ;;
		SKIP) s=$((s + 1)) ;;
		NOTE) ;;
		*) continue ;;
		esac
		echo "$verdict [$row] $name $rest"
	done < <(sed -n '/^BG-VM-BEGIN/,/^BG-VM-END/p' "$log")
	if ! grep -q '^BG-VM-CHECK-END rc=0' "$log"; then
		echo "FAIL [$row] bindguard check failed in the guest: the programs do not load there (BG_VM_APPEND=bg.debug=1 logs the verifier)"
		f=$((f + 1))
	fi
	if ! grep -q '^BG-VM-END rc=' "$log"; then
		echo "FAIL [$row] the guest did not finish (qemu exit $qrc after $(($(date +%s) - start)) s); last lines of $log:"
		tail -15 "$log" | sed "s/^/[$row]   /"
		f=$((f + 1))
	fi
	for t in $(required_for "$lsm"); do
		if ! grep -q "^PASS $t\$" "$log"; then
			echo "FAIL [$row] $t did not pass in the guest (it must run here)"
			f=$((f + 1))
		fi
	done
	echo "== [$row] $p passed, $f failed, $s skipped in $(($(date +%s) - start)) s (log: $log)"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
done

echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
