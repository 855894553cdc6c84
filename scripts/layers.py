#!/usr/bin/python3
"""The layering check: every #include "..." in the tree points down or sideways.

lib/ has six layers, lowest first; a file may include headers of its own
layer and of the layers below it, never above:

    base <- wire <- questionnaire <- store <- identity <- daemon

The reporter's library has four, then the program:

    data <- stats <- reports <- render <- reporter/ (main, the table of reports)

A program folder (aggregator/, collector/, client/, ctl/, reporter/, the
portal's files in client/) may include lib/ and its own headers, never
another program's; lib/ includes no program's header. Inside any folder the
modules (a .c with its .h) form no circle; a folder's private header
(name_internal.h, what its modules share) is not a module. tests/, bench/ and the generated
protobuf header are outside the rules.

Usage: layers.py [ROOT]. Prints what it checked; exits 1 naming every
offending line.
"""
import os
import re
import sys

LIB_LAYERS = ["base", "wire", "questionnaire", "store", "identity", "daemon"]
REPORTER_LAYERS = ["data", "stats", "reports", "render", ""]
PROGRAMS = ["aggregator", "collector", "client", "ctl", "reporter"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def sources(root, top):
    for d, _, files in os.walk(os.path.join(root, top)):
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                yield os.path.relpath(os.path.join(d, f), root)


def where(path):
    """(area, layer rank) of a file: area is 'lib' or a program name."""
    parts = path.split(os.sep)
    if parts[0] == "lib":
        return "lib", LIB_LAYERS.index(parts[1]) if parts[1] in LIB_LAYERS else None
    if parts[0] == "reporter":
        sub = parts[1] if len(parts) > 2 else ""
        return "reporter", REPORTER_LAYERS.index(sub) if sub in REPORTER_LAYERS else None
    return parts[0], 0


def describe(path):
    area, rank = where(path)
    if area == "lib":
        return "lib/" + LIB_LAYERS[rank]
    if area == "reporter" and REPORTER_LAYERS[rank]:
        return "reporter/" + REPORTER_LAYERS[rank]
    return area + "/"


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    root = os.path.abspath(root)
    files = [p for top in ["lib"] + PROGRAMS for p in sources(root, top)]
    headers = {}
    for p in files:
        if p.endswith(".h"):
            headers.setdefault(os.path.basename(p), []).append(p)
    problems, edges, n_includes = [], {}, 0
    for p in files:
        area, rank = where(p)
        if rank is None:
            problems.append(f"{p}: not in a known layer of {area}/")
            continue
        with open(os.path.join(root, p), encoding="utf-8") as f:
            lines = f.read().split("\n")
        for no, line in enumerate(lines, 1):
            m = INCLUDE.match(line)
            if not m or m.group(1).endswith(".pb-c.h"):
                continue
            n_includes += 1
            name = os.path.basename(m.group(1))
            cands = headers.get(name, [])
            # The nearest header of that name: the same folder, the same area, lib/, any.
            same_dir = [c for c in cands if os.path.dirname(c) == os.path.dirname(p)]
            same_area = [c for c in cands if where(c)[0] == area]
            in_lib = [c for c in cands if where(c)[0] == "lib"]
            target = (same_dir or same_area or in_lib or cands or [None])[0]
            if target is None:
                problems.append(f"{p}:{no}: includes \"{m.group(1)}\", no such header in the tree")
                continue
            t_area, t_rank = where(target)
            mod = os.path.splitext(p)[0]
            # A folder's private header (*_internal.h) is the shared part of
            # its modules, not a module: including it makes no edge.
            if not mod.endswith("_internal") and not target.endswith("_internal.h"):
                edges.setdefault(mod, set()).add(os.path.splitext(target)[0])
            if t_area != area and t_area != "lib":
                problems.append(f"{p}:{no}: {describe(p)} includes {target} of another program")
            elif area == "lib" and t_area == "lib" and t_rank > rank:
                problems.append(f"{p}:{no}: {describe(p)} includes {target}, a higher layer ({describe(target)})")
            elif area == "reporter" and t_area == "reporter" and t_rank > rank:
                problems.append(f"{p}:{no}: {describe(p)} includes {target}, a higher layer ({describe(target)})")
    # Circles between modules (a.c/a.h including b.h, b.c/b.h including a.h, ...).
    state, stack = {}, []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for n in sorted(edges.get(m, ())):
            if n == m:
                continue
            if state.get(n) == 1:
                circle = stack[stack.index(n):] + [n]
                problems.append("modules include each other: " + " -> ".join(circle))
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m)
    print(f"layers: {len(files)} files, {n_includes} includes checked; "
          f"lib: {' <- '.join(LIB_LAYERS)}; reporter: {' <- '.join(REPORTER_LAYERS[:-1])} <- main")
    for line in problems:
        print("layers: " + line)
    print(f"layers: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
