#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Turn the raw measurements of bench/run.sh into BENCHMARKS.md and benchmarks.json.

Usage: report.py RAW.tsv OUTDIR COMMAND

RAW.tsv lines: SECTION <tab> NAME <tab> REP <tab> VALUE. Re-bind timings are ns per
bind; "added" figures are medians of per-repetition differences against the
no-program run of the same repetition (runs are interleaved, so the pairs ran
seconds apart and machine drift cancels).
"""
import json
import os
import random
import statistics
import sys
from collections import defaultdict

import workloads

raw_path, outdir, command = sys.argv[1], sys.argv[2], sys.argv[3]
rows = defaultdict(lambda: defaultdict(dict))  # section -> name -> rep -> value
meta = {}
with open(raw_path) as f:
    for line in f:
        sec, name, rep, val = line.rstrip("\n").split("\t", 3)
        if sec == "meta":
            meta[name] = val
        else:
            rows[sec][name][rep] = val

QUICK = meta.get("quick") == "1"


def med(xs):
    return statistics.median(xs) if xs else None


def series(sec, name):
    return {r: float(v) for r, v in rows[sec][name].items()}


def timing(sec, name, base):
    """Median ns/bind, and median of paired differences to the baseline."""
    v, b = series(sec, name), series(sec, base)
    if not v:
        return None
    pairs = [v[r] - b[r] for r in v if r in b]
    return {
        "ns_per_bind": round(med(list(v.values())), 1),
        "min": round(min(v.values()), 1),
        "max": round(max(v.values()), 1),
        "runs": len(v),
        "baseline": base,
        "added_ns": round(med(pairs), 1) if pairs else 0.0,
        "_pairs": {r: v[r] - b[r] for r in v if r in b},
    }


RNG = random.Random(1)  # fixed seed: the report is a function of the data


def boot(stat, *samples, joint=False, n=2000):
    """95 % bootstrap interval of stat(*resampled). Joint: the samples are
    dicts keyed by repetition and are resampled together (paired)."""
    out = []
    for _ in range(n):
        if joint:
            keys = list(samples[0])
            pick = [RNG.choice(keys) for _ in keys]
            res = [[smp[k] for k in pick] for smp in samples]
        else:
            res = [[RNG.choice(smp) for _ in smp] for smp in samples]
        try:
            out.append(stat(*res))
        except ZeroDivisionError:
            continue
    out.sort()
    if not out:
        return None, None
    return out[int(0.025 * (len(out) - 1))], out[int(0.975 * (len(out) - 1))]


def rel_change(point, first):
    """Change of a point's added cost relative to the first point, with a 95 %
    interval (the points ran at different times: resampled independently)."""
    a, b = list(point["_pairs"].values()), list(first["_pairs"].values())
    r = point["added_ns"] / first["added_ns"] - 1 if first["added_ns"] else None
    lo, hi = boot(lambda x, y: med(x) / med(y) - 1, a, b)
    if r is None:
        verdict = "n/a"
    elif abs(r) <= 0.10:
        verdict = "within 10 %"
    elif lo is not None and lo <= 0.10 and hi >= -0.10:
        verdict = "within noise"
    else:
        verdict = "outside 10 %"
    return {"change": round(r, 3) if r is not None else None,
            "ci95": [round(lo, 3), round(hi, 3)] if lo is not None else None,
            "verdict": verdict}


def polyfit2(xs, ys):
    """Least-squares y = c0 + c1 x + c2 x^2 (normal equations, Cramer's rule)."""
    if len(xs) < 3:
        return None
    S = [sum(x ** k for x in xs) for k in range(5)]
    T = [sum(y * x ** k for x, y in zip(xs, ys)) for k in range(3)]
    A = [[S[0], S[1], S[2]], [S[1], S[2], S[3]], [S[2], S[3], S[4]]]

    def det(m):
        return (m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
                - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]))
    d = det(A)
    if not d:
        return None
    out = []
    for c in range(3):
        m = [row[:] for row in A]
        for r in range(3):
            m[r][c] = T[r]
        out.append(det(m) / d)
    return out


def fmt(x, nd=1):
    return "n/a" if x is None else f"{x:.{nd}f}"


def ratio(a, b):
    return None if a is None or not b else a / b


J = {
    "machine": {
        "cpu": meta.get("cpu"),
        "cpus": int(meta.get("ncpu", 0)),
        "memory_gib": float(meta.get("mem_gib", 0)),
        "kernel": meta.get("kernel"),
        "kernel_build": meta.get("kernel_version"),
    },
    "date": meta.get("date"),
    "bindguard": meta.get("bindguard"),
    "bpftool": meta.get("bpftool"),
    "command": command,
    "quick": QUICK,
    "method": {
        "binds_per_run": int(meta["n"]),
        "repetitions": int(meta["reps"]),
        "scale_repetitions": int(meta["scale_reps"]),
        "pinned_cpu": int(meta["cpu_pinned"]),
        "other_policies_at_start": int(meta.get("other_policies", 0)),
        "elapsed_s": int(meta.get("elapsed_s", 0)),
        "bind4_prog_tag_start": meta.get("bg_tag_start"),
        "bind4_prog_tag_end": meta.get("bg_tag_end"),
        "bpf_object": meta.get("bg_object"),
    },
}

# --- hook cost --------------------------------------------------------------------
hook = {}
for name, base in [("none", "none"), ("none-any", "none-any"), ("none-other", "none-other"),
                   ("empty", "none"), ("bg-allow", "none"), ("bg-policy", "none-other"),
                   ("bg-counted", "none-other"), ("bg-rules", "none-other"), ("bg-wild", "none-any"),
                   ("bg-dw", "none-other"),
                   ("bg-dw-counted", "none-other"), ("bg-deny", "none-any"), ("landlock", "none")]:
    t = timing("hook", name, base)
    if t:
        hook[name] = t
stats = {}
for name in rows["bpfstats"]:
    runs = int(rows["bpfstats"][name]["runs"])
    ns = int(rows["bpfstats"][name]["ns"])
    exp = int(rows["bpfstats"][name]["expected"])
    # bindguard's program is one program for every policed cgroup on the
    # machine: runs beyond the benchmark's own binds are someone else's.
    stats[name] = {"runs": runs, "expected_runs": exp, "others_runs": runs - exp,
                   "run_time_ns": ns, "ns_per_run": round(ns / runs, 1) if runs else None}
empty_add = hook["empty"]["added_ns"]
for name, t in hook.items():
    t["x_empty_added"] = (round(t["added_ns"] / empty_add, 2)
                          if name not in ("none", "none-any", "none-other") and empty_add > 0
                          else None)
# Every allow path against the empty program's added cost, the floor: a cgroup
# program merely running costs that much on this kernel. Target: at most 2x.
ALLOW_PATHS = (("bg-allow", "loopback (127.0.0.1: no map read)"),
               ("bg-dw", "a specific address deny-wildcard admits (192.0.2.1)"),
               ("bg-policy", "an address admitted by an exception, 1 rule (192.0.2.1)"),
               ("bg-rules", "an address admitted by an exception, 1,024 rules (192.0.2.1)"),
               ("bg-wild", "the wildcard admitted by an exception (0.0.0.0:1024-65535)"))
allow_paths = {}
for key, label in ALLOW_PATHS:
    if key not in hook:
        continue
    add = hook[key]["added_ns"]
    ci = boot(lambda x, y: med(x) / med(y), hook[key]["_pairs"], hook["empty"]["_pairs"],
              joint=True)
    allow_paths[key] = {
        "label": label, "bindguard_added_ns": add, "empty_added_ns": empty_add,
        "ratio": round(add / empty_add, 2) if empty_add > 0 else None,
        "ratio_ci95": [round(x, 2) for x in ci] if ci[0] is not None else None,
        "holds": empty_add > 0 and add <= 2 * empty_add,
    }
targets = {"allow_paths_added_le_2x_empty": allow_paths}
# Landlock's TCP bind rule is the peer, not a target: on this kernel merely
# running an empty cgroup program costs more than Landlock's rule.
ll = hook.get("landlock")
bg_add = hook["bg-allow"]["added_ns"]
ll_ci = (boot(lambda x, y: med(x) - med(y), hook["bg-allow"]["_pairs"],
              ll["_pairs"], joint=True) if ll else (None, None))
peer = {"landlock_added_ns": ll["added_ns"] if ll else None,
        "loopback_allow_added_ns": bg_add, "empty_added_ns": empty_add,
        "loopback_minus_landlock_ci95": [round(x, 1) for x in ll_ci] if ll_ci[0] is not None
        else None}
J["hook_cost"] = {"variants": hook, "bpf_stats": stats}

# --- scale --------------------------------------------------------------------------
def family(points):
    """Each point against the first; the family holds when every point is within
    10 %, holds within the noise when none is clearly outside."""
    for p in points[1:]:
        p["vs_first"] = rel_change(p, points[0])
    vs = [p["vs_first"]["verdict"] for p in points[1:]]
    if not vs:
        return {"verdict": "n/a", "holds": None}
    if all(v == "within 10 %" for v in vs):
        return {"verdict": "holds", "holds": True}
    if "outside 10 %" not in vs:
        return {"verdict": "holds within the measurement noise", "holds": None}
    return {"verdict": "does not hold", "holds": False}


scale_pol = []
for sec in sorted((s for s in rows if s.startswith("scale-p")),
                  key=lambda s: (s == "scale-pmax", int(s[7:]) if s[7:].isdigit() else 0)):
    p = sec[7:]
    t = timing(sec, "bg-policy", "none-other")
    t["none_ns_per_bind"] = timing(sec, "none-other", "none-other")["ns_per_bind"]
    t["ours"] = p
    t["policed_total"] = int(rows["scale-count"]["p" + p]["-"])
    scale_pol.append(t)
# The rules scale: four families (bench/run.sh section 4), each against the
# no-program re-bind of the address it binds.
RULE_FAMILIES = (("e", "wildcard_exact", "none-any"), ("p", "wildcard_prefix", "none-any"),
                 ("a", "address_exact", "none-other"), ("n", "address_prefix", "none-other"))
rule_pts = {key: [] for _, key, _ in RULE_FAMILIES}
for kind, key, base in RULE_FAMILIES:
    pre = f"rules-{kind}-"
    for name in sorted((n for n in rows["rules"] if n.startswith(pre)),
                       key=lambda n: int(n[len(pre):])):
        t = timing("rules", name, base)
        t["rules"] = int(name[len(pre):])
        rule_pts[key].append(t)
def depth_series(pre):
    pts = []
    for name in sorted((n for n in rows["depth"] if n.startswith(pre)),
                       key=lambda n: int(n[len(pre):])):
        t = timing("depth", name, "none-other")
        t["levels_below"] = int(name[len(pre):])
        pts.append(t)
    return pts


def per_level(pts):
    """Least-squares slope of the added cost over the levels below (ns per level)."""
    if len(pts) < 2:
        return None
    xs = [p["levels_below"] for p in pts]
    ys = [p["added_ns"] for p in pts]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return round(sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx, 1) if sxx else None


# depth-: the policy as applied by default; depthg-: the same policy counting
# its allows (--count-allowed). Both on the one pair of bind programs.
depth_pts = depth_series("depth-")
depth_cnt = depth_series("depthg-")
below = [p for p in depth_pts if p["levels_below"] > 0]
below_cnt = [p for p in depth_cnt if p["levels_below"] > 0]
scale_flat = {
    "policed_cgroups": family(scale_pol),
    "depth, default": family(below),
    "depth, counting allows": family(below_cnt),
    "rules, wildcard by exact exception": family(rule_pts["wildcard_exact"]),
    "rules, wildcard by prefix exception": family(rule_pts["wildcard_prefix"]),
    "rules, specific address by exact exception": family(rule_pts["address_exact"]),
    "rules, specific address by prefix exception": family(rule_pts["address_prefix"]),
}
targets["scale_flat_within_10pct"] = {k: v["verdict"] for k, v in scale_flat.items()}

max_pol = int(meta.get("max_policies_header", 4096))
usable = int(meta.get("max_policies", max_pol - 1))  # this machine's (per-CPU counters)
in_force = [p["policed_total"] for p in scale_pol]
J["scale"] = {
    "policed_cgroups": scale_pol,
    "depth": depth_pts,
    "depth_counting_allows": depth_cnt,
    "depth_added_ns_per_level": {"default": per_level(depth_pts),
                                 "counting_allows": per_level(depth_cnt)},
    "exception_rules": rule_pts,
    "flatness": scale_flat,
    "policy_limit": {
        "requested": 10000,
        "BG_MAX_POLICIES": max_pol,
        "usable": usable,
        "supported": usable >= 10000,
        "largest_point_in_force": max(in_force) if in_force else None,
        "refusal": meta.get("max_refusal"),
    },
}

# --- control plane ------------------------------------------------------------------
ap = sorted((int(n), int(v["-"])) for n, v in rows["cp-apply"].items())
us = [v for _, v in ap]
base = int(meta.get("cp_policies_before", 0))
cp = {"cgroups": len(us), "policies_before": base}
if us:
    tenth = max(1, len(us) // 10)
    cp.update({
        "apply_total_s": round(sum(us) / 1e6, 2),
        "apply_mean_ms": round(statistics.mean(us) / 1e3, 2),
        "apply_first_10pct_mean_ms": round(statistics.mean(us[:tenth]) / 1e3, 2),
        "apply_last_10pct_mean_ms": round(statistics.mean(us[-tenth:]) / 1e3, 2),
    })
    # Least squares: apply time (us) = c0 + c1 n + c2 n^2, n = policies already
    # in force (ours before the set, plus the set's earlier applies).
    xs = [base + i for i in range(len(us))]
    coef = polyfit2(xs, us) if len(us) >= 200 else None
    if coef:
        cp["apply_us_fit"] = {"c0": round(coef[0], 1), "c1_per_policy": round(coef[1], 3),
                              "c2_per_policy2": round(coef[2], 6)}
    for at in (100, 500, 1000):
        win = [u for x, u in zip(xs, us) if at - 10 <= x < at + 10]
        if win:
            cp[f"apply_ms_at_{at}"] = round(statistics.mean(win) / 1e3, 2)


def batches(sec):
    out = []
    for first, v in sorted(rows[sec].items(), key=lambda kv: int(kv[0])):
        count, before, usec = (int(x) for x in v["-"].split())
        out.append({"first": int(first), "cgroups": count, "in_force_before": before,
                    "s": round(usec / 1e6, 6)})
    return out


cp["batches"] = batches("cp-batch")
cp["batch_detaches"] = batches("cp-batch-detach")
if cp["batches"]:
    b = cp["batches"]
    cp["batch_apply_total_s"] = round(sum(x["s"] for x in b), 2)
    cp["batch_apply_cgroups"] = sum(x["cgroups"] for x in b)
if cp["batch_detaches"]:
    b = cp["batch_detaches"]
    cp["batch_detach_total_s"] = round(sum(x["s"] for x in b), 2)
    cp["batch_detach_cgroups"] = sum(x["cgroups"] for x in b)
if "cp-at-scale" in rows:
    r = rows["cp-at-scale"]
    cp["at_scale"] = {"in_force": int(r["in_force"]["-"]),
                      "apply_ms": round(int(r["apply"]["-"]) / 1e3, 2),
                      "detach_ms": round(int(r["detach"]["-"]) / 1e3, 2)}
if rows["cp-detach"]:
    (n, v), = rows["cp-detach"].items()
    cp["detach_total_s"] = round(int(v["-"]) / 1e6, 2)
    cp["detach_mean_ms"] = round(int(v["-"]) / 1e3 / int(n), 2)
J["control_plane"] = cp
if "apply_ms_at_1000" in cp:
    targets["apply_at_1000_policies_under_10ms"] = {
        "apply_ms": cp["apply_ms_at_1000"], "holds": cp["apply_ms_at_1000"] < 10}

# --- event pipeline -----------------------------------------------------------------
pipe = {}
for name in ("storm", "paced", "sustained", "fair"):
    r = rows["pipeline"].get(name)
    if not r:
        continue
    if "skipped" in r:
        pipe[name] = {"skipped": r["skipped"]}
        continue
    d = json.loads(r["result"])
    allowed, denied, lost = (int(x) for x in r["counters"].split())
    d["counted_denied"] = denied
    d["counted_lost"] = lost
    d["denials_match_counter"] = d["denials"] == denied
    d["delivered_plus_lost_equals_denials"] = d["delivered"] + lost == d["denials"]
    d["consumer_us_per_event"] = (round(d["consumer_cpu_s"] * 1e6 / d["delivered"], 2)
                                  if d["delivered"] else None)
    span = max(d["storm_s"], d["last_line_s"])
    d["consumer_cpu_pct"] = round(100 * d["consumer_cpu_s"] / span, 1) if span else None
    d["denials_per_s"] = round(d["denials"] / d["storm_s"]) if d["storm_s"] else None
    d["delivered_per_s"] = round(d["delivered"] / d["last_line_s"]) if d["last_line_s"] else None
    pipe[name] = d
fair = pipe.get("fair")
if fair and "skipped" not in fair:
    targets["quiet_cgroup_events_all_arrive"] = {
        "quiet_denials": fair["quiet_denials"], "quiet_delivered": fair["quiet_delivered"],
        "holds": fair["quiet_denials"] > 0 and fair["quiet_delivered"] == fair["quiet_denials"],
    }
if "run-true" in rows:
    tt = [float(v) for v in rows["run-true"]["true"].values()]
    tb = [float(v) for v in rows["run-true"]["bindguard"].values()]
    cp["run_true_ms"] = round(med(tt) / 1000, 2)
    cp["run_bindguard_true_ms"] = round(med(tb) / 1000, 2)
    cp["run_overhead_ms"] = round((med(tb) - med(tt)) / 1000, 2)
    cp["run_reps"] = len(tb)
if "agent-window" in rows and "recreated" in rows["agent-window"]:
    aw = [float(v) / 1000 for v in rows["agent-window"]["recreated"].values()]
    cp["agent_window_ms"] = {"median": round(med(aw), 2), "max": round(max(aw), 2),
                             "reps": len(aw)}
sus = pipe.get("sustained")
if sus and "skipped" not in sus:
    targets["no_loss_at_100k_per_s"] = {
        "denials_per_s": sus["denials_per_s"], "lost": sus["counted_lost"],
        "reached_100k_per_s": bool(sus["denials_per_s"]) and sus["denials_per_s"] >= 95000,
        "holds": bool(sus["denials_per_s"]) and sus["denials_per_s"] >= 95000
        and sus["counted_lost"] == 0 and sus["delivered"] == sus["denials"],
    }
targets["pipeline_accounting_exact"] = all(
    p.get("delivered_plus_lost_equals_denials") and p.get("denials_match_counter")
    for p in pipe.values() if "skipped" not in p) if pipe else None
J["event_pipeline"] = pipe
J["targets"] = targets
J["landlock_peer"] = peer
J["cleanup"] = rows["check"]["cleanup"]["-"] if "cleanup" in rows["check"] else None
J["workloads"] = workloads.analyse(rows, meta, boot, (hook.get("empty") or {}).get("added_ns"))
J["method"]["section_seconds"] = {k[2:]: int(v) for k, v in meta.items() if k.startswith("t_")}

def public(o):
    if isinstance(o, dict):
        return {k: public(v) for k, v in o.items() if not k.startswith("_")}
    if isinstance(o, list):
        return [public(v) for v in o]
    return o


os.makedirs(outdir, exist_ok=True)
with open(os.path.join(outdir, "benchmarks.json"), "w") as f:
    json.dump(public(J), f, indent=2)
    f.write("\n")

# --- Markdown -----------------------------------------------------------------------
def yn(b):
    return "**holds**" if b else "**does not hold**"


m = J["machine"]
L = []
w = L.append
w("# bindguard benchmarks")
w("")
w("Written by `make bench` (bench/run.sh, bench/workloads.sh, bench/workload.c, "
  "bench/bindbench.c, bench/report.py, bench/workloads.py); the same")
w("figures are in `benchmarks.json`. Do not edit by hand: run the benchmark again.")
if QUICK:
    w("")
    w("**Quick mode**: tiny sizes that only check the benchmark builds and runs. These "
      "figures are not measurements.")
w("")
w("| | |")
w("|---|---|")
w(f"| machine | {m['cpu']}, {m['cpus']} CPUs, {m['memory_gib']} GiB (shared VM) |")
w(f"| kernel | {m['kernel']} ({m['kernel_build']}) |")
w(f"| date | {J['date']} |")
w(f"| bindguard | {J['bindguard']} (BPF object: {J['method']['bpf_object'] or 'unknown'}) |")
w(f"| reproduce | `{command}` (root; about {J['method']['elapsed_s']} s here) |")
w(f"| method | {J['method']['binds_per_run']:,} re-binds per run, pinned to CPU "
  f"{J['method']['pinned_cpu']}; {J['method']['repetitions']} interleaved repetitions "
  f"(scale: {J['method']['scale_repetitions']}); medians |")
w(f"| other policies present | {J['method']['other_policies_at_start']} "
  f"(not the benchmark's) when it started |")
w("")
L.extend(workloads.markdown(J, yn))
w("## Per-bind hook cost")
w("")
w("A TCP socket bound to 127.0.0.1:P is bound again, to the same address, in a loop: "
  "the kernel runs the LSM hook and the cgroup bind4 programs, then fails with EINVAL "
  "(already bound) before any port search. *Added* is the median over repetitions of "
  "(variant − no program) from the same repetition. *Own time* is the program's "
  "run_time_ns / run_cnt from the kernel's BPF statistics (a separate run with "
  "kernel.bpf_stats_enabled=1, which adds its own clock reads to every run).")
w("")
w("| variant | ns/bind | added over no program | × the empty program's added | program's own time (ns/run) |")
w("|---|---:|---:|---:|---:|")
labels = [
    ("none", "no program (re-bind 127.0.0.1)", None),
    ("none-any", "no program (re-bind 0.0.0.0)", None),
    ("none-other", "no program (re-bind 192.0.2.1 → EADDRNOTAVAIL)", None),
    ("empty", "empty program, `return 1` (the floor)", "empty"),
    ("bg-allow", "bindguard loopback-only, allow path (127.0.0.1: no map read)", "bg-allow"),
    ("bg-dw", "bindguard deny-wildcard, a specific address (192.0.2.1, admitted by the preset) ⁵",
     "bg-dw"),
    ("bg-dw-counted", "bindguard, as ⁵ with `--count-allowed` (the policy counts its allows) ⁶",
     "bg-dw-counted"),
    ("bg-policy", "bindguard, allow decided by the policy (192.0.2.1, an exception) ³",
     "bg-policy"),
    ("bg-counted", "bindguard, as ³ with `--count-allowed` (the policy counts its allows) ⁶",
     "bg-counted"),
    ("bg-rules", "bindguard, as ³ with 1,024 exception rules (one admits 192.0.2.1) ³",
     "bg-rules"),
    ("bg-wild", "bindguard, the wildcard admitted by an exception (0.0.0.0:1024-65535) ⁴",
     "bg-wild"),
    ("bg-deny", "bindguard loopback-only, deny path (0.0.0.0 → EPERM) ¹", "bg-deny"),
    ("landlock", "Landlock, TCP bind rule for the port", None),
]
for key, label, sk in labels:
    t = hook.get(key)
    if not t:
        w(f"| {label} | n/a | n/a | n/a | n/a |")
        continue
    own = fmt(stats[sk]["ns_per_run"]) if sk and sk in stats else "–"
    add = "–" if key in ("none", "none-any", "none-other") else f"{t['added_ns']:+.1f}"
    x = fmt(t["x_empty_added"], 2) if t["x_empty_added"] is not None else "–"
    w(f"| {label} | {t['ns_per_bind']:.1f} | {add} | {x} | {own} |")
if "bg-deny-queued" in stats:
    w(f"| bindguard deny path, event queued, reader waiting ² | | | | "
      f"{fmt(stats['bg-deny-queued']['ns_per_run'])} |")
w("")
w("¹ A refused bind returns before `__inet_bind`, so it skips work the EINVAL re-binds do: "
  "its *added* figure (against the no-program re-bind of 0.0.0.0) understates the "
  "program; read its own time. In a storm like this one the ring is soon half full and "
  "most events are counted as lost instead of queued (the fairness limit), so this is the "
  "storm path.  ")
w("² The paced run of the event pipeline below (one denial per millisecond, "
  "`bindguard events` waiting): every event is written to the ring and wakes the reader.  ")
w("³ A specific non-loopback address the policy admits through an exception. Every "
  "policy's links run the same pair of bind programs (bg_bind4/bg_bind6). The program "
  "reaches the socket (full object: `bpf_cast_to_kern_ctx`; compat object: "
  "`bpf_skc_to_tcp_sock`), reads its cgroup's id and looks it up in the policies hash: "
  "one lookup, the socket being in the policed cgroup itself (the depth table below "
  "adds levels). The preset refuses the address, so the exceptions are asked: one "
  "lookup of (the policy's ruleset, the address) in the exceptions trie, whose longest "
  "match carries the ports of every rule containing it. A loopback bind skips all of "
  "that: it is allowed "
  "before any map is read. Against the no-program re-bind of the same address. The "
  "scale tables below measure this path.  ")
w("⁴ loopback-only with `--allow 0.0.0.0:1024-65535`, re-binding 0.0.0.0: the policy "
  "found as in ³ (one hash lookup); the preset refuses the wildcard, which the exception "
  "admits: one trie lookup, as in ³. Against the no-program re-bind of 0.0.0.0.  ")
w("⁵ deny-wildcard, re-binding 192.0.2.1: the allow path of that preset. The policy "
  "found as in ³ (one hash lookup); the preset admits a specific address, so no "
  "exception is asked. Against the no-program re-bind of the same address.  ")
w("⁶ The same policy as the row above it, applied with `--count-allowed`: the binds it "
  "allows are counted (status ALLOWED): after the decision, the policy's slot in the "
  "per-CPU counters array is looked up and incremented. Off by default; the rows without "
  "it do not count. The programs are the same: the policy's flag selects the counting.")
extra = {k: v["others_runs"] for k, v in stats.items() if v["others_runs"]}
if extra:
    w("")
    w("Program runs by other processes during these counts (bindguard's program is shared "
      "by every policed cgroup on the machine): "
      + ", ".join(f"{k} {v:+,}" for k, v in extra.items()) + ".")
w("")
w("Targets: each allow path adds at most 2 × what the empty program adds (the floor: on "
  "this kernel, with retpolines and PTI, merely running a cgroup program costs that much).")
w("")
for key, t in allow_paths.items():
    ci = t["ratio_ci95"]
    w(f"- {t['label']}: {t['bindguard_added_ns']:+.1f} ns vs 2 × {empty_add:+.1f} ns "
      f"(ratio {fmt(t['ratio'], 2)}"
      + (f", 95 % interval {ci[0]:.2f}–{ci[1]:.2f}" if ci else "") + f"): {yn(t['holds'])}.")
if ll:
    ci = peer["loopback_minus_landlock_ci95"]
    w(f"- Landlock's TCP bind rule, the peer (not a target: it adds less than any cgroup "
      f"program can): {ll['added_ns']:+.1f} ns; bindguard's loopback allow "
      f"{bg_add:+.1f} ns"
      + (f" (difference 95 % interval {ci[0]:+.1f} to {ci[1]:+.1f} ns)" if ci else "") + ".")
w("")
w("Intervals: bootstrap over the repetitions (2,000 resamples, fixed seed).")
w("")
w("## Scale of the policy-decided allow path")
w("")
w("Each table is one interleaved set of runs (no program and the variants side by "
  "side); *vs first* compares the added cost with the table's first row. Flat means "
  "within 10 %.")
w("")
w("### Policed cgroups")
w("")
w(f"The bench cgroup (re-binding 192.0.2.1, admitted by an exception: the path of ³, one "
  f"lookup in the policies hash, which holds every policy in force) and N − 1 sibling "
  f"cgroups, each with its own policy (and links). "
  f"Each row was measured when that many policies were in force; *in force* counts "
  f"every bindguard policy on the machine.")
w("")
w("| policed cgroups | in force | no program ns/bind | bindguard ns/bind | added | vs first (95 % interval) |")
w("|---:|---:|---:|---:|---:|---:|")
def vsfmt(p):
    v = p.get("vs_first")
    if not v:
        return "–"
    if v["change"] is None:
        return "n/a"
    ci = v["ci95"]
    return (f"{v['change'] * 100:+.0f} %"
            + (f" ({ci[0] * 100:+.0f} to {ci[1] * 100:+.0f} %)" if ci else ""))


for p in scale_pol:
    vs = vsfmt(p)
    label = "max" if p["ours"] == "max" else f"{int(p['ours']):,}"
    w(f"| {label} | {p['policed_total']:,} | {p['none_ns_per_bind']:.1f} | "
      f"{p['ns_per_bind']:.1f} | {p['added_ns']:+.1f} | {vs} |")
pl = J["scale"]["policy_limit"]
w("")
big = pl["largest_point_in_force"] or 0
if not pl["supported"]:
    w(f"**10,000 policed cgroups: not supported.** bindguard holds at most "
      f"{pl['usable']:,} (BG_MAX_POLICIES = {pl['BG_MAX_POLICIES']:,} in include/bindguard.h; "
      f"stats slot 0 is reserved), so 10,000 cannot be measured.")
elif big >= 10000:
    w(f"bindguard holds up to {pl['usable']:,} policed cgroups on this machine (one "
      f"per-CPU counter slot each: BG_MAX_POLICIES = {pl['BG_MAX_POLICIES']:,}, fewer on "
      f"machines with many CPUs, slot 0 reserved; `bindguard check` says how many); the "
      f"largest point here had {big:,} in force. Fillers beyond the first "
      f"{cp['cgroups']:,} were applied {cp['batches'][0]['cgroups'] if cp['batches'] else 0:,} "
      f"cgroups per `bindguard` call (control plane below).")
else:
    w(f"bindguard holds up to {pl['usable']:,} policed cgroups; this run's largest point "
      f"had {big:,} in force.")
if pl["refusal"] and pl["refusal"].startswith("none:"):
    w(f"This run stopped before the limit ({pl['refusal'][6:]}); its *max* row is not the limit.")
elif pl["refusal"]:
    w(f"This run filled it to the limit; the next apply was refused with: `{pl['refusal']}`.")
w("")
w("### Depth below the policed cgroup")
w("")
w("The socket re-binds 192.0.2.1, which the policy admits by an exception (the path of "
  "³), from the policed cgroup itself or from a sub-cgroup k levels below it. The program "
  "looks the socket's cgroup id up in the policies hash, then its ancestors' ids, nearest "
  "first, until one is policed: in the policed cgroup, one lookup; k levels below, k + 1 "
  "lookups, the last of which finds the policy. On the first miss it reads the cgroup's "
  "level; for each "
  "ancestor, it reads that ancestor's id by probe (`bpf_probe_read_kernel` through the "
  "ancestors array: the cgroup pointer, its kernfs node, the id). Nothing is cached and "
  "no copy of the policy is kept below the policed cgroup, so the cost is expected to "
  "grow with k. *Default*: the policy as applied by default. *Counting allows*: the same "
  "policy with `--count-allowed` (⁶: the counter slot looked up and incremented after "
  "the decision). Both columns from one interleaved set of runs; *vs 1 level* compares "
  "each added cost with the 1-level row's.")
w("")
w("| socket's cgroup | default: ns/bind | added | vs 1 level (95 % interval) | "
  "counting allows: ns/bind | added | vs 1 level (95 % interval) |")
w("|---|---:|---:|---:|---:|---:|---:|")
cnt_by_level = {p["levels_below"]: p for p in depth_cnt}
for p in depth_pts:
    lv = p["levels_below"]
    label = "the policed cgroup itself" if lv == 0 else f"{lv} level{'s' if lv > 1 else ''} below"
    g = cnt_by_level.get(lv)
    gcols = (f"{g['ns_per_bind']:.1f} | {g['added_ns']:+.1f} | {vsfmt(g)}" if g
             else "– | – | –")
    w(f"| {label} | {p['ns_per_bind']:.1f} | {p['added_ns']:+.1f} | {vsfmt(p)} | {gcols} |")
w(f"| no program | {timing('depth', 'none-other', 'none-other')['ns_per_bind']:.1f} | – | – "
  "| | | |")
w("")
pl_ns = J["scale"]["depth_added_ns_per_level"]
w(f"Added cost per level below the policed cgroup (least-squares slope over the rows "
  f"above): default {fmt(pl_ns['default'])} ns, counting allows "
  f"{fmt(pl_ns['counting_allows'])} ns.")
w("")
w("### Exception rules")
w("")
w("loopback-only with N exception rules; one of them admits the re-bind, the other N − 1 "
  "are prefixes that do not match it (`10.a.b.0/24:8000-8099`). Every re-bind first finds "
  "the policy (one hash lookup: the socket is in the policed cgroup) and the preset "
  "refuses the address. A loopback bind never reads the rules (nor the policy).")
w("")
w("- *Wildcard* (re-bind 0.0.0.0:P, baseline the no-program re-bind of 0.0.0.0): admitted by "
  "`0.0.0.0:1024-65535` (*exact*) or `*:1024-65535` (*prefix*).")
w(f"- *Specific address* (re-bind {meta.get('other_addr', '192.0.2.1')}, baseline its "
  "no-program re-bind): admitted by the address itself (*exact*) or by its /24 "
  "(*prefix*).")
w("")
w("Every case is one lookup in the exceptions trie (longest prefix of the policy's "
  "ruleset and the address); the trie holds every policy's entries, so N is also the "
  "trie's size.")
w("")
w("| rules | wildcard, exact: added | vs 1 rule (95 % interval) | wildcard, prefix: added | vs 1 rule | "
  "address, exact: added | vs 1 rule | address, prefix: added | vs 1 rule |")
w("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for pts in zip(*(rule_pts[key] for _, key, _ in RULE_FAMILIES)):
    w(f"| {pts[0]['rules']:,} | "
      + " | ".join(f"{p['added_ns']:+.1f} | {vsfmt(p)}" for p in pts) + " |")
w("")
w("No-program re-binds: 0.0.0.0 "
  f"{timing('rules', 'none-any', 'none-any')['ns_per_bind']:.1f} ns, "
  f"{meta.get('other_addr', '192.0.2.1')} "
  f"{timing('rules', 'none-other', 'none-other')['ns_per_bind']:.1f} ns.")
w("")
w("Flat within 10 % (every point's added cost within 10 % of the first point's; *within "
  "the noise*: some point is further off, but its 95 % interval reaches the ±10 % band; "
  "the depth rows are expected to grow, one lookup per level): "
  + "; ".join(f"{k.replace('_', ' ')}: **{v['verdict']}**" for k, v in scale_flat.items())
  + ".")
w("")
w("## Event pipeline")
w("")
w("`bindguard events --json --cgroup …` reads while processes in a policed cgroup make "
  "refused binds (0.0.0.0, the port carrying a sequence number). *Lost* is the policy's "
  "lost counter from `bindguard --json status`. Latency: from just before bind() to the "
  "line's arrival at the reader (a pipe from `events`), matched per event by pid and port. "
  "Consumer CPU: user + system time of the `events` process (wait4).")
w("")
w("| run | denials made | events delivered | counted lost | delivered + lost = denials | consumer CPU | CPU per delivered event | latency p50 | p99 | max |")
w("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|")
for name, label in (("storm", "storm"), ("paced", "paced"), ("sustained", "sustained"),
                    ("fair", "storm beside a quiet cgroup")):
    d = pipe.get(name)
    if not d:
        continue
    if "skipped" in d:
        w(f"| {label} | skipped: {d['skipped']} | | | | | | | | |")
        continue
    desc = (f"{label}: {d['procs']} process{'es' if d['procs'] > 1 else ''} × {d['count_per_proc']:,}"
            + ((f", one per {d['pace_us']} µs" if d.get("burst", 1) == 1 else
                f", {d['burst']} every {d['pace_us'] * d['burst']} µs")
               if d["pace_us"] else ", as fast as they can"))
    ok = "yes" if d["delivered_plus_lost_equals_denials"] and d["denials_match_counter"] else "**NO**"
    def lat(x):
        return f"{x / 1000:.1f} ms" if x >= 1000 else f"{x:.0f} µs"
    w(f"| {desc} | {d['denials']:,} | {d['delivered']:,} | {d['counted_lost']:,} | {ok} | "
      f"{d['consumer_cpu_s']:.2f} s ({fmt(d['consumer_cpu_pct'], 0)} % of a CPU) | "
      f"{fmt(d['consumer_us_per_event'])} µs | {lat(d['lat_p50_us'])} | {lat(d['lat_p99_us'])} | "
      f"{lat(d['lat_max_us'])} |")
s = pipe.get("storm")
if s and "skipped" not in s:
    w("")
    w(f"The storm made {fmt(s['denials_per_s'] / 1e6 if s['denials_per_s'] else None, 2)} M "
      f"denials/s for {s['storm_s']:.2f} s; the reader delivered "
      f"{s['delivered_per_s']:,} events/s. Under a storm the latency is the time an event "
      f"waits in the ring behind the backlog (up to half the 4 MiB ring before the "
      f"fairness limit drops the excess).")
t = targets.get("quiet_cgroup_events_all_arrive")
if t:
    w("")
    w(f"Storm beside a quiet cgroup: while the storm ran in one cgroup, a sibling cgroup with "
      f"its own policy made {t['quiet_denials']:,} refused binds, one per 10 ms; "
      f"{t['quiet_delivered']:,} of its events arrived: {yn(t['holds'])} (the fairness "
      f"limit drops the storm's excess, not the quiet policy's events). The row above "
      f"counts the storm's events only.")
t = targets.get("no_loss_at_100k_per_s")
if t:
    w("")
    w(f"Sustained target, no event lost at 100,000 denials/s: the run made "
      f"{t['denials_per_s']:,} denials/s"
      + ("" if t["reached_100k_per_s"] else " (short of the rate: the pacing could not keep up)")
      + f" and {t['lost']:,} events were counted lost: {yn(t['holds'])}.")
w("")
def dur(s):
    return f"{s:.2f} s" if s >= 1 else f"{s * 1e3:.1f} ms"


w("## Control plane")
w("")
w("| operation | policies in force before | total | per cgroup (mean) |")
w("|---|---:|---:|---:|")
if us:
    w(f"| apply loopback-only to {len(us):,} cgroups, one `bindguard` call each | "
      f"{base:,} → {base + len(us) - 1:,} | {dur(cp['apply_total_s'])} | "
      f"{cp['apply_mean_ms']:.2f} ms (first 10 %: {cp['apply_first_10pct_mean_ms']:.2f}, "
      f"last 10 %: {cp['apply_last_10pct_mean_ms']:.2f}) |")
for b in cp["batches"][:1]:
    w(f"| apply loopback-only to {b['cgroups']:,} cgroups in one call | "
      f"{b['in_force_before']:,} | {dur(b['s'])} | {b['s'] * 1e3 / b['cgroups']:.2f} ms |")
if len(cp["batches"]) > 1:
    b = cp["batches"]
    w(f"| all the batched fillers, {len(b):,} calls of up to {b[0]['cgroups']:,} cgroups | "
      f"{b[0]['in_force_before']:,} → {b[-1]['in_force_before']:,} | "
      f"{dur(cp['batch_apply_total_s'])} (all {cp['batch_apply_cgroups']:,}) | "
      f"{cp['batch_apply_total_s'] * 1e3 / cp['batch_apply_cgroups']:.2f} ms |")
if "at_scale" in cp:
    a = cp["at_scale"]
    w(f"| apply to one more cgroup, then detach it | {a['in_force']:,} | "
      f"{a['apply_ms']:.1f} ms + {a['detach_ms']:.1f} ms | |")
if cp["batch_detaches"]:
    b = cp["batch_detaches"]
    w(f"| detach the batched cgroups, {len(b):,} calls | "
      f"{max(x['in_force_before'] for x in b):,} → {min(x['in_force_before'] for x in b):,} | "
      f"{dur(cp['batch_detach_total_s'])} | "
      f"{cp['batch_detach_total_s'] * 1e3 / cp['batch_detach_cgroups']:.2f} ms |")
if "detach_total_s" in cp:
    w(f"| detach the first {cp['cgroups']:,} again, one call each | {base + cp['cgroups']:,} | "
      f"{dur(cp['detach_total_s'])} | {cp['detach_mean_ms']:.2f} ms |")
if "run_overhead_ms" in cp:
    w(f"| `bindguard run --loopback-only -- true` against `true` (median of "
      f"{cp['run_reps']}, interleaved) | | {cp['run_bindguard_true_ms']:.2f} ms vs "
      f"{cp['run_true_ms']:.2f} ms | +{cp['run_overhead_ms']:.2f} ms overhead |")
if "agent_window_ms" in cp:
    a = cp["agent_window_ms"]
    w(f"| the agent: a policed cgroup removed and made again, `mkdir` to the first bind its "
      f"policy refuses (median and max of {a['reps']}) | | {a['median']:.2f} ms, "
      f"max {a['max']:.2f} ms | the window a process could bind in |")
if us:
    w("")
    w("A change reads the policy set once (a few syscalls per policy in force: the cgroup's "
      "path, for the link layout) and then touches only the cgroups it names, so one call "
      "for many cgroups costs about one call for one plus the per-cgroup work.")
    at = [f"{cp[f'apply_ms_at_{n}']:.1f} ms with {n:,}" for n in (100, 500, 1000)
          if f"apply_ms_at_{n}" in cp]
    if at:
        w("One apply, one call: " + ", ".join(at) + " policies already there.")
    t = targets.get("apply_at_1000_policies_under_10ms")
    if t:
        w(f"Target, one apply with 1,000 policies in force under 10 ms: {t['apply_ms']:.1f} ms: "
          f"{yn(t['holds'])}.")
    if "apply_us_fit" in cp:
        f = cp["apply_us_fit"]
        w(f"Least squares over these applies: {f['c0'] / 1000:.2f} ms + "
          f"{f['c1_per_policy']:.2f} µs × n + {f['c2_per_policy2'] * 1000:.4f} ns × n² "
          f"(n policies in force).")
w("")
w(f"Cleanup: {J['cleanup']}.")
w("")
with open(os.path.join(outdir, "BENCHMARKS.md"), "w") as f:
    f.write("\n".join(L))
