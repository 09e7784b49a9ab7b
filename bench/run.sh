#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# `make bench`: what bindguard costs real workloads (connection churn, UDP
# request/response, socket(), a bulk stream, nginx under wrk: bench/workloads.sh),
# then per bind(), how that scales, what a denial storm does to the event
# pipeline, and how long policy changes take. Writes BENCHMARKS.md and
# benchmarks.json (docs/ by default) through bench/report.py. Installs nginx and
# wrk (tests/install-deps.sh) when they are missing. Refuses to write a report
# when another bindguard build replaced the programs during the run.
#
# Usage (root): bench/run.sh [--quick] [--max-policies] [--out DIR]
#   --quick         tiny run (under a minute) that checks the benchmark builds and
#                   runs; writes to .output/bench-quick/ unless --out is given
#   --max-policies  also fill bindguard up to the number of policed cgroups it can
#                   hold and measure there
#
# Safety: everything runs in cgroups below one uniquely named cgroup this script
# creates ($CG2/bgbench.PID); only processes it starts are moved into them; every
# policy it applied is detached by name (never `detach --all`), the `return 1`
# programs are detached and their pins removed, the nginx masters it started are
# stopped by the pids in their own pid files, kernel.bpf_stats_enabled is
# restored, and the cgroups are removed, also on failure or interrupt. nginx
# listens on 127.0.0.1 only, on a port the kernel picked. Sockets are bound to
# 127.0.0.1 only: every 0.0.0.0 bind is refused by the policy or fails because the
# socket is bound already (a storm process stops at once should one succeed), and
# every re-bind to 192.0.2.1 fails because no interface has that address.
set -u
export LC_ALL=C
T_BEGIN=$EPOCHREALTIME

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BG=${BINDGUARD:-$ROOT/bindguard}
BB=${BINDBENCH:-$ROOT/.output/bindbench}
EMPTY_OBJ=${BENCH_EMPTY_OBJ:-$ROOT/.output/bench_empty.bpf.o}
WORKLOAD=${WORKLOAD:-$ROOT/.output/workload}
BPFTOOL=${BPFTOOL:-$(command -v bpftool || echo /usr/sbin/bpftool)}
QUICK=0 MAXPOL=0 OUTDIR=""
# A specific non-loopback address (TEST-NET-1) for binds the policy decides: it is
# on no interface, so re-binding to it fails (EADDRNOTAVAIL) right after the hook.
OTHER_ADDR=192.0.2.1

while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--max-policies) MAXPOL=1 ;;
	--out)
		OUTDIR=${2:?--out needs a directory}
		shift
		;;
	-h | --help)
		sed -n '3,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "bench: unknown argument '$1' (try --help)" >&2
		exit 2
		;;
	esac
	shift
done
[ -n "$OUTDIR" ] || { [ $QUICK = 1 ] && OUTDIR=$ROOT/.output/bench-quick || OUTDIR=$ROOT/docs; }

# Sizes. Full: medians of 7 interleaved repetitions of 150,000 re-binds each (about
# 5 minutes in all here); --max-policies adds the point at the policy limit.
if [ $QUICK = 1 ]; then
	N=20000 REPS=2 SREPS=2 STATS_N=20000 CP_COUNT=20 SCALE_POINTS="1 5 20 50"
	STORM_PROCS=2 STORM_COUNT=5000 PACED_COUNT=50 EV_WAIT=10 SUS_COUNT=2000
	FAIR_COUNT=20 RUN_REPS=3 AGENT_REPS=3
else
	N=150000 REPS=7 SREPS=7 STATS_N=200000 CP_COUNT=200 SCALE_POINTS="1 100 1000"
	STORM_PROCS=4 STORM_COUNT=250000 PACED_COUNT=1000 EV_WAIT=120 SUS_COUNT=300000
	FAIR_COUNT=100 RUN_REPS=21 AGENT_REPS=21
fi
PACE_US=1000
# Sustained: 2 processes, each 50 denials every millisecond (one per 20 us on
# average) = 100,000 denials/s together, for 3 s in the full run.
SUS_PROCS=2 SUS_PACE_US=20 SUS_BURST=50
DEPTHS="1 8 16"
RULE_COUNTS="1 64 1024"

say() { echo "bench: [$((${EPOCHREALTIME%.*} - ${T_BEGIN%.*})) s] $*" >&2; }
die() {
	say "error: $*"
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root (sudo make bench)"
for f in "$BG" "$BB" "$WORKLOAD" "$EMPTY_OBJ"; do [ -e "$f" ] || die "$f is missing: run make first"; done
[ -x "$BPFTOOL" ] || die "bpftool not found"
command -v python3 >/dev/null || die "python3 not found"
CG2=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") break; if ($(i + 1) == "cgroup2") { print $5; exit } }' /proc/self/mountinfo)
[ -n "$CG2" ] || die "no cgroup v2 mount in /proc/self/mountinfo"
STATUS_ERR=$("$BG" --json status 2>&1 >/dev/null) || die "\`bindguard status\` fails: $STATUS_ERR"

NCPU=$(nproc)
CPU=$((NCPU - 1)) # the timing loops run pinned to one CPU
TOPREL=/bgbench.$$
TOP=$CG2$TOPREL
PIN=/sys/fs/bpf/bgbench_$$ # bpffs refuses dots in names
WORK=$(mktemp -d /tmp/bgbench.XXXXXX)
RAW=$WORK/raw.tsv
STATS_SYSCTL=/proc/sys/kernel/bpf_stats_enabled
STATS_ORIG=$(cat "$STATS_SYSCTL")
declare -A POLICED=() # relative cgroup path -> 1, for every policy applied
EMPTY_LINKS=() # "CGROUP-DIR ATTACH-TYPE PROGRAM" of every empty program attached
NGINX_PIDS=()  # pid files of the nginx masters this run started

# --- bookkeeping and cleanup ---------------------------------------------------------
rec() { # rec SECTION NAME REP VALUE
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RAW"
}

apply() { # apply REL [bindguard options]: loopback-only on a cgroup of ours
	apply_preset loopback-only "$@"
}

apply_preset() { # apply_preset PRESET REL [bindguard options]
	local preset=$1 rel=$2
	shift 2
	POLICED[$rel]=1
	"$BG" "$preset" --cgroup "$rel" "$@" >/dev/null 2>"$WORK/apply.err" ||
		die "apply $preset to $rel: $(cat "$WORK/apply.err")"
}

detach() { # detach REL (tried again if bindguard's state is busy or being repaired)
	local try
	for try in 1 2 3; do
		"$BG" detach --cgroup "$1" >/dev/null 2>"$WORK/detach.err" && break
		grep -q "no bindguard policy" "$WORK/detach.err" && break
		[ $try = 3 ] && say "warning: detach $1: $(cat "$WORK/detach.err")"
		sleep 0.2
	done
	unset "POLICED[$1]"
}

stats_set() { echo "$1" >"$STATS_SYSCTL"; }

cleanup() {
	local d
	set +e
	if [ -n "${AGENT_PID:-}" ]; then kill "$AGENT_PID" 2>/dev/null; wait "$AGENT_PID" 2>/dev/null; fi
	[ "$(cat "$STATS_SYSCTL")" = "$STATS_ORIG" ] || stats_set "$STATS_ORIG"
	# Deepest first (a parent's detach would otherwise re-link its children), up
	# to 1,000 cgroups per call; a call refuses its whole list when one of them
	# has no policy, so such a list is retried one cgroup at a time.
	local list=() chunk=() args=()
	mapfile -t list < <(for d in "${!POLICED[@]}"; do echo "$d"; done |
		awk -F/ '{ print NF "\t" $0 }' | sort -rn | cut -f2-)
	while [ ${#list[@]} -gt 0 ]; do
		chunk=("${list[@]:0:1000}")
		list=("${list[@]:1000}")
		args=()
		for d in "${chunk[@]}"; do args+=(--cgroup "$d"); done
		if ! "$BG" detach "${args[@]}" >/dev/null 2>&1; then
			for d in "${chunk[@]}"; do detach "$d"; done
		fi
		for d in "${chunk[@]}"; do unset "POLICED[$d]"; done
	done
	nginx_stop_all
	local l cg type prog
	for l in "${EMPTY_LINKS[@]}"; do
		read -r cg type prog <<<"$l"
		"$BPFTOOL" cgroup detach "$cg" "$type" pinned "$PIN/empty/$prog" ||
			say "warning: detach the empty $type program from $cg failed"
	done
	EMPTY_LINKS=()
	rm -f "$PIN"/empty/*
	[ -d "$PIN/empty" ] && rmdir "$PIN/empty"
	[ -d "$PIN" ] && rmdir "$PIN"
	if [ -d "$TOP" ]; then
		find "$TOP" -depth -type d -print0 | xargs -0 rmdir || say "warning: rmdir below $TOP failed"
	fi
	# bindguard state this run created (none before, no policy left): remove it.
	if [ "$BG_STATE_BEFORE" = 0 ] && [ -e /sys/fs/bpf/bindguard ]; then
		"$BG" detach --all --if-unused >/dev/null
	fi
}

on_exit() {
	cleanup
	rm -rf "$WORK"
}
[ -e /sys/fs/bpf/bindguard ] && BG_STATE_BEFORE=1 || BG_STATE_BEFORE=0
trap on_exit EXIT
trap 'exit 130' INT TERM

# --- helpers -----------------------------------------------------------------------
declare -A VCG=() VARGS=()
variant() { # variant NAME CGROUP-DIR [bindbench rebind options]
	local name=$1 cg=$2
	shift 2
	VCG[$name]=$cg
	VARGS[$name]="$*"
}

measure() { # measure SECTION VARIANT REP [N]; the output stays in $LAST
	local v=$2
	# shellcheck disable=SC2086 # VARGS holds words on purpose
	LAST=$("$BB" rebind --cgroup "${VCG[$v]}" --cpu "$CPU" --n "${4:-$N}" ${VARGS[$v]} 2>&1) ||
		die "$1/$v: bindbench rebind failed: $LAST"
	local ns=${LAST#ns_per_bind=}
	rec "$1" "$v" "$3" "${ns%% *}"
}

# interleave SECTION REPS VARIANT...: every repetition runs every variant once, the
# order rotated from one repetition to the next.
interleave() {
	local sec=$1 reps=$2 r i
	shift 2
	local vs=("$@") n=$#
	for ((r = 1; r <= reps; r++)); do
		for ((i = 0; i < n; i++)); do
			measure "$sec" "${vs[$(((i + r - 1) % n))]}" "$r"
		done
	done
}

json_status() { "$BG" --json status 2>/dev/null; }

# counters REL: "allowed denied lost" of our policy on REL
counters() {
	json_status | python3 -c '
import json, sys
d = json.load(sys.stdin)
p = [p for p in d["policies"] if p["cgroup"] == sys.argv[1]]
c = p[0]["counters"] if p else {}
n = lambda v: -1 if v is None else v  # allowed is null unless counted
print(n(c.get("allowed")), n(c.get("denied")), n(c.get("lost")))' "$1"
}

npolicies() { json_status | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["policies"]))'; }
# How many cgroups bindguard can police on this machine (its per-CPU counters).
max_policies() { json_status | python3 -c 'import json, sys; print(json.load(sys.stdin)["max_policies"])'; }

# prog_id CGROUP-DIR: id of the cgroup/bind4 program attached directly to the cgroup
# (awk, not python, here and below: python takes half a second to start here)
prog_id() {
	"$BPFTOOL" cgroup show "$1" | awk '$2 == "cgroup_inet4_bind" || $2 == "bind4" { print $1; exit }'
}

prog_stats() { # prog_stats ID: "run_time_ns run_cnt"
	"$BPFTOOL" prog show id "$1" | awk 'NR == 1 {
		for (i = 2; i < NF; i++) {
			if ($i == "run_time_ns") t = $(i + 1)
			if ($i == "run_cnt") c = $(i + 1)
		}
	} END { print t + 0, c + 0 }'
}

# run_stat NAME VARIANT N: the own time per run of the bind4 program attached to
# the variant's cgroup, over one run. bindguard's program is one program for
# every policed cgroup on the machine: runs beyond the binds we made are someone
# else's (another user's tests) and would skew the figure, and another bindguard
# build replaces the program when it applies a policy; such a run is tried again
# (up to 5 times), the cleanest kept and its foreign runs reported.
run_stat() {
	local a b id id2 try best=-1 others
	for ((try = 1; try <= 5; try++)); do
		id=$(prog_id "${VCG[$2]}")
		[ -n "$id" ] || die "no bind4 program on ${VCG[$2]}"
		read -r -a a < <(prog_stats "$id")
		measure stats-run "$2" "$try" "$3"
		read -r -a b < <(prog_stats "$id")
		id2=$(prog_id "${VCG[$2]}")
		others=$((b[1] - a[1] - ${LAST##*binds=}))
		[ "$id" = "$id2" ] || others=999999999
		if [ $best -lt 0 ] || [ $others -lt $best ]; then
			best=$others
			STAT=("$((b[1] - a[1]))" "$((b[0] - a[0]))" "${LAST##*binds=}")
		fi
		[ $((others * 1000)) -le "${LAST##*binds=}" ] && [ $others -ge 0 ] && break
	done
	rec bpfstats "$1" runs "${STAT[0]}"
	rec bpfstats "$1" ns "${STAT[1]}"
	rec bpfstats "$1" expected "${STAT[2]}"
}

prog_tag() { # prog_tag CGROUP-DIR: tag of its bind4 program (identifies the build)
	local id
	id=$(prog_id "$1")
	[ -n "$id" ] && "$BPFTOOL" -j prog show id "$id" | python3 -c 'import json, sys; print(json.load(sys.stdin)["tag"])'
}

usec() { local t=${1/./}; echo $((10#$t)); } # $EPOCHREALTIME -> microseconds
LAP_T=$T_BEGIN
lap() { # lap NAME: the seconds since the previous lap, as section NAME's time
	rec meta "t_$1" - $((($(usec "$EPOCHREALTIME") - $(usec "$LAP_T")) / 1000000))
	LAP_T=$EPOCHREALTIME
}

# --- the run -------------------------------------------------------------------------
mkdir "$TOP" || die "create $TOP"
say "cgroups under $TOP, output to $OUTDIR$([ $QUICK = 1 ] && echo ' (quick mode)')"
OTHER_POLICIES=$(npolicies)

# Machine and build.
{
	rec meta cpu - "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	rec meta ncpu - "$NCPU"
	rec meta mem_gib - "$(awk '/^MemTotal/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)"
	rec meta kernel - "$(uname -r)"
	rec meta kernel_version - "$(uname -v)"
	rec meta date - "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	rec meta bindguard - "$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
	rec meta bpftool - "$("$BPFTOOL" version 2>/dev/null | head -n 1)"
	rec meta quick - "$QUICK"
	rec meta n - "$N"
	rec meta reps - "$REPS"
	rec meta scale_reps - "$SREPS"
	rec meta cpu_pinned - "$CPU"
	rec meta other_policies - "$OTHER_POLICIES"
	rec meta max_policies_header - "$(awk '/define BG_MAX_POLICIES/ { print $3 }' "$ROOT/include/bindguard.h")"
	rec meta other_addr - "$OTHER_ADDR"
	rec meta max_rules_header - "$(awk '/define BG_MAX_RULES/ { print $3 }' "$ROOT/include/bindguard.h")"
}

lap setup
# 0. Workloads (bench/workloads.sh) ---------------------------------------------------
# shellcheck source=bench/workloads.sh
. "$ROOT/bench/workloads.sh"
workloads_run

lap workloads
# 1. Per-bind hook cost --------------------------------------------------------------
say "hook cost: $REPS interleaved repetitions of $N re-binds per variant"
mkdir "$TOP/none" "$TOP/empty" "$TOP/bg" "$TOP/bgw" "$TOP/bgd" "$TOP/bgc" "$TOP/bgdc" "$TOP/bgr" ||
	die "create cgroups"
# First: creates bindguard's state (and mounts bpffs) if needed. The exception
# makes $OTHER_ADDR a bind the policy decides (resolution, the exception);
# 127.0.0.1 is allowed before any map is read.
apply "$TOPREL/bg" --allow "$OTHER_ADDR"
# The wildcard admitted by an exception (a public listener let through), here on
# every unprivileged port, since the re-bound socket's port is the kernel's pick.
apply "$TOPREL/bgw" --allow 0.0.0.0:1024-65535
# deny-wildcard admits a specific address by its preset: no exception is asked.
apply_preset deny-wildcard "$TOPREL/bgd"
# As bg and bgd, counting the binds they allow (--count-allowed: opt-in, for what
# it costs).
apply "$TOPREL/bgc" --allow "$OTHER_ADDR" --count-allowed
apply_preset deny-wildcard "$TOPREL/bgdc" --count-allowed
# As bg with 1,024 exception rules: $OTHER_ADDR and 1,023 prefixes that do not
# contain it (the policy's exceptions budget, BG_MAX_RULES).
args=(--allow "$OTHER_ADDR")
for ((i = 1; i < 1024; i++)); do args+=(--allow "10.$((i / 256)).$((i % 256)).0/24:8000-8099"); done
apply "$TOPREL/bgr" "${args[@]}"
# Which BPF object the pinned programs came from (full or compat: they reach the
# socket differently).
rec meta bg_object - "$(json_status | python3 -c 'import json, sys; print(json.load(sys.stdin).get("object") or "unknown")')"
attach_empty "$TOP/empty" cgroup_inet4_bind

variant none "$TOP/none"
variant none-any "$TOP/none" --addr 0.0.0.0
variant none-other "$TOP/none" --addr "$OTHER_ADDR" --expect EADDRNOTAVAIL
variant empty "$TOP/empty"
variant bg-allow "$TOP/bg"
variant bg-policy "$TOP/bg" --addr "$OTHER_ADDR" --expect EADDRNOTAVAIL
variant bg-counted "$TOP/bgc" --addr "$OTHER_ADDR" --expect EADDRNOTAVAIL
variant bg-rules "$TOP/bgr" --addr "$OTHER_ADDR" --expect EADDRNOTAVAIL
variant bg-wild "$TOP/bgw" --addr 0.0.0.0
variant bg-dw "$TOP/bgd" --addr "$OTHER_ADDR" --expect EADDRNOTAVAIL
variant bg-dw-counted "$TOP/bgdc" --addr "$OTHER_ADDR" --expect EADDRNOTAVAIL
variant bg-deny "$TOP/bg" --addr 0.0.0.0 --expect EPERM
variant landlock "$TOP/none" --landlock
HOOK_VARIANTS=(none none-any none-other empty bg-allow bg-dw bg-dw-counted bg-policy bg-counted bg-rules
	bg-wild bg-deny landlock)
if ! out=$("$BB" rebind --cgroup "$TOP/none" --n 10 --landlock 2>&1); then
	say "Landlock unavailable: $out"
	rec meta landlock_unavailable - "$out"
	HOOK_VARIANTS=(none none-any none-other empty bg-allow bg-dw bg-dw-counted bg-policy bg-counted
		bg-rules bg-wild bg-deny)
fi
rec meta bg_tag_start - "$(prog_tag "$TOP/bg")"
read -r a0 _ _ < <(counters "$TOPREL/bgc")
interleave hook "$REPS" "${HOOK_VARIANTS[@]}"
read -r a1 _ _ < <(counters "$TOPREL/bgc")
# The exception path really ran through bindguard: the counting policy's counter
# moved by every re-bind to $OTHER_ADDR (loopback binds are not counted).
[ $((a1 - a0)) -ge $((REPS * N)) ] ||
	die "bindguard counted $((a1 - a0)) allowed binds, expected at least $((REPS * N)): is the policy in force?"
rec check bg_allowed_counted - $((a1 - a0))
# The policies that do not count are in force too: each refuses what it should
# (bg's refusal is the bg-deny variant itself).
"$BB" rebind --cgroup "$TOP/bgw" --cpu "$CPU" --n 1000 --addr "$OTHER_ADDR" --expect EPERM >/dev/null ||
	die "the wildcard-exception policy did not refuse $OTHER_ADDR: is it in force?"
"$BB" rebind --cgroup "$TOP/bgd" --cpu "$CPU" --n 1000 --addr 0.0.0.0 --expect EPERM >/dev/null ||
	die "the deny-wildcard policy did not refuse 0.0.0.0: is it in force?"

lap hook
# 2. The programs' own time (kernel BPF statistics) --------------------------------
say "BPF statistics (kernel.bpf_stats_enabled=1 for this part only)"
stats_set 1
run_stat empty empty "$STATS_N"
run_stat bg-allow bg-allow "$STATS_N"
run_stat bg-policy bg-policy "$STATS_N"
run_stat bg-counted bg-counted "$STATS_N"
run_stat bg-rules bg-rules "$STATS_N"
run_stat bg-dw-counted bg-dw-counted "$STATS_N"
run_stat bg-wild bg-wild "$STATS_N"
run_stat bg-dw bg-dw "$STATS_N"
run_stat bg-deny bg-deny "$STATS_N"
# The deny path with every event queued is measured with the paced event
# pipeline run below (a reader waiting, one denial per millisecond).
stats_set "$STATS_ORIG"
detach "$TOPREL/bgw" # the scale points count the policies in force
detach "$TOPREL/bgd"
detach "$TOPREL/bgc"
detach "$TOPREL/bgdc"
detach "$TOPREL/bgr"

lap bpfstats
# 3. Scale: number of policed cgroups, and the control plane ------------------------
# Our bg cgroup is policed; the others are siblings under $TOP/cp, each with its own
# policy (and links). Each point: interleaved no-program and bindguard runs. Fillers
# 1..CP_COUNT get one bindguard call each (timed: the control plane); beyond that
# they go in batches of CP_COUNT cgroups per call (timed too).
LAST_POINT=${SCALE_POINTS##* }
say "scale: policed cgroups ($SCALE_POINTS); control plane: $CP_COUNT applies of one call each, then batches of $CP_COUNT"
mkdir "$TOP/cp" || die "create $TOP/cp"
mkcgs() { # mkcgs FROM TO: cp/cFROM..cp/cTO (one mkdir for all of them)
	[ "$1" -le "$2" ] || return 0
	seq -f "$TOP/cp/c%.0f" "$1" "$2" | xargs mkdir || die "create $TOP/cp/c$1..c$2"
}
BATCHES=() # "FROM TO" of every batch applied
apply_batch() { # apply_batch FROM TO: loopback-only on cp/cFROM..cp/cTO in one call (timed)
	local args=() i before t0 t1
	for ((i = $1; i <= $2; i++)); do
		args+=(--cgroup "$TOPREL/cp/c$i")
		POLICED[$TOPREL/cp/c$i]=1
	done
	before=$(npolicies)
	t0=$EPOCHREALTIME
	"$BG" loopback-only "${args[@]}" >/dev/null 2>"$WORK/apply.err" ||
		die "apply loopback-only to cp/c$1..c$2: $(cat "$WORK/apply.err")"
	t1=$EPOCHREALTIME
	rec cp-batch "$1" - "$(($2 - $1 + 1)) $before $(($(usec "$t1") - $(usec "$t0")))"
	BATCHES+=("$1 $2")
}
apply_one() { # apply_one N: loopback-only on cp/cN, one call (timed)
	local t0 t1
	t0=$EPOCHREALTIME
	apply "$TOPREL/cp/c$1"
	t1=$EPOCHREALTIME
	rec cp-apply "$1" - $(($(usec "$t1") - $(usec "$t0")))
}
detach_batch() { # detach_batch FROM TO: the same cgroups, one call
	local args=() i
	for ((i = $1; i <= $2; i++)); do args+=(--cgroup "$TOPREL/cp/c$i"); done
	"$BG" detach "${args[@]}" >/dev/null 2>"$WORK/detach.err" ||
		die "detach cp/c$1..c$2: $(cat "$WORK/detach.err")"
	for ((i = $1; i <= $2; i++)); do unset "POLICED[$TOPREL/cp/c$i]"; done
}
mkcgs 1 $((LAST_POINT > CP_COUNT ? LAST_POINT - 1 : CP_COUNT))
base=$(npolicies)
scale_point() {
	local total
	total=$(npolicies)
	rec scale-count "p$1" - "$total"
	interleave "scale-p$1" "$SREPS" none-other bg-policy
}
next=1
for p in $SCALE_POINTS; do
	# p policed cgroups of ours: bg and p - 1 fillers.
	while [ $next -le $((p - 1)) ]; do
		if [ $next -le "$CP_COUNT" ]; then
			apply_one "$next"
			next=$((next + 1))
			continue
		fi
		to=$((next + CP_COUNT - 1))
		[ $to -le $((p - 1)) ] || to=$((p - 1))
		apply_batch "$next" "$to"
		next=$((to + 1))
	done
	scale_point "$p"
done
# The rest of the control-plane set (the timing covers applies 1..CP_COUNT).
while [ $next -le "$CP_COUNT" ]; do
	apply_one "$next"
	next=$((next + 1))
done
rec meta cp_policies_before - "$base"
rec meta max_policies - "$(max_policies)"

# One more apply and detach with every filler in force: what a change costs at scale
# (before --max-policies fills bindguard up).
mkdir "$TOP/cp/one" || die "create $TOP/cp/one"
rec cp-at-scale in_force - "$(npolicies)"
t0=$EPOCHREALTIME
apply "$TOPREL/cp/one"
t1=$EPOCHREALTIME
detach "$TOPREL/cp/one"
t2=$EPOCHREALTIME
rec cp-at-scale apply - $(($(usec "$t1") - $(usec "$t0")))
rec cp-at-scale detach - $(($(usec "$t2") - $(usec "$t1")))

if [ $MAXPOL = 1 ]; then
	# Fill up to the limit in batches, then one more apply must be refused.
	# BENCH_MAX_CAP=N stops at N policies in force (to try this path quickly).
	limit=$(max_policies)
	[ -n "${BENCH_MAX_CAP:-}" ] && [ "$BENCH_MAX_CAP" -lt "$limit" ] && limit=$BENCH_MAX_CAP
	have=$(npolicies)
	say "max policies: filling bindguard from $have to $limit policies"
	mkcgs "$next" $((next + limit - have))
	while [ "$have" -lt "$limit" ]; do
		to=$((next + CP_COUNT - 1))
		[ $to -le $((next + limit - have - 1)) ] || to=$((next + limit - have - 1))
		apply_batch "$next" "$to"
		have=$((have + to - next + 1))
		next=$((to + 1))
	done
	if [ -n "${BENCH_MAX_CAP:-}" ]; then
		rec meta max_refusal - "none: stopped by BENCH_MAX_CAP=$BENCH_MAX_CAP (a test setting)"
	elif "$BG" loopback-only --cgroup "$TOPREL/cp/c$next" >/dev/null 2>"$WORK/apply.err"; then
		POLICED[$TOPREL/cp/c$next]=1
		die "bindguard took policy $((have + 1)), beyond its limit of $limit"
	else
		rec meta max_refusal - "$(head -n 1 "$WORK/apply.err")"
	fi
	scale_point max
fi

# Detach the batches (one call each, newest first), then the set of single applies
# one command each (timed: the control plane again).
for ((b = ${#BATCHES[@]} - 1; b >= 0; b--)); do
	read -r from to <<<"${BATCHES[$b]}"
	before=$(npolicies)
	t0=$EPOCHREALTIME
	detach_batch "$from" "$to"
	t1=$EPOCHREALTIME
	rec cp-batch-detach "$from" - "$((to - from + 1)) $before $(($(usec "$t1") - $(usec "$t0")))"
done
t0=$EPOCHREALTIME
for ((i = CP_COUNT; i >= 1; i--)); do detach "$TOPREL/cp/c$i"; done
t1=$EPOCHREALTIME
rec cp-detach "$CP_COUNT" - $(($(usec "$t1") - $(usec "$t0")))

lap scale
# 4. Scale: exception rules (interleaved) --------------------------------------------
# Four families, N rules each; one rule admits the re-bind, the other N - 1 are
# prefixes that do not match it (10.a.b.0/24:8000-8099). The wildcard 0.0.0.0:P,
# admitted by an exact exception (0.0.0.0:1024-65535) or a prefix one
# (*:1024-65535). A specific address, 192.0.2.1, admitted by an exact exception
# (192.0.2.1) or a prefix one (192.0.2.0/24). Each is one trie lookup.
say "scale: exception rules ($RULE_COUNTS): wildcard and specific address, exact and prefix"
RULE_VARIANTS=(none-any none-other)
for k in $RULE_COUNTS; do
	for kind in e p a n; do
		mkdir "$TOP/r$kind$k" || die "create $TOP/r$kind$k"
		case $kind in
		e) args=(--allow 0.0.0.0:1024-65535) ;;
		p) args=(--allow '*:1024-65535') ;;
		a) args=(--allow "$OTHER_ADDR") ;;
		n) args=(--allow "${OTHER_ADDR%.*}.0/24") ;;
		esac
		for ((i = 1; i < k; i++)); do args+=(--allow "10.$((i / 256)).$((i % 256)).0/24:8000-8099"); done
		apply "$TOPREL/r$kind$k" "${args[@]}"
		case $kind in
		e | p) variant "rules-$kind-$k" "$TOP/r$kind$k" --addr 0.0.0.0 ;;
		*) variant "rules-$kind-$k" "$TOP/r$kind$k" --addr "$OTHER_ADDR" --expect EADDRNOTAVAIL ;;
		esac
		RULE_VARIANTS+=("rules-$kind-$k")
	done
done
interleave rules "$SREPS" "${RULE_VARIANTS[@]}"
for k in $RULE_COUNTS; do for kind in e p a n; do detach "$TOPREL/r$kind$k"; done; done

lap rules
# 5. Scale: depth below the policed cgroup (interleaved) -----------------------------
# Two trees: "deep" as applied by default, and "deepg" counting its allows (the
# counter slot read on each allowed bind too). Each level below the policed
# cgroup is one more policies-map lookup on the way up.
say "scale: socket cgroup $DEPTHS levels below the policed one"
DEPTH_VARIANTS=(none-other)
for t in deep deepg; do
	mkdir "$TOP/$t" || die "create $TOP/$t"
	if [ $t = deep ]; then
		apply "$TOPREL/$t" --allow "$OTHER_ADDR"
	else
		apply "$TOPREL/$t" --allow "$OTHER_ADDR" --count-allowed
	fi
	d=$TOP/$t
	for ((l = 1; l <= 16; l++)); do
		d=$d/l$l
		mkdir "$d" || die "create $d"
		DIRS[l]=$d
	done
	pre=depth-; [ $t = deep ] || pre=depthg-
	variant "${pre}0" "$TOP/$t" --addr "$OTHER_ADDR" --expect EADDRNOTAVAIL
	DEPTH_VARIANTS+=("${pre}0")
	for l in $DEPTHS; do
		variant "$pre$l" "${DIRS[l]}" --addr "$OTHER_ADDR" --expect EADDRNOTAVAIL
		DEPTH_VARIANTS+=("$pre$l")
	done
done
interleave depth "$SREPS" "${DEPTH_VARIANTS[@]}"
detach "$TOPREL/deep"
detach "$TOPREL/deepg"

lap depth
# 6. Event pipeline ---------------------------------------------------------------------
# pipeline NAME PROCS COUNT PACE-US [stats NAME]: one run of `bindbench pipeline`
# in a fresh policed cgroup. `bindguard events` admits one reader at a time: while
# someone else's reader runs, wait for it (up to $EV_WAIT s).
pipeline() {
	local rel=$TOPREL/$1 out rc a b waited=0 try=1 id
	mkdir "$TOP/$1" || die "create $TOP/$1"
	apply "$rel"
	while :; do
		if [ "${5:-}" = stats ]; then
			id=$(prog_id "$TOP/$1")
			read -r -a a < <(prog_stats "$id")
			stats_set 1
		fi
		out=$("$BB" pipeline --bindguard "$BG" --cgroup "$TOP/$1" --cgpath "$rel" \
			--procs "$2" --count "$3" --pace-us "$4" \
			$([ "${5:-}" = burst ] && echo --burst "$6") 2>"$WORK/pipeline.err")
		rc=$?
		if [ "${5:-}" = stats ]; then
			stats_set "$STATS_ORIG"
			read -r -a b < <(prog_stats "$id")
		fi
		if [ $rc = 3 ] && [ $waited -lt "$EV_WAIT" ]; then
			[ $waited = 0 ] && say "another \`bindguard events\` reader is running; waiting up to $EV_WAIT s"
			sleep 2
			waited=$((waited + 2))
			continue
		fi
		# Program runs by others during a stats run: try again (3 times at most).
		if [ $rc = 0 ] && [ "${5:-}" = stats ] && [ $(((b[1] - a[1] - $3) * 1000)) -gt "$3" ] &&
			[ $try -lt 3 ]; then
			try=$((try + 1))
			detach "$rel"
			rmdir "$TOP/$1"
			mkdir "$TOP/$1" || die "create $TOP/$1"
			apply "$rel"
			continue
		fi
		break
	done
	if [ $rc = 3 ]; then
		rec pipeline "$1" skipped "$(tr '\n' ' ' <"$WORK/pipeline.err")"
		say "pipeline $1 skipped: $(cat "$WORK/pipeline.err")"
		return
	fi
	[ $rc = 0 ] || say "warning: pipeline $1: $(cat "$WORK/pipeline.err")"
	rec pipeline "$1" result "$out"
	rec pipeline "$1" counters "$(counters "$rel")"
	if [ "${5:-}" = stats ]; then
		rec bpfstats "$6" runs $((b[1] - a[1]))
		rec bpfstats "$6" ns $((b[0] - a[0]))
		rec bpfstats "$6" expected "$3"
	fi
}
say "event pipeline: storm of $STORM_PROCS x $STORM_COUNT denials, then $PACED_COUNT paced ones"
pipeline storm "$STORM_PROCS" "$STORM_COUNT" 0
pipeline paced 1 "$PACED_COUNT" "$PACE_US" stats bg-deny-queued
say "event pipeline: $SUS_PROCS x $SUS_COUNT denials paced to 100,000/s together"
pipeline sustained "$SUS_PROCS" "$SUS_COUNT" "$SUS_PACE_US" burst "$SUS_BURST"

# A storm in one cgroup while a sibling cgroup, with its own policy, denies once
# per 10 ms: every one of the quiet cgroup's events must arrive (one reader
# follows both: `events --cgroup` on their parent).
say "event pipeline: storm in one cgroup, $FAIR_COUNT paced denials in another"
mkdir -p "$TOP/fair/storm" "$TOP/fair/quiet" || die "create $TOP/fair"
apply "$TOPREL/fair/storm"
apply "$TOPREL/fair/quiet"
for ((waited = 0; ; waited += 2)); do
	out=$("$BB" pipeline --bindguard "$BG" --cgroup "$TOP/fair/storm" --cgpath "$TOPREL/fair" \
		--procs "$STORM_PROCS" --count "$STORM_COUNT" --quiet-cgroup "$TOP/fair/quiet" \
		--quiet-count "$FAIR_COUNT" --quiet-pace-us 10000 2>"$WORK/pipeline.err")
	rc=$?
	[ $rc = 3 ] && [ $waited -lt "$EV_WAIT" ] && { sleep 2; continue; }
	break
done
if [ $rc = 3 ]; then
	rec pipeline fair skipped "$(tr '\n' ' ' <"$WORK/pipeline.err")"
else
	[ $rc = 0 ] || say "warning: pipeline fair: $(cat "$WORK/pipeline.err")"
	rec pipeline fair result "$out"
	rec pipeline fair counters "$(counters "$TOPREL/fair/storm")"
fi
detach "$TOPREL/fair/quiet"
detach "$TOPREL/fair/storm"

lap pipeline
# 7. `bindguard run -- true` against `true` (interleaved) ------------------------------
say "control plane: bindguard run -- true vs true, $RUN_REPS times each"
for ((i = 1; i <= RUN_REPS; i++)); do
	t0=$EPOCHREALTIME
	true_bin=$(type -P true)
	"$true_bin"
	t1=$EPOCHREALTIME
	"$BG" run --loopback-only --quiet -- "$true_bin" >/dev/null 2>&1 || die "bindguard run -- true failed"
	t2=$EPOCHREALTIME
	rec run-true true "$i" $(($(usec "$t1") - $(usec "$t0")))
	rec run-true bindguard "$i" $(($(usec "$t2") - $(usec "$t1")))
done

# 8. The agent: a cgroup made again, from mkdir to the first bind its policy refuses -------
# (the window a process in a restarted service could bind in before its policy is back).
if [ -e /run/bindguard/agent.lock ] && ! flock -n /run/bindguard/agent.lock true; then
	rec agent-window skipped - "a bindguard agent already runs on this machine"
else
	say "the agent: a policed cgroup made again, $AGENT_REPS times"
	mkdir -p "$WORK/agent-conf" "$TOP/agentwin/svc"
	printf '[Policy]\nCgroup=%s\nPreset=loopback-only\n' "$TOPREL/agentwin/svc" \
		>"$WORK/agent-conf/svc.conf"
	"$BG" agent --config "$WORK/agent-conf" --events none 2>"$WORK/agent.err" &
	AGENT_PID=$!
	for _ in $(seq 100); do grep -q "watching" "$WORK/agent.err" && break; sleep 0.05; done
	grep -q "watching" "$WORK/agent.err" || die "the agent did not start: $(cat "$WORK/agent.err")"
	POLICED["$TOPREL/agentwin/svc"]=1
	for ((i = 1; i <= AGENT_REPS; i++)); do
		us=$(python3 "$ROOT/tests/integration/recreate_window.py" "$TOP/agentwin/svc")
		[ "$us" = never ] && die "the agent never applied the policy of a recreated cgroup"
		rec agent-window recreated "$i" "$us"
	done
	kill -TERM "$AGENT_PID"
	wait "$AGENT_PID"
	rec=$("$BG" apply --config "$WORK/agent-conf" --dry-run --json 2>/dev/null |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["record"])')
	[[ $rec == /run/bindguard/config/*.json ]] && rm -f "$rec"
fi

rec meta bg_tag_end - "$(prog_tag "$TOP/paced")"
# Another bindguard build applying a policy meanwhile replaces the programs of
# every link: the figures would then mix two builds, so none are written.
[ "$(prog_tag "$TOP/paced")" = "$(sed -n 's/^meta\tbg_tag_start\t-\t//p' "$RAW")" ] ||
	die "bindguard's bind4 program changed during the run: another bindguard build applied a policy meanwhile; no report written, run again"

lap run
# --- clean up, verify, report ------------------------------------------------------
T_END=$EPOCHREALTIME
rec meta elapsed_s - $((($(usec "$T_END") - $(usec "$T_BEGIN")) / 1000000))
cleanup
left=""
[ -e "$TOP" ] && left="$left cgroup $TOP;"
[ -e "$PIN" ] && left="$left pin $PIN;"
[ "$(cat "$STATS_SYSCTL")" = "$STATS_ORIG" ] || left="$left kernel.bpf_stats_enabled;"
if json_status | grep -q "\"$TOPREL"; then left="$left policies under $TOPREL;"; fi
[ -z "$left" ] || die "left behind:$left"
rec check cleanup - "verified: no cgroup, pin or policy left; bpf_stats_enabled=$STATS_ORIG"

mkdir -p "$OUTDIR"
cmd="sudo make bench"
[ $QUICK = 1 ] && cmd="sudo make bench BENCH_QUICK=1"
[ $MAXPOL = 1 ] && cmd="sudo make bench BENCH_MAX=1"
cp "$RAW" "$(dirname "$BB")/bench-raw.tsv" # the measurements, for report.py alone
python3 "$ROOT/bench/report.py" "$RAW" "$OUTDIR" "$cmd" || die "report failed"
say "wrote $OUTDIR/BENCHMARKS.md and $OUTDIR/benchmarks.json"
