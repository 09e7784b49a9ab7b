#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The Debian package: built from the tree's files alone (as from a clean
# clone) with dpkg-buildpackage, lintian without errors, then installed on
# this machine: its files are where they belong, the unit is not enabled,
# `bindguard check` and a policy file work through the installed binary; removal
# leaves the policy enforcing and says how to detach; purge removes the config.
# Root. Usage: package_test.sh BINDGUARD (the tree's build, to clean up after
# the package is gone). Prints PASS/FAIL/SKIP lines, then
# "package: N passed, N failed, N skipped".
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
BG=${1:?usage: package_test.sh BINDGUARD}
work=$(mktemp -d /tmp/bgpkg.XXXXXX)
passed=0 failed=0 skipped=0
installed=0 cg=""
CG2=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") break; if ($(i + 1) == "cgroup2") { print $5; exit } }' /proc/self/mountinfo)

pass() { passed=$((passed + 1)); echo "PASS package $1"; }
fail() { failed=$((failed + 1)); echo "FAIL package $1: $2"; }
skip() { skipped=$((skipped + 1)); echo "SKIP package $1: $2"; }
check() { [ "$2" = "$3" ] && pass "$1" || fail "$1" "expected '$2', got '$3'"; }
cleanup() {
	[ "$installed" = 1 ] && dpkg --purge bindguard >/dev/null 2>&1
	if [ -n "$cg" ] && [ -d "$CG2$cg" ]; then
		"$BG" detach --cgroup "$cg" --missing-ok >/dev/null 2>&1
		rmdir "$CG2$cg"
	fi
	if [ -d "$work/conf" ]; then
		rec=$("$BG" apply --config "$work/conf" --dry-run --json 2>/dev/null |
			python3 -c 'import json, sys; print(json.load(sys.stdin)["record"])')
		[[ $rec == /run/bindguard/config/*.json ]] && rm -f "$rec"
	fi
	rm -rf "$work"
}
trap cleanup EXIT
finish() {
	echo "package: $passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit
}

version=$(cat "$root/VERSION")
if [ "$(id -u)" -ne 0 ]; then
	skip build "needs root (it installs the package)"
	finish
fi
for c in dpkg-buildpackage dh lintian git; do
	command -v "$c" >/dev/null || { skip build "no $c (make deps-test installs dpkg-dev, debhelper, lintian)"; finish; }
done
if ! git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	skip build "not a git checkout: the package is built from the tree's tracked files"
	finish
fi

# 1. Build from the tracked files alone, as from a clean clone.
mkdir "$work/src"
(cd "$root" && git ls-files -z | xargs -0 cp -P --parents -t "$work/src") ||
	{ fail build "copying the tracked files failed"; finish; }
if (cd "$work/src" && dpkg-buildpackage -b -us -uc >"$work/build.log" 2>&1); then
	pass "dpkg-buildpackage -b -us -uc"
else
	tail -n 30 "$work/build.log"
	fail "dpkg-buildpackage -b -us -uc" "failed (above)"
	finish
fi
deb=$work/bindguard_${version}_amd64.deb
[ -f "$deb" ] && pass "bindguard_${version}_amd64.deb" || { fail "package name" "no $deb: $(ls "$work")"; finish; }
lintian "$deb" >"$work/lintian.log" 2>&1
if grep -q '^E: ' "$work/lintian.log"; then
	fail lintian "$(grep '^E: ' "$work/lintian.log" | head -5 | tr '\n' ' ')"
else
	pass "lintian: no errors ($(grep -c '^W: ' "$work/lintian.log") warnings)"
fi

# 2. Installed on this machine, unless a bindguard is installed there already.
if dpkg-query -W bindguard >/dev/null 2>&1 || [ -e /usr/sbin/bindguard ]; then
	skip install "a bindguard is installed on this machine already: not replaced"
	finish
fi
if ! dpkg -i "$deb" >"$work/install.log" 2>&1; then
	installed=1
	fail "dpkg -i" "$(tail -n 5 "$work/install.log" | tr '\n' ' ')"
	finish
fi
installed=1
missing=""
for f in /usr/sbin/bindguard /usr/share/man/man8/bindguard.8.gz /lib/systemd/system/bindguard.service \
	/usr/share/containers/oci/hooks.d/bindguard.json /usr/share/bash-completion/completions/bindguard \
	/usr/share/doc/bindguard/example.conf.sample /usr/share/doc/bindguard/copyright; do
	[ -f "$f" ] || missing="$missing $f"
done
for d in /etc/bindguard/policies.d /usr/lib/bindguard/policies.d; do [ -d "$d" ] || missing="$missing $d/"; done
[ -z "$missing" ] && pass "installed files" || fail "installed files" "missing:$missing"
grep -q '"path": *"/usr/sbin/bindguard"' /usr/share/containers/oci/hooks.d/bindguard.json &&
	grep -q '^ExecStart=/usr/sbin/bindguard agent$' /lib/systemd/system/bindguard.service &&
	pass "the unit and the hook name /usr/sbin/bindguard" ||
	fail "paths" "the unit or the hooks.d file does not name /usr/sbin/bindguard"
if ls /etc/systemd/system/*.wants/bindguard.service >/dev/null 2>&1; then
	fail "unit not enabled" "the package enabled bindguard.service"
else
	pass "unit not enabled"
fi
check "--version" "bindguard $version" "$(/usr/sbin/bindguard --version)"
if /usr/sbin/bindguard check >"$work/check.log" 2>&1; then
	pass "bindguard check (installed)"
else
	fail "bindguard check (installed)" "$(tail -n 3 "$work/check.log" | tr '\n' ' ')"
fi

# A policy file, from the installed example, applied by the installed binary.
cg="/bgpkg.$$"
mkdir "$CG2$cg"
mkdir "$work/conf"
sed "s|^Cgroup=.*|Cgroup=$cg|" /usr/share/doc/bindguard/example.conf.sample >"$work/conf/test.conf"
bind_in_cg() {
	python3 - "$CG2$cg" <<'PY'
import os, socket, sys
with open(sys.argv[1] + "/cgroup.procs", "w") as f:
    f.write(str(os.getpid()))
s = socket.socket()
try:
    s.bind(("0.0.0.0", 0))
    print("ok")
except PermissionError:
    print("EPERM")
PY
}
if /usr/sbin/bindguard apply --config "$work/conf" >"$work/apply.log" 2>&1 && [ "$(bind_in_cg)" = EPERM ]; then
	pass "a policy file applied by the installed binary refuses a wildcard bind"
else
	fail "policy" "$(tr '\n' ' ' <"$work/apply.log")"
fi

# 3. Removal leaves the policy enforcing and says how to detach; it keeps the
# admin's policy files, which purge removes.
echo "# the admin's" >/etc/bindguard/policies.d/admin.conf
dpkg -r bindguard >"$work/remove.log" 2>&1 || fail "dpkg -r" "$(tail -n 3 "$work/remove.log" | tr '\n' ' ')"
grep -q "bindguard detach --all" "$work/remove.log" && pass "removal says how to detach" ||
	fail "removal message" "$(tr '\n' ' ' <"$work/remove.log")"
[ "$(bind_in_cg)" = EPERM ] && pass "the policy enforces after removal" ||
	fail "after removal" "a wildcard bind succeeds"
[ -f /etc/bindguard/policies.d/admin.conf ] && pass "removal keeps the admin's policy files" ||
	fail "removal" "/etc/bindguard/policies.d/admin.conf is gone"
dpkg --purge bindguard >"$work/purge.log" 2>&1 || fail "dpkg --purge" "$(tail -n 3 "$work/purge.log" | tr '\n' ' ')"
installed=0
[ ! -e /etc/bindguard ] && pass "purge removes /etc/bindguard" || fail "purge" "/etc/bindguard is still there"
finish
