# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
# The workload section of `make bench`, sourced by bench/run.sh (which owns the
# cgroups, the cleanup and the raw file): what bindguard costs the operations a
# policed service does millions of times, each workload run side by side in
# sibling cgroups, interleaved:
#   none     no program
#   floor    an empty program (bench/empty.bpf.c) on every hook bindguard
#            attached to the bg cgroup
#   bg       loopback-only, the defaults
#   udpdeny  loopback-only --udp-autobind deny
#   rawdeny  loopback-only --raw deny
# Workloads (bench/workload.c): TCP connection churn, unconnected UDP
# request/response, socket() + close(), a bulk TCP stream; then nginx serving a
# small file to wrk, keep-alive and one connection per request. Every process
# of a workload (client, server, nginx, wrk) runs in the variant's cgroup.
#
# Needs from run.sh: TOP TOPREL PIN WORK CPU NCPU QUICK BG BPFTOOL EMPTY_OBJ
# WORKLOAD EMPTY_LINKS NGINX_PIDS, and say/die/rec/apply/apply_preset/json_status.

W_VARIANTS=(none floor bg udpdeny rawdeny)
W_STREAM_VARIANTS=(none floor bg) # no option adds work per packet
NGINX_VARIANTS=(none floor bg)

empty_loaded() { # the empty programs, pinned under $PIN/empty/ (once)
	[ -d "$PIN/empty" ] && return 0
	mkdir -p "$PIN" || die "create $PIN"
	"$BPFTOOL" prog loadall "$EMPTY_OBJ" "$PIN/empty" || die "load $EMPTY_OBJ"
}

# attach_empty CGROUP-DIR ATTACH-TYPE (bpftool's name, as `cgroup show -j` gives
# it); returns 1 for a hook the floor has no program for.
attach_empty() {
	local prog
	case $2 in
	cgroup_inet4_bind) prog=bench_bind4 ;;
	cgroup_inet6_bind) prog=bench_bind6 ;;
	cgroup_sock_ops) prog=bench_sockops ;;
	cgroup_setsockopt) prog=bench_setsockopt ;;
	cgroup_udp4_sendmsg) prog=bench_sendmsg4 ;;
	cgroup_udp6_sendmsg) prog=bench_sendmsg6 ;;
	cgroup_inet_sock_create) prog=bench_sock_create ;;
	cgroup_inet_ingress) prog=bench_ingress ;;
	*) return 1 ;;
	esac
	empty_loaded
	"$BPFTOOL" cgroup attach "$1" "$2" pinned "$PIN/empty/$prog" multi ||
		die "attach the empty $2 program to $1"
	EMPTY_LINKS+=("$1 $2 $prog")
}

attached_types() { # attached_types CGROUP-DIR: the attach types of its programs
	"$BPFTOOL" -j cgroup show "$1" | python3 -c '
import json, sys
print(" ".join(sorted(p["attach_type"] for p in json.load(sys.stdin))))'
}

# prog_ids CGROUP-DIR: "type:id ..." of its programs (a change means another
# bindguard build replaced them)
prog_ids() {
	"$BPFTOOL" -j cgroup show "$1" | python3 -c '
import json, sys
print(" ".join(sorted("%s:%s" % (p["attach_type"], p["id"]) for p in json.load(sys.stdin))))'
}

in_cgroup() { # in_cgroup CGROUP-DIR COMMAND...: run COMMAND as a member of the cgroup
	local cg=$1
	shift
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" "$@"
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# nginx_start VARIANT: an nginx master and one worker in the variant's cgroup,
# on 127.0.0.1:<a free port>, with its own config, pid file and files under
# $WORK/nginx-VARIANT. Sets NGINX_PORT[VARIANT].
declare -A NGINX_PORT=()
nginx_start() {
	local v=$1 d=$WORK/nginx-$1 port i
	mkdir -p "$d/html" "$d/tmp" || die "create $d"
	head -c 612 /dev/zero | tr '\0' 'x' >"$d/html/index.html" # nginx's welcome page size
	port=$(free_port)
	cat >"$d/nginx.conf" <<-EOF
		user root;
		worker_processes 1;
		$([ "$NCPU" -gt 1 ] && echo "worker_cpu_affinity 01;")
		pid $d/nginx.pid;
		error_log $d/error.log warn;
		events { worker_connections 1024; }
		http {
			access_log off;
			client_body_temp_path $d/tmp/body;
			proxy_temp_path $d/tmp/proxy;
			fastcgi_temp_path $d/tmp/fastcgi;
			uwsgi_temp_path $d/tmp/uwsgi;
			scgi_temp_path $d/tmp/scgi;
			keepalive_requests 1000000;
			server {
				listen 127.0.0.1:$port;
				location / { root $d/html; }
			}
		}
	EOF
	in_cgroup "$TOP/w$v" nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" 2>"$WORK/nginx.err" ||
		die "nginx ($v) did not start: $(cat "$WORK/nginx.err" "$d/error.log" 2>/dev/null)"
	NGINX_PIDS+=("$d/nginx.pid")
	for ((i = 0; i < 50; i++)); do
		[ -s "$d/nginx.pid" ] && (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
		sleep 0.1
	done
	[ $i -lt 50 ] || die "nginx ($v) does not answer on 127.0.0.1:$port"
	NGINX_PORT[$v]=$port
}

# Stop every nginx master this run started (by the pid in its own pid file) and
# wait for it and its worker to be gone.
nginx_stop_all() {
	local f pid i
	for f in "${NGINX_PIDS[@]}"; do
		pid=$(cat "$f" 2>/dev/null) || continue
		[ -n "$pid" ] || continue
		kill -QUIT "$pid" 2>/dev/null || continue
		for ((i = 0; i < 50 && $(kill -0 "$pid" 2>/dev/null && echo 1 || echo 0); i++)); do
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	done
	NGINX_PIDS=()
}

# own_time CGROUP-DIR: "run_time_ns run_cnt", summed over the programs attached
# to the cgroup (the kernel's BPF statistics)
own_time() { # (awk, not python: this runs twice per measured run)
	local ids
	ids=$("$BPFTOOL" cgroup show "$1" | awk 'NR > 1 { printf "%s ", $1 }')
	"$BPFTOOL" prog show | awk -v ids=" $ids" '
		/^[0-9]+:/ {
			id = $1; sub(":", "", id)
			if (index(ids, " " id " "))
				for (i = 2; i < NF; i++) {
					if ($i == "run_time_ns") t += $(i + 1)
					if ($i == "run_cnt") c += $(i + 1)
				}
		}
		END { print t + 0, c + 0 }'
}

# wstat KIND VARIANT: one run with kernel.bpf_stats_enabled=1, recorded as the
# programs' own time and runs per operation
wstat() {
	local a b out ops
	read -r -a a < <(own_time "$TOP/w$2")
	out=$("$WORKLOAD" "$1" --cgroup "$TOP/w$2" --secs "$WSECS" --cpu "$CPU" 2>&1) ||
		die "workload $1 ($2) failed: $out"
	read -r -a b < <(own_time "$TOP/w$2")
	# Every op of the process's life, the warm-up included, as the runs are.
	ops=$(sed -n 's/.* all_ops=\([0-9]*\).*/\1/p' <<<"$out")
	[ "$1" = stream ] && ops=$(sed -n 's/.* all_segs=\([0-9]*\).*/\1/p' <<<"$out")
	rec workstats "$1/$2" ns $((b[0] - a[0]))
	rec workstats "$1/$2" runs $((b[1] - a[1]))
	rec workstats "$1/$2" ops "$ops"
}

# wmeasure KIND VARIANT REP: one run of bench/workload.c, recorded as ops/s
wmeasure() {
	local out
	out=$("$WORKLOAD" "$1" --cgroup "$TOP/w$2" --secs "$WSECS" --cpu "$CPU" 2>&1) ||
		die "workload $1 ($2) failed: $out"
	rec work "$1/$2" "$3" "$(sed -n 's/.*ops_per_s=\([0-9.]*\).*/\1/p' <<<"$out")"
	[ "$1" = stream ] && rec work "stream-segs/$2" "$3" "$(sed -n 's/.*segs_per_s=\([0-9.]*\).*/\1/p' <<<"$out")"
	return 0
}

# nstat MODE VARIANT: one wrk run with kernel.bpf_stats_enabled=1, recorded as the
# programs' own time and runs per request
nstat() {
	local a b
	read -r -a a < <(own_time "$TOP/w$2")
	nmeasure "$1" "$2" stats
	read -r -a b < <(own_time "$TOP/w$2")
	rec workstats "nginx-$1/$2" ns $((b[0] - a[0]))
	rec workstats "nginx-$1/$2" runs $((b[1] - a[1]))
	rec workstats "nginx-$1/$2" ops "$NREQS"
}

# nmeasure MODE VARIANT REP: wrk against the variant's nginx, from its cgroup,
# recorded as requests/s. MODE ka: keep-alive; close: a new connection per request.
nmeasure() {
	local out hdr=()
	[ "$1" = close ] && hdr=(-H "Connection: close")
	out=$(in_cgroup "$TOP/w$2" taskset -c "$CPU" wrk -t1 -c"$NGINX_CONNS" -d"${NSECS}s" \
		"${hdr[@]}" "http://127.0.0.1:${NGINX_PORT[$2]}/index.html" 2>&1) ||
		die "wrk ($1, $2) failed: $out"
	grep -q "Non-2xx\|Socket errors" <<<"$out" && die "wrk ($1, $2) saw errors: $out"
	NREQS=$(awk '/ requests in / { print $1 }' <<<"$out")
	[ "$3" = stats ] && return 0
	rec work "nginx-$1/$2" "$3" "$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")"
}

workloads_run() {
	local v r i k kinds n types t ids0 ids1 missing=""
	if [ "$QUICK" = 1 ]; then
		WSECS=0.1 WREPS=1 NSECS=1 NREPS=1
	else
		WSECS=0.25 WREPS=15 NSECS=1 NREPS=7
	fi
	NGINX_CONNS=16
	rec meta work_secs - "$WSECS"
	rec meta work_reps - "$WREPS"
	rec meta nginx_secs - "$NSECS"
	rec meta nginx_reps - "$NREPS"
	rec meta nginx_conns - "$NGINX_CONNS"
	for v in "${W_VARIANTS[@]}"; do mkdir "$TOP/w$v" || die "create $TOP/w$v"; done
	apply "$TOPREL/wbg"
	apply "$TOPREL/wudpdeny" --udp-autobind deny
	apply "$TOPREL/wrawdeny" --raw deny
	types=$(attached_types "$TOP/wbg")
	for t in $types; do attach_empty "$TOP/wfloor" "$t" || missing="$missing $t"; done
	rec meta floor_hooks - "$types"
	[ -z "$missing" ] || rec meta floor_missing - "${missing# }"
	ids0=$(prog_ids "$TOP/wbg")

	kinds=(churn udp socket stream)
	say "workloads: ${kinds[*]}, $WREPS interleaved repetitions of ${WSECS} s per variant"
	for ((r = 1; r <= WREPS; r++)); do
		for k in "${kinds[@]}"; do
			local vs=("${W_VARIANTS[@]}")
			[ "$k" = stream ] && vs=("${W_STREAM_VARIANTS[@]}")
			n=${#vs[@]}
			for ((i = 0; i < n; i++)); do
				wmeasure "$k" "${vs[$(((i + r - 1) % n))]}" "$r"
			done
		done
	done

	# The programs' own time per operation (per segment for the stream), a run
	# each with the kernel's BPF statistics on: exact where throughput is noisy.
	say "workloads: the programs' own time per operation (kernel.bpf_stats_enabled=1 for this part only)"
	stats_set 1
	for k in "${kinds[@]}"; do
		for v in floor bg udpdeny rawdeny; do
			# (quick: the floor and the defaults only)
			[ "$k" = stream ] || [ "$QUICK" = 1 ] && [ "$v" != floor ] && [ "$v" != bg ] && continue
			wstat "$k" "$v"
		done
	done
	stats_set "$STATS_ORIG"

	if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
		say "workloads: installing nginx and wrk (tests/install-deps.sh)"
		"$ROOT/tests/install-deps.sh" test >"$WORK/deps.log" 2>&1 ||
			say "warning: tests/install-deps.sh failed: $(tail -n 3 "$WORK/deps.log")"
	fi
	if command -v nginx >/dev/null && command -v wrk >/dev/null; then
		say "workloads: nginx + wrk, keep-alive and a connection per request, $NREPS x ${NSECS} s per variant"
		for v in "${NGINX_VARIANTS[@]}"; do nginx_start "$v"; done
		rec meta nginx_version - "$(nginx -v 2>&1 | sed 's/^nginx version: //')"
		n=${#NGINX_VARIANTS[@]}
		for ((r = 1; r <= NREPS; r++)); do
			for k in ka close; do
				for ((i = 0; i < n; i++)); do
					nmeasure "$k" "${NGINX_VARIANTS[$(((i + r - 1) % n))]}" "$r"
				done
			done
		done
		say "workloads: nginx, the programs' own time per request (kernel.bpf_stats_enabled=1)"
		stats_set 1
		for k in ka close; do
			[ "$QUICK" = 1 ] && [ $k = ka ] && continue # (quick: one mode)
			for v in floor bg; do nstat "$k" "$v"; done
		done
		stats_set "$STATS_ORIG"
		nginx_stop_all
	else
		say "workloads: nginx or wrk could not be installed: nginx rows skipped"
		rec meta nginx_skipped - "nginx or wrk could not be installed (tests/install-deps.sh)"
	fi

	ids1=$(prog_ids "$TOP/wbg")
	[ "$ids0" = "$ids1" ] ||
		die "bindguard's programs changed during the workloads ($ids0 -> $ids1): another bindguard build applied a policy meanwhile; no report written, run again"
	for v in bg udpdeny rawdeny; do detach "$TOPREL/w$v"; done
}
