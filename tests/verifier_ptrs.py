#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Find walked BTF pointers handed to helpers and kfuncs in a verifier log.

    verifier_ptrs.py [--prog NAME] [--helpers FILE] [--btf FILE | --no-btf] [-v] LOG...

Some kernel builds make a pointer reached by walking a struct field that is
not on the verifier's allow-lists untrusted_ptr_, and helpers refuse it;
lenient ones give it the deprecated plain PTR_TO_BTF_ID (`ptr_<type>()` in
the log, no trusted_/rcu_/untrusted_ prefix), which helpers accept. bindguard
must do neither, so this reads the log of a program (bgverlog writes one per
program) and reports each helper or kfunc call where an argument register
holds

  - an untrusted_ptr_ (refused by strict kernels), or
  - a plain ptr_ loaded from a field of another BTF pointer of any flavour
    (`rX = *(u64 *)(rY +off)`, directly or through moves, stack spills and
    pointer arithmetic), or one whose origin the log does not show (a plain
    ptr_ restored at a branch this script could not match: reported rather
    than trusted).

Only the called function's arguments count: helpers' from the libbpf header,
kfuncs' from the kernel BTF (built-in tables without them), 5 when unknown.
The probe-read family's `unsafe_ptr` and `user_ptr` arguments take any value
(that is how fields are read through walked pointers) and are not checked.

Register states: each instruction line carries the registers it touched
(`; R2=ptr_cgroup()`); a state line (`from X to Y: ...` at log level 2,
`Y: ...` glued to the branch instruction at level 1, where the kernel rewinds
the log over every path that verified) starts another path with the full
state of the branch pushed at X, whose pointer origins were saved there.

One line per finding: "PROG: insn N: call FUNC: Rk=TYPE: why". Exit status:
1 if anything was found, 0 if not, 2 on a usage or read error.
"""
import argparse
import os
import re
import subprocess
import sys

HELPER_DEFS = "/usr/include/bpf/bpf_helper_defs.h"
VMLINUX_BTF = "/sys/kernel/btf/vmlinux"
DEFAULT_NARGS = 5
# Argument names of helpers that read through any value (no pointer type).
ANY_VALUE_PARAMS = ("unsafe_ptr", "user_ptr")
# Without libbpf's header (a test image): the helpers bindguard calls, and a few
# it may, with their parameters as the header names them.
HELPER_TABLE = {
    "bpf_map_lookup_elem": ("map", "key"),
    "bpf_map_update_elem": ("map", "key", "value", "flags"),
    "bpf_map_delete_elem": ("map", "key"),
    "bpf_probe_read_kernel": ("dst", "size", "unsafe_ptr"),
    "bpf_probe_read_kernel_str": ("dst", "size", "unsafe_ptr"),
    "bpf_probe_read_user": ("dst", "size", "unsafe_ptr"),
    "bpf_probe_read_user_str": ("dst", "size", "unsafe_ptr"),
    "bpf_probe_read": ("dst", "size", "unsafe_ptr"),
    "bpf_probe_read_str": ("dst", "size", "unsafe_ptr"),
    "bpf_ringbuf_output": ("ringbuf", "data", "size", "flags"),
    "bpf_ringbuf_reserve": ("ringbuf", "size", "flags"),
    "bpf_ringbuf_submit": ("data", "flags"),
    "bpf_ringbuf_discard": ("data", "flags"),
    "bpf_ringbuf_query": ("ringbuf", "flags"),
    "bpf_ktime_get_ns": (),
    "bpf_ktime_get_boot_ns": (),
    "bpf_get_current_task_btf": (),
    "bpf_get_current_task": (),
    "bpf_get_current_pid_tgid": (),
    "bpf_get_current_uid_gid": (),
    "bpf_get_current_comm": ("buf", "size_of_buf"),
    "bpf_get_current_cgroup_id": (),
    "bpf_get_current_ancestor_cgroup_id": ("ancestor_level",),
    "bpf_get_socket_cookie": ("ctx",),
    "bpf_get_netns_cookie": ("ctx",),
    "bpf_setsockopt": ("bpf_socket", "level", "optname", "optval", "optlen"),
    "bpf_getsockopt": ("bpf_socket", "level", "optname", "optval", "optlen"),
    "bpf_sk_storage_get": ("map", "sk", "value", "flags"),
    "bpf_sk_storage_delete": ("map", "sk"),
    "bpf_cgrp_storage_get": ("map", "cgroup", "value", "flags"),
    "bpf_cgrp_storage_delete": ("map", "cgroup"),
    "bpf_task_storage_get": ("map", "task", "value", "flags"),
    "bpf_task_storage_delete": ("map", "task"),
    "bpf_skc_to_tcp_sock": ("sk",),
    "bpf_skc_to_udp6_sock": ("sk",),
    "bpf_skc_to_tcp6_sock": ("sk",),
    "bpf_set_retval": ("retval",),
    "bpf_get_retval": (),
}
# Without BTF: the kfuncs bindguard uses, and a few it may.
KFUNC_TABLE = {
    "bpf_cast_to_kern_ctx": 1,
    "bpf_rdonly_cast": 2,
    "bpf_cgroup_from_id": 1,
    "bpf_cgroup_acquire": 1,
    "bpf_cgroup_release": 1,
    "bpf_cgroup_ancestor": 2,
    "bpf_task_from_pid": 1,
    "bpf_task_acquire": 1,
    "bpf_task_release": 1,
    "bpf_task_under_cgroup": 2,
    "bpf_rcu_read_lock": 0,
    "bpf_rcu_read_unlock": 0,
    "bpf_sock_destroy": 1,
}

INSN = re.compile(r"^(\d+): \(([0-9a-f]{2})\) (.*)$")
# A state: "from X to Y: ..." (level 2) or "Y: R..." (a path's first line).
FROM = re.compile(r"^from (\d+) to (\d+)(?: \([^)]*\))?:(.*)$")
STATE = re.compile(r"^(\d+):((?: frame\d+:)? (?:R\d+|fp-?\d+)(?:_[rwD]+)?=.*)$")
# Level 1: the popped path's state glued to the pushing instruction's text.
GLUED = re.compile(r" (\d+):((?: frame\d+:)? R\d+(?:_[rwD]+)?=.*)$")
KEY = re.compile(r"(?:^|\s)(?:frame(\d+):|(R\d+|fp-?\d+)(?:_[rwD]+)?=)")
# PTR_TO_BTF_ID: flags, "ptr_", "or_null_" if it may be NULL, the type.
BTF_PTR = re.compile(r"^P?((?:(?!map_)[a-z]+_)*)ptr_(?:or_null_)?\w+\(")
FP = re.compile(r"^fp(-?\d+)$")
CALL = re.compile(r"^call ([A-Za-z_]\w*)#(\d+)")
SUBPROG_CALL = re.compile(r"^call pc[+-]\d+")
MOV = re.compile(r"^r(\d+) = r(\d+)$")
LOAD64 = re.compile(r"^r(\d+) = \*\(u64 \*\)\(r(\d+) ([+-]\d+)\)$")
STORE = re.compile(r"^\*\((u\d+) \*\)\(r(\d+) ([+-]\d+)\) = ([rw]?)(\S+)$")
ADD_REG = re.compile(r"^r(\d+) [+-]= r(\d+)$")
KEEP_ALU = re.compile(r"^r(\d+) [+-]= -?(?:0x[0-9a-f]+|\d+)$")
DEF = re.compile(r"^[rw](\d+) (?:\S*=) ")


def flavour(value):
    """'untrusted', 'plain', 'flagged' (trusted_, rcu_, ...) for a BTF
    pointer, None for anything else (ctx, map, stack, packet, sock, scalar)."""
    if value is None:
        return None
    m = BTF_PTR.match(value)
    if not m:
        return None
    flags = m.group(1).split("_")
    if "untrusted" in flags:
        return "untrusted"
    return "plain" if m.group(1) == "" else "flagged"


def kind(value):
    """A type without its details, for matching a saved state to a printed one."""
    if value is None:
        return None
    return value.split("(", 1)[0].replace("or_null_", "").replace("_or_null", "")


def parse_state(text):
    """{frame: {key: value}} from a printed register state."""
    out = {}
    frame = None
    marks = list(KEY.finditer(text))
    for i, m in enumerate(marks):
        if m.group(1) is not None:
            frame = int(m.group(1))
            continue
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        value = text[m.end():end].strip()
        out.setdefault(frame, {})[m.group(2)] = value
    return out


def load_helpers(path):
    """Helper name -> list of parameter names, from libbpf's bpf_helper_defs.h."""
    helpers = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return helpers
    # static long (*bpf_map_update_elem)(void *map, ...) = (void *) 2;
    decl = re.compile(r"^static .*?\(\s*\*\s*(?:const\s+)?(\w+)\)\((.*)\)"
                      r"\s*=\s*\(void \*\)\s*\d+;", re.M)
    for m in decl.finditer(text):
        params = [p.strip() for p in m.group(2).split(",")]
        if params == ["void"] or params == [""]:
            params = []
        names = [re.split(r"[\s*]+", p)[-1] for p in params]
        if names and names[-1] == "...":  # variadic: up to R5
            names += ["..."] * (5 - len(names))
        helpers[m.group(1)] = names
    return helpers


def load_kfuncs(btf):
    """Kfunc name -> argument count, from `bpftool btf dump file BTF`."""
    try:
        out = subprocess.run(["bpftool", "btf", "dump", "file", btf], capture_output=True,
                             text=True, timeout=120, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    funcs, protos = {}, {}
    for m in re.finditer(r"^\[(\d+)\] FUNC '(\w+)' type_id=(\d+)", out, re.M):
        funcs[m.group(2)] = int(m.group(3))
    for m in re.finditer(r"^\[(\d+)\] FUNC_PROTO '[^']*' ret_type_id=\d+ vlen=(\d+)", out, re.M):
        protos[int(m.group(1))] = int(m.group(2))
    return {name: protos[t] for name, t in funcs.items() if t in protos}


class Signatures:
    def __init__(self, helpers_path, btf):
        self.helpers = load_helpers(helpers_path)
        self.from_table = not self.helpers
        if self.from_table:
            self.helpers = {k: list(v) for k, v in HELPER_TABLE.items()}
        self.btf = btf
        self.kfuncs = None

    def args(self, name):
        """Argument registers to check for a call of name: [(reg, param)]."""
        if name in self.helpers:
            params = self.helpers[name]
            return [("R%d" % (i + 1), p) for i, p in enumerate(params[:5])]
        if self.kfuncs is None:
            self.kfuncs = (load_kfuncs(self.btf) if self.btf else None) or {}
            for k, v in KFUNC_TABLE.items():
                self.kfuncs.setdefault(k, v)
        n = self.kfuncs.get(name, DEFAULT_NARGS)
        return [("R%d" % (i + 1), None) for i in range(min(n, 5))]


class Frame:
    """Types (as printed) and origins of one frame's registers and stack slots.
    An origin is the index of the field load that produced a pointer, False
    for anything else, None when unknown."""

    def __init__(self):
        self.types = {}
        self.origin = {}

    def set(self, key, value, origin):
        self.types[key] = value
        self.origin[key] = origin


def snapshot(frames):
    out = []
    for f in frames:
        c = Frame()
        c.types, c.origin = dict(f.types), dict(f.origin)
        out.append(c)
    return out


def slot_of(frame, reg, off):
    """The stack slot key an access through reg +off touches, if reg points to
    the stack (r10, or a copy with an offset)."""
    m = FP.match(frame.types.get("R%s" % reg, "") or "")
    if reg == "10":
        base = 0
    elif m:
        base = int(m.group(1))
    else:
        return None
    return "fp%d" % (base + int(off))


class Analyzer:
    def __init__(self, prog, sigs):
        self.prog = prog
        self.sigs = sigs
        self.frames = [Frame()]
        self.pushed = []  # (insn, frames) at each instruction that may push a branch
        self.findings = {}  # (insn, reg) -> line
        self.calls = 0

    # -- states ---------------------------------------------------------------
    def merge(self, text):
        """Registers an instruction touched, or a partial state: the types
        change; origins are the instructions' (a value first seen here has
        none known)."""
        for fno, regs in parse_state(text).items():
            frame = self.frames[-1] if fno is None else self.frame_no(fno)
            for k, v in regs.items():
                if k not in frame.origin:
                    frame.origin[k] = False if flavour(v) is None else None
                frame.types[k] = v

    def frame_no(self, n):
        while len(self.frames) <= n:
            self.frames.append(Frame())
        return self.frames[n]

    def switch(self, src, text):
        """Another path: the full state of the branch pushed at insn src."""
        saved = None
        for i in range(len(self.pushed) - 1, -1, -1):
            if self.pushed[i][0] == src:
                saved = self.pushed[i][1]
                del self.pushed[i:]
                break
        state = parse_state(text)
        if not state:
            return  # "from X to Y: safe": the path ended there
        depth = max(0 if f is None else f for f in state) + 1
        frames = snapshot(saved) if saved else []
        while len(frames) < depth:
            frames.append(Frame())
        del frames[depth:]
        for fno, regs in state.items():
            old = frames[depth - 1 if fno is None else fno]
            new = Frame()
            for k, v in regs.items():
                if kind(old.types.get(k)) == kind(v):
                    new.set(k, v, old.origin.get(k))
                else:
                    new.set(k, v, False if flavour(v) is None else None)
            frames[depth - 1 if fno is None else fno] = new
        self.frames = frames

    # -- instructions -----------------------------------------------------------
    def insn(self, idx, op, text):
        glued = None
        if " ; " not in text and "\t; " not in text:
            g = GLUED.search(text)
            if g:
                glued, text = g, text[:g.start()]
        note = ""
        parts = re.split(r"\s+; ", text, maxsplit=1)
        if len(parts) == 2:
            text, note = parts
        text = text.strip()
        f = self.frames[-1]
        call = CALL.match(text)
        if call:
            self.check_call(idx, call.group(1), f)
            for r in range(0, 6):
                f.types.pop("R%d" % r, None)
                f.origin.pop("R%d" % r, None)
            f.origin["R0"] = False
        elif SUBPROG_CALL.match(text):
            callee = Frame()
            for r in range(1, 6):
                k = "R%d" % r
                if k in f.types:
                    callee.set(k, f.types[k], f.origin.get(k))
            self.frames.append(callee)
        elif text == "exit" and len(self.frames) > 1:
            callee = self.frames.pop()
            f = self.frames[-1]
            for r in range(0, 6):
                f.types.pop("R%d" % r, None)
            if "R0" in callee.types:
                f.set("R0", callee.types["R0"], callee.origin.get("R0"))
        else:
            self.effect(idx, text, f)
        if note:
            self.merge(note)
        if text.startswith("if ") or text.startswith("may_goto"):
            self.pushed.append((idx, snapshot(self.frames)))
        if glued:
            self.switch(idx, glued.group(2))

    def effect(self, idx, text, f):
        m = LOAD64.match(text)
        if m:
            dst, src, off = m.groups()
            slot = slot_of(f, src, off)
            if slot is not None:  # a fill from the stack
                f.origin["R" + dst] = f.origin.get(slot, False)
            elif flavour(f.types.get("R" + src)) is not None:
                f.origin["R" + dst] = idx  # a field of a BTF pointer
            else:
                f.origin["R" + dst] = False
            return
        m = STORE.match(text)
        if m:
            size, base, off, wide, val = m.groups()
            slot = slot_of(f, base, off)
            if slot is not None:
                spilled = size == "u64" and wide == "r"
                f.origin[slot] = f.origin.get("R" + val, False) if spilled else False
            return
        m = MOV.match(text)
        if m:
            f.origin["R" + m.group(1)] = f.origin.get("R" + m.group(2), False)
            return
        m = ADD_REG.match(text)
        if m:
            a, b = f.origin.get("R" + m.group(1), False), f.origin.get("R" + m.group(2), False)
            f.origin["R" + m.group(1)] = a if a is not False else b
            return
        if KEEP_ALU.match(text):
            return  # pointer arithmetic keeps the origin
        m = DEF.match(text)
        if m:
            f.origin["R" + m.group(1)] = False

    def check_call(self, idx, name, f):
        self.calls += 1
        for reg, param in self.sigs.args(name):
            if param in ANY_VALUE_PARAMS:
                continue
            value = f.types.get(reg)
            fl = flavour(value)
            origin = f.origin.get(reg, False)
            if fl == "untrusted":
                why = "untrusted_ptr_ argument (strict kernels refuse it)"
            elif fl == "plain" and origin is None:
                why = ("plain ptr_ argument whose origin the log does not show "
                       "(a walked pointer is the deprecated PTR_TO_BTF_ID)")
            elif fl == "plain" and origin is not False:
                why = ("plain ptr_ argument loaded from a field of a BTF pointer at insn %d "
                       "(deprecated PTR_TO_BTF_ID: strict kernels refuse it)" % origin)
            else:
                continue
            self.findings.setdefault((idx, reg), "%s: insn %d: call %s: %s=%s: %s"
                                     % (self.prog, idx, name, reg, value, why))

    def line(self, s):
        m = INSN.match(s)
        if m:
            self.insn(int(m.group(1)), m.group(2), m.group(3))
            return
        m = FROM.match(s)
        if m:
            self.switch(int(m.group(1)), m.group(3))
            return
        m = STATE.match(s)
        if m:
            self.merge(m.group(2))
            return
        if s.startswith("Validating ") or s.startswith("func#"):
            self.frames, self.pushed = [Frame()], []


def analyze(path, prog, sigs):
    a = Analyzer(prog, sigs)
    with open(path, encoding="utf-8", errors="replace") as f:
        for s in f:
            # Only instruction and state lines matter: skip the rest cheaply.
            c = s[:1]
            if c.isdigit() or c == "f" or c == "V":
                a.line(s.rstrip("\n"))
    return a


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("logs", nargs="+", metavar="LOG")
    ap.add_argument("--prog", help="program name (default: the log's file name)")
    ap.add_argument("--helpers", default=HELPER_DEFS, help="bpf_helper_defs.h")
    ap.add_argument("--btf", default=VMLINUX_BTF, help="kernel BTF for kfunc arguments")
    ap.add_argument("--no-btf", action="store_true", help="kfunc arguments from the table only")
    ap.add_argument("-v", action="store_true", help="also say what was clean")
    args = ap.parse_args(argv)
    btf = None if args.no_btf or not os.access(args.btf, os.R_OK) else args.btf
    sigs = Signatures(args.helpers, btf)
    if sigs.from_table:
        print("verifier_ptrs: no helper prototypes in %s (libbpf-dev): using a table of %d"
              % (args.helpers, len(sigs.helpers)), file=sys.stderr)
    found = 0
    for path in args.logs:
        prog = args.prog or os.path.basename(path).removesuffix(".log")
        try:
            a = analyze(path, prog, sigs)
        except OSError as e:
            print("verifier_ptrs: %s: %s" % (path, e.strerror), file=sys.stderr)
            return 2
        for key in sorted(a.findings):
            print(a.findings[key])
        found += len(a.findings)
        if args.v and not a.findings:
            print("%s: clean (%d calls checked)" % (prog, a.calls))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
