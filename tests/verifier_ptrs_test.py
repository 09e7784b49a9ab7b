#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Tests of verifier_ptrs.py against the logs in tests/fixtures/verifier/ (their
README says where each comes from). No root, no kernel: `make test` runs it
through tests/run-all.sh. Prints PASS/FAIL lines, then
"verifier-ptrs: N passed, N failed[, N skipped]"; exits 1 on a failure."""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import verifier_ptrs as vp  # noqa: E402

FIXTURES = os.path.join(HERE, "fixtures", "verifier")
SCRIPT = os.path.join(HERE, "verifier_ptrs.py")

# fixture -> the findings it must give, exactly: (insn, register, why).
UNTRUSTED, WALKED, UNTRACED = "untrusted_ptr_ argument", "loaded from a field", "origin the log"
CASES = {
    # (i) lenient: ctx -> sk -> cgroup, two field loads, passed as R2.
    "lenient-walk-passed": {(12, "R2", WALKED)},
    # (ii) the same walk, only read from.
    "lenient-walk-read": set(),
    # (iii) a trusted pointer passed; an allow-listed walk (rcu_ptr_) passed.
    "trusted-task-passed": set(),
    "allowlisted-walk-passed": set(),
    # (iv) strict refusals: the excerpt from the notes (it leaves out the
    # instructions that put the map in R1, so R1 still holds the socket),
    # bindguard's own bind4 and a refusal on a popped branch (level 1).
    "strict-refused-excerpt": {(17, "R1", UNTRUSTED), (17, "R2", UNTRUSTED)},
    "strict-bindguard-bind4-level1": {(17, "R2", UNTRUSTED)},
    "strict-walk-branch-level1": {(14, "R2", UNTRUSTED)},
    # Lenient, the walked pointer kept in R6 across a branch (level 2).
    "lenient-walk-branch": {(14, "R2", WALKED)},
    # A plain pointer from a helper (no walk) passed after a branch.
    "helper-result-passed": set(),
    # Walked pointers read through bpf_probe_read_kernel's unsafe_ptr.
    "lenient-probe-read": set(),
    # Only arguments count; a spill and fill keep the origin; an unknown
    # kfunc takes 5.
    "synthetic-arg-count": {(13, "R5", WALKED)},
    # Level 1: the popped path's state glued to the branch (R2 is NULL there).
    "synthetic-level1-glued-state": set(),
    # A plain pointer first seen in a state this script cannot trace.
    "synthetic-untraced-origin": {(13, "R2", UNTRACED)},
}

passed = failed = skipped = 0


def result(name, why=None, skip=None):
    global passed, failed, skipped
    if skip:
        skipped += 1
        print("SKIP verifier-ptrs %s: %s" % (name, skip))
    elif why:
        failed += 1
        print("FAIL verifier-ptrs %s: %s" % (name, why))
    else:
        passed += 1
        print("PASS verifier-ptrs %s" % name)


def run(*args):
    p = subprocess.run([sys.executable, SCRIPT, "--no-btf", *args], capture_output=True,
                       text=True)
    return p.returncode, p.stdout, p.stderr


def parse(out):
    """{(insn, reg, line)} from the script's findings."""
    got = set()
    for line in out.splitlines():
        # PROG: insn N: call FUNC: Rk=TYPE: why
        parts = line.split(": ", 4)
        got.add((int(parts[1].split()[1]), parts[3].split("=", 1)[0], line))
    return got


def check_fixture(name, want):
    path = os.path.join(FIXTURES, name + ".log")
    rc, out, err = run(path)
    got = parse(out)
    if rc != (1 if want else 0):
        return "exit %d, expected %d (%s)" % (rc, 1 if want else 0, (out + err).strip())
    if {(i, r) for i, r, _ in got} != {(i, r) for i, r, _ in want}:
        return "findings %s, expected %s" % (sorted((i, r) for i, r, _ in got),
                                             sorted((i, r) for i, r, _ in want))
    for i, r, why in want:
        line = next(s for gi, gr, s in got if (gi, gr) == (i, r))
        if why not in line or not line.startswith(name + ": "):
            return "finding '%s' does not say '%s'" % (line, why)
    return None


def check_flavours():
    table = {
        "ptr_cgroup()": "plain",
        "ptr_cgroup(off=0,imm=0)": "plain",  # Linux 6.1's spelling
        "ptr_or_null_tcp_sock(id=1)": "plain",
        "untrusted_ptr_cgroup(off=2224)": "untrusted",
        "trusted_ptr_task_struct()": "flagged",
        "rcu_ptr_cgroup()": "flagged",
        "percpu_ptr_bpf_prog_stats()": "flagged",
        "map_ptr(map=store,ks=4,vs=8)": None,
        "map_ptr_or_null(id=10,ks=0,vs=0)": None,
        "map_value(map=bg_stats,ks=4,vs=56)": None,
        "ctx()": None,
        "fp-8": None,
        "sock()": None,
        "sock_or_null(id=2)": None,
        "scalar(id=1)": None,
        "P0": None,
    }
    bad = ["%s: %s, expected %s" % (v, vp.flavour(v), f) for v, f in table.items()
           if vp.flavour(v) != f]
    return "; ".join(bad) or None


def check_state_parsing():
    got = vp.parse_state(" R1_w=ptr_sock(off=0,imm=0) R2=scalar(smin=0,var_off=(0x0; 0xff)) "
                         "R10=fp0 fp-8_w=mmmmmmmm frame1: R1=ctx()")
    want = {None: {"R1": "ptr_sock(off=0,imm=0)", "R2": "scalar(smin=0,var_off=(0x0; 0xff))",
                   "R10": "fp0", "fp-8": "mmmmmmmm"}, 1: {"R1": "ctx()"}}
    return None if got == want else "parse_state gave %s" % got


def check_helpers():
    h = vp.load_helpers(vp.HELPER_DEFS)
    if not h:
        return "no helper prototypes in %s (libbpf-dev)" % vp.HELPER_DEFS
    want = {
        "bpf_cgrp_storage_get": ["map", "cgroup", "value", "flags"],
        "bpf_get_current_task_btf": [],
        "bpf_probe_read_kernel": ["dst", "size", "unsafe_ptr"],
    }
    bad = ["%s: %s" % (n, h.get(n)) for n, p in want.items() if h.get(n) != p]
    # The table used without the header says what the header says.
    bad += ["table %s: %s, header %s" % (n, p, h.get(n)) for n, p in vp.HELPER_TABLE.items()
            if n in h and list(p) != h[n]]
    return "; ".join(bad) or None


def main():
    for name in sorted(CASES):
        result(name, check_fixture(name, CASES[name]))
    extra = sorted(f[:-4] for f in os.listdir(FIXTURES) if f.endswith(".log")
                   and f[:-4] not in CASES)
    result("every-fixture-has-a-case", "no case for %s" % extra if extra else None)
    # Without libbpf's header (as in a test image) the built-in table gives the same.
    logs = [os.path.join(FIXTURES, n + ".log") for n in sorted(CASES)]
    header, table = run(*logs), run("--helpers", os.path.join(FIXTURES, "no-such.h"), *logs)
    result("helper-table-matches-header", None if header[:2] == table[:2] else
           "with the table: %s" % table[1].strip().replace("\n", "|"))
    result("flavours", check_flavours())
    result("state-parsing", check_state_parsing())
    result("helper-arguments", check_helpers())
    rc, _, _ = run(os.path.join(FIXTURES, "no-such.log"))
    result("unreadable-log-exits-2", None if rc == 2 else "exit %d" % rc)
    # The kernel's BTF for kfunc arguments, where this machine has it.
    if os.access(vp.VMLINUX_BTF, os.R_OK) and shutil.which("bpftool"):
        k = vp.load_kfuncs(vp.VMLINUX_BTF) or {}
        bad = ["%s: %d, table %d" % (n, k[n], c) for n, c in vp.KFUNC_TABLE.items()
               if n in k and k[n] != c]
        result("kfunc-arguments-from-btf",
               "; ".join(bad) if bad else None if k else "no functions in the BTF dump")
    else:
        result("kfunc-arguments-from-btf", skip="no readable kernel BTF or no bpftool")
    tail = ", %d skipped" % skipped if skipped else ""
    print("verifier-ptrs: %d passed, %d failed%s" % (passed, failed, tail))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
