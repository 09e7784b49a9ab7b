#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The kernel matrix: boot each kernel of tests/vm/kernels (a Debian package)
# under qemu with software emulation, run the integration suite inside, and
# bring its results back; rows whose kernel is "host" run the suite on this
# machine instead, with a BPF object forced.
#
#   tests/vm/run.sh [ROW...]      (root; `make test-kernels` builds first)
#
# Per qemu row: find the newest package matching the row's pattern (in the
# machine's apt lists, or for a row with suite=SUITE in a private apt
# configuration under the cache, updated each run), apt-get download it into
# the cache ($BG_VM_CACHE, default .output/vm; `make clean` removes it), keep
# its kernel and the modules the guest loads, assemble the initramfs
# (mkimage.sh), boot with or without BPF LSM as the row says, and read the
# serial console. Per host row: `bindguard check`, then tests/integration/run.sh
# with BINDGUARD_OBJECT set, as `make integration` runs it.
# Every PASS/FAIL/SKIP/NOTE line of a row is printed with its row, a row's
# lines together. A row fails when a test fails, when `bindguard check`
# fails, when the suite does not finish, or (qemu rows) when the listen() test
# of its backend did not pass: with BPF LSM active the refusal, without it the
# sock_ops confinement.
# Prints "N passed, N failed, N skipped" over all rows; exits 1 on a failure.
#
# Environment:
#   BG_VM_JOBS=N     rows run N at a time, each guest with nproc/N CPUs (all
#                    of them when only one qemu row runs)
#                    (default 2: on a 2-CPU machine the 6.12 and 7.3 rows took
#                    976 s as two 1-CPU guests at once, 1,228 s as 2-CPU
#                    guests one after the other; docs/CI.md has the figures).
#                    A host row takes a slot too; two host rows never run at
#                    once.
#   BG_VM_SMP=N      CPUs per guest instead of nproc/BG_VM_JOBS.
#   BG_VM_TIMEOUT=S  per row (default 1800: a whole-suite row took 1,011-1,166 s on this 2-CPU machine, depending on its load).
#   BG_VM_APPEND=..  added to the guests' kernel command line (bg.debug=1,
#                    bg.filter=NAME[,NAME...]: the tests whose name holds one).
#   BG_VM_MIRROR=URL Debian mirror for suite= rows (http://deb.debian.org/debian).
#   BG_VM_HOST_SUITE=PATH  the suite host rows run (tests/integration/run.sh).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${BG_VM_CACHE:-$top/.output/vm}
timeout_s=${BG_VM_TIMEOUT:-1800}
jobs=${BG_VM_JOBS:-2}
mirror=${BG_VM_MIRROR:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
host_suite=${BG_VM_HOST_SUITE:-$top/tests/integration/run.sh}
BINDGUARD=${BINDGUARD:-$top/bindguard}
BGPROBE=${BGPROBE:-$top/.output/bgprobe}
# BGVERLOG (optional, as `make integration` passes it): the verifier-log test's helper.
export BINDGUARD BGPROBE # mkimage.sh copies them; host rows run them

# Per LSM column: the tests that must pass in the guest (they are why the
# matrix exists) and the kernel's lsm= list.
required_for() {
	case $1 in
	bpf) echo listen_without_bind_denied_by_lsm ;;
	none) echo listen_without_bind_is_confined listen_confinement_seen_from_another_host ;;
	esac
}
# holds_any NAME FILTER: FILTER empty, or NAME holds one of its comma-separated parts.
holds_any() {
	local f parts
	[ -z "$2" ] && return 0
	IFS=, read -r -a parts <<<"$2"
	for f in "${parts[@]}"; do [[ $1 == *"$f"* ]] && return 0; done
	return 1
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

[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "BG_VM_JOBS must be a positive number, not '$jobs'"

# Rows (comments dropped), optionally only those asked for: parallel arrays.
R_row=() R_kernel=() R_lsm=() R_suite=() R_object=() R_only=()
known=()
while read -r row kernel lsm opts; do
	[ -z "$row" ] || [[ $row == \#* ]] && continue
	known+=("$row")
	if [ "$kernel" = host ]; then
		[ "$lsm" = - ] || die "tests/vm/kernels: row $row: a host row's LSM column must be '-', not '$lsm'"
	else
		[ -n "$(lsm_list_for "$lsm")" ] || die "tests/vm/kernels: row $row: LSM must be bpf or none, not '$lsm'"
	fi
	suite="" object="" only=""
	for o in $opts; do
		case $o in
		suite=?*) suite=${o#suite=} ;;
		object=full | object=compat) object=${o#object=} ;;
		only=?*) only=${o#only=} ;;
		*) die "tests/vm/kernels: row $row: unknown option '$o' (suite=SUITE, object=full|compat, only=NAME,...)" ;;
		esac
	done
	[ "$kernel" = host ] && [ -n "$suite" ] && die "tests/vm/kernels: row $row: suite= is for qemu rows"
	if [ $# -gt 0 ]; then
		want=0
		for a in "$@"; do [ "$a" = "$row" ] && want=1; done
		[ $want = 1 ] || continue
	fi
	R_row+=("$row") R_kernel+=("$kernel") R_lsm+=("$lsm") R_suite+=("$suite") R_object+=("$object")
	R_only+=("$only")
done <"$here/kernels"
for a in "$@"; do
	[[ " ${known[*]} " == *" $a "* ]] || die "no such row: $a (rows are in $here/kernels: ${known[*]})"
done
nrows=${#R_row[@]}
[ "$nrows" -gt 0 ] || die "no rows in $here/kernels"
filter=$(sed -n 's/.*bg\.filter=\([^ ]*\).*/\1/p' <<<"${BG_VM_APPEND:-}")
# CPUs per guest: shared by the guests that can run at once.
nqemu=0
for k in "${R_kernel[@]}"; do [ "$k" = host ] || nqemu=$((nqemu + 1)); done
at_once=$((nqemu < jobs ? nqemu : jobs))
smp=${BG_VM_SMP:-$(($(nproc) / (at_once > 0 ? at_once : 1)))}
[ "$smp" -ge 1 ] || smp=1

need=(flock)
for k in "${R_kernel[@]}"; do [ "$k" != host ] && need+=(qemu-system-x86_64 cpio apt-get dpkg-deb) && break; done
for c in "${need[@]}"; do
	command -v "$c" >/dev/null ||
		die "$c not found (make deps installs qemu-system-x86, busybox-static, cpio and xz-utils)"
done
[ "$(id -u)" -eq 0 ] || die "needs root (apt-get download into the cache, and the suite runs as root)"
mkdir -p "$cache" || die "cannot create $cache"

# --- fetching kernels -----------------------------------------------------------
# apt options of a suite's private configuration (into the array A); none for
# the machine's own sources. It leaves /etc/apt and /var/lib/apt alone.
apt_opts() {
	A=()
	[ -n "$1" ] || return 0
	local d=$cache/apt/$1
	A=(-o "Dir::Etc::sourcelist=$d/sources.list" -o Dir::Etc::sourceparts=/dev/null
		-o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache")
}

# Refresh a suite's private package lists. On failure the lists of an earlier
# run are used if there are any.
update_suite() {
	local suite=$1 d=$cache/apt/$1
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial" || return 1
	echo "deb [signed-by=$keyring] $mirror $suite main" >"$d/sources.list"
	apt_opts "$suite"
	if ! apt-get -q "${A[@]}" update >"$d/update.log" 2>&1 ||
		grep -q '^[EW]: .*\(NO_PUBKEY\|not signed\|Failed to fetch\)' "$d/update.log"; then
		echo "test-kernels: apt-get update of $suite failed: $(grep '^[EW]:' "$d/update.log" | head -1)" >&2
		ls "$d/lists/"*_Packages* >/dev/null 2>&1 &&
			echo "test-kernels: using the $suite lists of an earlier run" >&2
	fi
}

# The newest package whose name matches a shell pattern.
newest_package() {
	local pattern=$1 suite=$2
	apt_opts "$suite"
	apt-cache "${A[@]}" pkgnames "${pattern%%[*?[]*}" 2>/dev/null | while read -r p; do
		# shellcheck disable=SC2053
		[[ $p == $pattern ]] && echo "$p"
	done | sort -V | tail -1
}

# The kernel image of an unpacked tree: /boot/vmlinuz-* (linux-image-*) or
# /usr/lib/modules/KVER/vmlinuz (linux-binary-*).
kernel_image() {
	find "$1" -type f \( -path '*/boot/vmlinuz-*' -o -path '*/lib/modules/*/vmlinuz' \) | head -1
}

# Download and unpack into $cache/PKG. One fetch at a time (rows may share a
# package and run at once).
# The modules kept from a kernel package: those tests/vm/mkimage.sh loads.
tree_modules='veth|inet_diag|tcp_diag|udp_diag|raw_diag|udp_tunnel|ip6_udp_tunnel|l2tp_core|l2tp_ip|l2tp_ip6'
kernel_tree() {
	local pkg=$1 suite=$2 deb members pkgs
	{
		flock 9
		# .modules names what the tree was extracted with: an older tree
		# (veth alone) is fetched again.
		if [ "$(cat "$cache/$pkg/.modules" 2>/dev/null)" != "$tree_modules" ]; then
			rm -rf "$cache/$pkg" "$cache/$pkg.tmp"
			mkdir -p "$cache/$pkg.tmp"
			pkgs=("$pkg")
			# From 7.x the kernel and its modules are separate packages.
			case $pkg in linux-binary-*) pkgs+=("linux-modules-${pkg#linux-binary-}") ;; esac
			apt_opts "$suite"
			(cd "$cache/$pkg.tmp" && apt-get -q "${A[@]}" download "${pkgs[@]}" >/dev/null 2>"$cache/$pkg.err") || {
				echo "apt-get download ${pkgs[*]} failed: $(grep -v '^W:' "$cache/$pkg.err" | head -1)" >&2
				return 1
			}
			# Only what the guest boots and loads: the kernel and the modules of
			# mkimage.sh (the other 200 MB of modules are not kept).
			mkdir "$cache/$pkg.tmp/tree"
			for deb in "$cache/$pkg.tmp"/*.deb; do
				members=$(dpkg-deb --fsys-tarfile "$deb" | tar -t |
					grep -E "^\./(boot/vmlinuz-.*|(usr/)?lib/modules/[^/]+/vmlinuz|.*/($tree_modules)\.ko.*)\$")
				[ -z "$members" ] && continue
				# shellcheck disable=SC2086 # member names have no blanks
				dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$cache/$pkg.tmp/tree" $members || return 1
			done
			[ -n "$(kernel_image "$cache/$pkg.tmp/tree")" ] || {
				echo "no kernel image in ${pkgs[*]}" >&2
				return 1
			}
			echo "$tree_modules" >"$cache/$pkg.tmp/tree/.modules"
			mv "$cache/$pkg.tmp/tree" "$cache/$pkg"
			rm -rf "$cache/$pkg.tmp" "$cache/$pkg.err"
		fi
	} 9>"$cache/.fetch.lock"
}

# --- one row each ---------------------------------------------------------------
# A row prints its lines to stdout (collected and shown together), its
# starting line to fd 3 (shown at once), and counts in p, f and s.
p=0 f=0 s=0
# parse_suite LOG BEGIN END ROW: count and print the suite's lines between the
# markers.
parse_suite() {
	local verdict name rest
	while read -r verdict name rest; do
		case $verdict in
		PASS) p=$((p + 1)) ;;
		FAIL) f=$((f + 1)) ;;
		SKIP) s=$((s + 1)) ;;
		NOTE) ;;
		*) continue ;;
		esac
		echo "$verdict [$4] $name${rest:+ $rest}"
	done < <(sed -n "/^$2/,/^$3/p" "$1")
}

qemu_row() {
	local row=${R_row[$1]} pattern=${R_kernel[$1]} lsm=${R_lsm[$1]} suite=${R_suite[$1]}
	local object=${R_object[$1]} log=$cache/${R_row[$1]}.log pkg tree kernel start qrc t
	# The tests this row runs: BG_VM_APPEND's bg.filter= (later on the command
	# line, so the guest takes it), else the row's only=, else all.
	local rowfilter=${filter:-${R_only[$1]}}
	start=$(date +%s)
	pkg=$(newest_package "$pattern" "$suite")
	if [ -z "$pkg" ]; then
		if [ -n "$suite" ]; then
			echo "FAIL [$row] no package of $suite matches $pattern (see $cache/apt/$suite/update.log)"
		else
			echo "FAIL [$row] no Debian package matches $pattern (run apt-get update)"
		fi
		f=$((f + 1))
		return
	fi
	if ! t=$(kernel_tree "$pkg" "$suite" 2>&1); then
		echo "FAIL [$row] could not fetch $pkg: $t"
		f=$((f + 1))
		return
	fi
	tree=$cache/$pkg
	kernel=$(kernel_image "$tree")
	img=$cache/$row.cpio
	if ! t=$("$here/mkimage.sh" "$tree" "$img" 2>&1); then
		echo "FAIL [$row] could not assemble the guest image: $t"
		f=$((f + 1))
		return
	fi
	echo "== [$row] $pkg, BPF LSM $lsm${object:+, object $object}: booting under qemu (tcg, $smp CPU)" >&3
	timeout "$timeout_s" qemu-system-x86_64 -accel tcg -m 2048 -smp "$smp" \
		-nographic -monitor none -no-reboot -nic none \
		-kernel "$kernel" -initrd "$img" \
		-append "console=ttyS0 lsm=$(lsm_list_for "$lsm") panic=-1 quiet loglevel=3 bg.timeout=$((timeout_s - 60))${object:+ bg.object=$object}${R_only[$1]:+ bg.filter=${R_only[$1]}} ${BG_VM_APPEND:-}" \
		</dev/null >"$log" 2>&1 &
	qpid=$!
	wait "$qpid"
	qrc=$?
	qpid=""
	rm -f "$img"
	img=""
	tr -d '\r' <"$log" >"$log.txt" && mv "$log.txt" "$log"

	sed -n '/^BG-VM-CHECK-BEGIN/,/^BG-VM-CHECK-END/p' "$log" | grep -v '^BG-VM' | sed "s/^/[$row] /"
	parse_suite "$log" BG-VM-BEGIN BG-VM-END "$row"
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
		# bg.filter=NAME,... runs only the tests whose name holds one NAME.
		holds_any "$t" "$rowfilter" || continue
		if ! grep -q "^PASS $t\$" "$log"; then
			echo "FAIL [$row] $t did not pass in the guest (it must run here)"
			f=$((f + 1))
		fi
	done
	echo "== [$row] $p passed, $f failed, $s skipped in $(($(date +%s) - start)) s (log: $log)"
}

# This machine's kernel, the suite as `make integration` runs it. The object
# is forced with BINDGUARD_OBJECT (unset for a row without object=).
host_row() {
	local row=${R_row[$1]} object=${R_object[$1]} log=$cache/${R_row[$1]}.log start crc hrc
	local envs=(-u BINDGUARD_OBJECT)
	[ -n "$object" ] && envs=(BINDGUARD_OBJECT="$object")
	start=$(date +%s)
	echo "== [$row] this machine's kernel $(uname -r)${object:+, object $object}: the suite runs here" >&3
	env "${envs[@]}" "$BINDGUARD" check >"$log" 2>&1
	crc=$?
	sed "s/^/[$row] /" "$log"
	echo "BG-HOST-BEGIN" >>"$log"
	env "${envs[@]}" BG_TEST_TIMES=1 timeout -k 30 "$timeout_s" "$host_suite" ${R_only[$1]:+"${R_only[$1]}"} >>"$log" 2>&1 &
	qpid=$!
	wait "$qpid"
	hrc=$?
	qpid=""
	echo "BG-HOST-END rc=$hrc" >>"$log"
	parse_suite "$log" BG-HOST-BEGIN BG-HOST-END "$row"
	if [ "$crc" -ne 0 ]; then
		echo "FAIL [$row] bindguard check failed on this machine${object:+ with BINDGUARD_OBJECT=$object}"
		f=$((f + 1))
	fi
	if ! sed -n '/^BG-HOST-BEGIN/,$p' "$log" | grep -qE '^integration: [0-9]+ passed'; then
		echo "FAIL [$row] the suite did not finish (exit $hrc after $(($(date +%s) - start)) s); last lines of $log:"
		tail -15 "$log" | sed "s/^/[$row]   /"
		f=$((f + 1))
	fi
	echo "== [$row] $p passed, $f failed, $s skipped in $(($(date +%s) - start)) s (log: $log)"
}

# Private package lists, once per suite the selected rows use.
done_suites=" "
for ((i = 0; i < nrows; i++)); do
	suite=${R_suite[$i]}
	[ -n "$suite" ] && [[ $done_suites != *" $suite "* ]] || continue
	update_suite "$suite"
	done_suites+="$suite "
done

# --- scheduling -----------------------------------------------------------------
# One job per row, started in the kernels file's order, up to $jobs at a time;
# a host row does not start while another host row runs (they share this
# machine's pinned state). A job runs in the background with its output in
# $cache/.job-N.out; jobs are shown in order, each once it is done.
run_job() {
	local i=$1
	qpid="" img=""
	# Interrupted: stop the guest or the suite this job started, drop its image.
	trap '[ -n "$qpid" ] && kill "$qpid" 2>/dev/null && wait "$qpid"; [ -n "$img" ] && rm -f "$img"' EXIT
	trap 'exit 130' INT TERM
	p=0 f=0 s=0
	if [ "${R_kernel[$i]}" = host ]; then host_row "$i"; else qemu_row "$i"; fi
	echo "$p $f $s" >"$cache/.job-$i.counts"
}

J_pid=()
on_exit() {
	local pid
	for pid in "${J_pid[@]}"; do kill "$pid" 2>/dev/null; done
	wait
	rm -f "$cache"/.job-*
}
trap on_exit EXIT
trap 'exit 130' INT TERM
rm -f "$cache"/.job-*

total_pass=0 total_fail=0 total_skip=0
next=0 shown=0 running=0 host_running=-1
exec 3>&1
while [ $shown -lt $nrows ]; do
	while [ $running -lt "$jobs" ] && [ $next -lt $nrows ]; do
		[ "${R_kernel[$next]}" = host ] && [ $host_running -ge 0 ] && break
		[ "${R_kernel[$next]}" = host ] && host_running=$next
		run_job $next >"$cache/.job-$next.out" 2>&1 &
		J_pid[$next]=$!
		running=$((running + 1))
		next=$((next + 1))
	done
	sleep 1
	# Reap finished jobs, then show those done, in order.
	for ((n = shown; n < next; n++)); do
		[ -n "${J_pid[$n]}" ] && ! kill -0 "${J_pid[$n]}" 2>/dev/null || continue
		wait "${J_pid[$n]}"
		J_pid[$n]=""
		running=$((running - 1))
		[ $host_running = $n ] && host_running=-1
	done
	while [ $shown -lt $next ] && [ -z "${J_pid[$shown]}" ]; do
		cat "$cache/.job-$shown.out"
		if [ -f "$cache/.job-$shown.counts" ]; then
			read -r jp jf js <"$cache/.job-$shown.counts"
		else
			echo "FAIL [${R_row[$shown]}] ended without results"
			jp=0 jf=1 js=0
		fi
		total_pass=$((total_pass + jp))
		total_fail=$((total_fail + jf))
		total_skip=$((total_skip + js))
		shown=$((shown + 1))
	done
done
exec 3>&-

echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
