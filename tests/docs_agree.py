#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Every command's usage line (`bindguard CMD --help`), the man page's SYNOPSIS
and the README's Usage block name the same options and the same values, and
list the same commands as `bindguard --help`. No root: `make test` runs it
through tests/run-all.sh. Usage: docs_agree.py BINDGUARD. Prints PASS/FAIL
lines, then "docs-agree: N passed, N failed"; exits 1 on a failure."""
import os
import re
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Options and value lists: --name, -x, and a|b|c (brackets stripped).
TOKEN = re.compile(r"--?[a-z][a-z-]*|[A-Za-z]+(?:\|[A-Za-z]+)+")


def tokens(text):
    return set(TOKEN.findall(text))


def run(bg, *args):
    return subprocess.run([bg, *args], capture_output=True, text=True, check=False).stdout


def commands(bg):
    out = run(bg, "--help")
    block = out.split("Commands:")[1].split("\n\n")[0]
    return [line.split()[0] for line in block.strip().splitlines()]


def from_help(bg, cmd):
    """The usage block: from "Usage:" to the first empty line, less the command name."""
    usage = run(bg, cmd, "--help").split("\n\n")[0]
    return tokens(usage.replace("bindguard " + cmd, " ", 1)) - {"-" + cmd.split("-")[0]}


def from_man(path):
    """SYNOPSIS paragraphs by command, troff stripped."""
    text = open(path, encoding="utf-8").read()
    syn = text.split(".SH SYNOPSIS")[1].split(".SH ")[0]
    out = {}
    for chunk in re.split(r"^\.(?:br|PP)\s*$", syn, flags=re.M):
        plain = re.sub(r"\\f[BIRP]", "", chunk).replace("\\-", "-")
        plain = re.sub(r"^\.[A-Z]+ ?", "", plain, flags=re.M).replace('"', " ")
        plain = re.sub(r"\s*\|\s*", "|", plain)  # troff's "a | b" is a|b
        m = re.search(r"bindguard\s+([a-z][a-z-]+)", plain)
        if not m:
            continue
        out[m.group(1)] = (tokens(plain[m.end():]), "(same options)" in plain)
    return out


def from_readme(path):
    """The Usage code block: a command line and its indented continuations."""
    text = open(path, encoding="utf-8").read()
    block = text.split("## Usage")[1].split("```")[1]
    out, cur = {}, None
    for line in block.splitlines():
        m = re.match(r"^  ([a-z][a-z-]+)\s", line + " ")
        if m:
            cur = m.group(1)
            out[cur] = [line[m.end():]]
        elif cur and line.startswith("   "):
            out[cur].append(line)
    return {c: (tokens(" ".join(v).split("(run by")[0]), "(same options)" in " ".join(v))
            for c, v in out.items()}


def main():
    bg = sys.argv[1]
    man = from_man(os.path.join(TOP, "docs", "bindguard.8"))
    readme = from_readme(os.path.join(TOP, "README.md"))
    passed = failed = 0
    cmds = commands(bg)
    for cmd in cmds:
        want = from_help(bg, cmd)
        problems = []
        for name, doc in (("man page SYNOPSIS", man), ("README Usage", readme)):
            if cmd not in doc:
                problems.append(f"{name} lacks {cmd}")
                continue
            got, same = doc[cmd]
            if same:  # "(same options)": those of the command before it in the table
                got = doc.get("loopback-only", (set(), False))[0]
            if got != want:
                problems.append(f"{name}: missing {sorted(want - got)}, extra {sorted(got - want)}")
        if problems:
            failed += 1
            print(f"FAIL usage-agrees {cmd}: " + "; ".join(problems))
        else:
            passed += 1
            print(f"PASS usage-agrees {cmd}")
    for name, doc in (("man page SYNOPSIS", man), ("README Usage", readme)):
        extra = sorted(set(doc) - set(cmds))
        if extra:
            failed += 1
            print(f"FAIL commands-agree {name}: not commands of bindguard --help: {extra}")
        else:
            passed += 1
            print(f"PASS commands-agree {name}")
    print(f"docs-agree: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
