#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The built-in demo (`sudo make demo`): python3 -m http.server in a throwaway cgroup
# under loopback-only. Its default bind (all interfaces) is denied and reported;
# the same server bound to 127.0.0.1 works. Everything it makes is removed at exit.
set -u
BG=${1:-./bindguard}
BG=$(cd "$(dirname "$BG")" && pwd)/$(basename "$BG")

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: needs root (sudo make demo)" >&2
	exit 1
fi
mnt=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") break; if ($(i + 1) == "cgroup2") { print $5; exit } }' /proc/self/mountinfo)
if [ -z "$mnt" ]; then
	echo "demo: no cgroup v2 mount found" >&2
	exit 3
fi

cg="bindguard-demo.$$"
[ -e /sys/fs/bpf/bindguard ] && had_state=1 || had_state=0
dir="$mnt/$cg"
work=$(mktemp -d)
events_pid="" server_pid=""

cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	[ -n "$events_pid" ] && kill -INT "$events_pid" 2>/dev/null && wait "$events_pid" 2>/dev/null
	"$BG" detach --cgroup "/$cg" >/dev/null 2>&1
	[ -d "$dir" ] && rmdir "$dir" 2>/dev/null
	# Leave no bindguard state behind if the demo was the first to create it,
	# and nobody else's policy came meanwhile (checked under bindguard's lock).
	if [ "$had_state" = 0 ] && [ -e /sys/fs/bpf/bindguard ]; then
		"$BG" detach --all --if-unused >/dev/null 2>&1
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free port for the demo server.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }

mkdir "$dir" || exit 1
step "bindguard loopback-only --cgroup /$cg"
"$BG" loopback-only --cgroup "/$cg" || exit 1

"$BG" events --cgroup "/$cg" >"$work/events" 2>"$work/events.err" &
events_pid=$!
for _ in $(seq 50); do grep -q following "$work/events.err" 2>/dev/null && break; sleep 0.1; done

step "python3 -m http.server $port   (binds every interface by default)"
# Join the cgroup first, then exec: the socket is created inside.
sh -c 'echo $$ > "$1/cgroup.procs" && cd "$2" && exec python3 -m http.server "$3"' \
	sh "$dir" "$work" "$port" 2>&1 | tail -n 1
sleep 0.5

step "bindguard events   (what the kernel refused)"
cat "$work/events"

step "python3 -m http.server $port --bind 127.0.0.1   (this machine only)"
sh -c 'echo $$ > "$1/cgroup.procs" && cd "$2" && exec python3 -m http.server "$3" --bind 127.0.0.1' \
	sh "$dir" "$work" "$port" >"$work/server.log" 2>&1 &
server_pid=$!
ok=""
for _ in $(seq 50); do
	if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/', timeout=1)" 2>/dev/null; then
		ok=1
		break
	fi
	sleep 0.1
done
if [ -n "$ok" ]; then
	echo "GET http://127.0.0.1:$port/ -> 200 OK"
else
	echo "GET http://127.0.0.1:$port/ failed"; cat "$work/server.log"
fi

step "bindguard status"
"$BG" status

step "bindguard detach --cgroup /$cg   (and the demo cgroup is removed)"
kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; server_pid=""
"$BG" detach --cgroup "/$cg"
[ -n "$ok" ]
