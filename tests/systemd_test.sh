#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The agent's systemd unit as `make install` writes it: `systemd-analyze verify`
# accepts it without a word, it reloads with SIGHUP, restarts on failure and
# detaches nothing; install and uninstall put and leave the policy directories
# where they should. No root, no BPF, no systemd as PID 1: the unit file is checked,
# not run. Usage: systemd_test.sh. Prints PASS/FAIL/SKIP lines, then
# "systemd-unit: N passed, N failed, N skipped".
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
work=$(mktemp -d /tmp/bgsystemd.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0 skipped=0

pass() { passed=$((passed + 1)); echo "PASS systemd-unit $1"; }
fail() { failed=$((failed + 1)); echo "FAIL systemd-unit $1: $2"; }
skip() { skipped=$((skipped + 1)); echo "SKIP systemd-unit $1: $2"; }
finish() {
	echo "systemd-unit: $passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit
}

# make TARGET VAR=...: the tree's Makefile, free of the calling make's flags (a
# `make test SANITIZE=1` above must not change what install copies).
mk() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -C "$root" "$@"; }

# 1. Installed under a scratch PREFIX with no DESTDIR: the unit's ExecStart then
# names a binary that exists, which systemd-analyze verify checks, and the file
# verified is the one make install wrote, unchanged. SYSCONFDIR too, or the
# policy directory would go to this machine's /etc.
prefix=$work/prefix
if ! mk install PREFIX="$prefix" SYSCONFDIR="$work/etc" >"$work/install.log" 2>&1; then
	tail -n 20 "$work/install.log"
	fail "make install" "failed (above)"
	finish
fi
unit=$prefix/lib/systemd/system/bindguard.service
if [ ! -f "$unit" ]; then
	fail "make install" "no unit at $unit"
	finish
fi
pass "make install writes the unit into UNITDIR"

if grep -qx "ExecStart=$prefix/sbin/bindguard agent" "$unit"; then
	pass "ExecStart runs the installed binary's agent"
else
	fail "ExecStart" "expected 'ExecStart=$prefix/sbin/bindguard agent', got '$(grep '^ExecStart=' "$unit")'"
fi

# Any output at all fails: verify exits 0 on an unknown key, with a warning.
if ! command -v systemd-analyze >/dev/null; then
	skip "systemd-analyze verify" "systemd-analyze not installed (Debian package systemd)"
else
	if systemd-analyze verify --man=no "$unit" >"$work/verify.out" 2>&1 && [ ! -s "$work/verify.out" ]; then
		pass "systemd-analyze verify ($(systemd-analyze --version | head -n 1))"
	else
		fail "systemd-analyze verify" "$(tr '\n' ' ' <"$work/verify.out")"
	fi
	# Documentation=man:bindguard(8), against the man page this install wrote.
	if ! command -v man >/dev/null; then
		skip "Documentation= names the man page" "man is not installed (Debian package man-db): verify cannot look it up"
	elif MANPATH=$prefix/share/man systemd-analyze verify "$unit" >"$work/verify.out" 2>&1 &&
		[ ! -s "$work/verify.out" ]; then
		pass "Documentation= names the installed man page (verify with --man=yes)"
	else
		fail "Documentation= names the man page" "$(tr '\n' ' ' <"$work/verify.out")"
	fi
fi

# setting KEY: the unit's non-comment lines for KEY=.
setting() { grep -E "^$1=" "$unit"; }
got=$(setting ExecReload)
if [ "$got" = 'ExecReload=/bin/kill -HUP $MAINPID' ]; then
	pass "ExecReload sends SIGHUP to the agent"
else
	fail "ExecReload" "expected 'ExecReload=/bin/kill -HUP \$MAINPID', got '$got'"
fi
got=$(setting Restart)
if [ "$got" = Restart=on-failure ]; then
	pass "Restart=on-failure"
else
	fail "Restart" "expected 'Restart=on-failure', got '$got'"
fi
# Nothing is detached on stop: no ExecStop*, and no setting (comments aside)
# mentions detach.
got=$(grep -v '^[[:space:]]*[#;]' "$unit" | grep -iE '^ExecStop|detach')
if [ -z "$got" ]; then
	pass "no ExecStop and no detach in any setting"
else
	fail "nothing detached on stop" "found '$got'"
fi
if grep -q '^#.*bindguard detach --all' "$unit"; then
	pass "the unit says stopping leaves policies in force, and how to remove them"
else
	fail "stop comment" "no comment naming bindguard detach --all"
fi

# 2. DESTDIR, as a package build uses it: the same file with ExecStart at the
# final path, empty policy directories, the example only as documentation.
dest=$work/dest
if ! mk install DESTDIR="$dest" PREFIX=/usr >"$work/install.log" 2>&1; then
	tail -n 20 "$work/install.log"
	fail "make install DESTDIR=" "failed (above)"
	finish
fi
dunit=$dest/usr/lib/systemd/system/bindguard.service
if [ -f "$dunit" ] && diff <(sed "s|$prefix/sbin/|/usr/sbin/|" "$unit") "$dunit" >"$work/diff" 2>&1; then
	pass "DESTDIR install: the verified unit, with ExecStart=/usr/sbin/bindguard"
else
	fail "DESTDIR install" "unit missing or different: $(tr '\n' ' ' <"$work/diff")"
fi
why=""
for d in etc/bindguard/policies.d usr/lib/bindguard/policies.d; do
	[ -d "$dest/$d" ] || why="${why:-no directory /$d}"
	[ -z "$(ls -A "$dest/$d" 2>/dev/null)" ] || why="${why:-/$d is not empty}"
done
[ -f "$dest/usr/share/doc/bindguard/example.conf.sample" ] || why="${why:-no example in /usr/share/doc/bindguard}"
if [ -z "$why" ]; then
	pass "DESTDIR install: empty policy directories, the example under share/doc"
else
	fail "DESTDIR install" "$why"
fi

# 3. uninstall removes the unit and the empty directories, never a policy file
# an admin wrote (nor, then, its directory).
echo '[Policy]' >"$dest/etc/bindguard/policies.d/mine.conf"
if ! mk uninstall DESTDIR="$dest" PREFIX=/usr >"$work/uninstall.log" 2>&1; then
	tail -n 20 "$work/uninstall.log"
	fail "make uninstall" "failed (above)"
	finish
fi
why=""
[ ! -e "$dunit" ] || why="unit still there"
[ ! -e "$dest/usr/lib/bindguard" ] || why="${why:-/usr/lib/bindguard still there}"
[ ! -e "$dest/usr/share/doc/bindguard" ] || why="${why:-/usr/share/doc/bindguard still there}"
[ -f "$dest/etc/bindguard/policies.d/mine.conf" ] || why="${why:-the policy file an admin wrote is gone}"
grep -q "kept $dest/etc/bindguard/policies.d" "$work/uninstall.log" || why="${why:-uninstall did not say it kept policies.d}"
if [ -z "$why" ]; then
	pass "uninstall removes the unit and empty directories, keeps an admin's policy file"
else
	fail "make uninstall" "$why"
fi
finish
