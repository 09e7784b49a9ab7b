#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The window a policy is missing while a cgroup is made again.

recreate_window.py CGROUP-DIR: remove CGROUP-DIR (an empty cgroup), make it
again, move this process in, and try wildcard binds until one is refused.
Prints the microseconds from mkdir to that refusal, or "never" after 5 s;
leaves this process in the parent cgroup. For the agent's test and make bench.
"""
import os
import socket
import sys
import time

cg = sys.argv[1]
os.rmdir(cg)
time.sleep(0.05)
t0 = time.monotonic()
os.mkdir(cg)
with open(cg + "/cgroup.procs", "w") as f:
    f.write(str(os.getpid()))
result = "never"
while time.monotonic() - t0 < 5:
    s = socket.socket()
    try:
        s.bind(("0.0.0.0", 0))
    except PermissionError:
        result = str(int((time.monotonic() - t0) * 1e6))
        break
    finally:
        s.close()
with open(os.path.dirname(cg) + "/cgroup.procs", "w") as f:
    f.write(str(os.getpid()))
print(result)
