#!/usr/bin/env python3
"""The slowest steps of a build tree: files to compile (.ninja_log) and tests (ctest's last run).

usage: scripts/slowest.py BUILD_DIR [N]   (N defaults to 15)
"""
import os
import re
import sys


def ninja_steps(tree):
    """{output: seconds} of the newest build of each output in .ninja_log (format v5)."""
    steps = {}
    path = os.path.join(tree, ".ninja_log")
    if not os.path.exists(path):
        return steps
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 4:
                continue
            start, end, output = int(parts[0]), int(parts[1]), parts[3]
            steps[output] = (end - start) / 1000.0
    return steps


def ctest_times(tree):
    """[(seconds, name)] of the last ctest run in the tree (LastTest.log)."""
    path = os.path.join(tree, "Testing", "Temporary", "LastTest.log")
    times = []
    if not os.path.exists(path):
        return times
    name = None
    with open(path, errors="replace") as f:
        for line in f:
            m = re.match(r'^\d+/\d+ Test: (\S+)', line)
            if m:
                name = m.group(1)
            m = re.match(r'^Test time =\s*([0-9.]+) sec', line)
            if m and name:
                times.append((float(m.group(1)), name))
                name = None
    return times


def main():
    tree = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    steps = ninja_steps(tree)
    compiles = sorted(((s, o) for o, s in steps.items() if o.endswith((".o", ".gch"))), reverse=True)
    if compiles:
        total = sum(s for s, _ in compiles)
        print(f"\n==== {tree}: {len(compiles)} compiled files, {total:.0f} compiler-seconds; the {n} slowest")
        for s, o in compiles[:n]:
            short = re.sub(r"CMakeFiles/[^/]+\.dir/", "", o)
            print(f"  {s:7.1f} s  {short}")
    tests = sorted(ctest_times(tree), reverse=True)
    if tests:
        print(f"\n==== {tree}: {len(tests)} tests, {sum(s for s, _ in tests):.0f} test-seconds; the {n} slowest")
        for s, name in tests[:n]:
            print(f"  {s:7.1f} s  {name}")


if __name__ == "__main__":
    main()
