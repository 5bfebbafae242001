#!/usr/bin/env python3
"""check-layers.py -- the rules of docs/ARCHITECTURE.md that a compiler does not check.

    tests/check-layers.py [ROOT]          check the sources under ROOT/resolver (default: repo)
    tests/check-layers.py --archive LIB   check that a built megdns_core has no libuv symbol
    tests/check-layers.py --self-test     check that each rule reports a tree that breaks it

Source rules, each reported as FILE:LINE: what is wrong, exit 1 when any fails:
  1. no include circle among resolver modules (a module is X.c, X.h and a private X_impl.h);
  2. <uv.h> only in daemon/ and ops/ (nothing below the line does I/O on a loop);
  3. a folder includes only folders at or below its own layer
     (util < dns < conf < dnssec < policy < resolve < daemon < ops);
  4. no .c file over 800 lines, no function over 60 lines (DESIGN.md, Conventions).
The archive rule is what CMake runs after building megdns_core (CMakeLists.txt).
"""
import os
import re
import subprocess
import sys

LAYERS = ["util", "dns", "conf", "dnssec", "policy", "resolve", "daemon", "ops"]
IO_LAYERS = {"daemon", "ops"}
MAX_FILE_LINES = 800
MAX_FUNCTION_LINES = 60
INCLUDE = re.compile(r'\s*#\s*include\s+([<"])([^>"]+)[>"]')
# A function definition starts at column 0 with a return type and a name followed by "(";
# its body ends at the first "}" in column 0.
FUNC_START = re.compile(r"^[A-Za-z_][A-Za-z0-9_ \*]*\b([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def module_of(path):
    """The module a file belongs to: X.c, X.h and X's private header X_impl.h are one."""
    return path[:-len("_impl")] if path.endswith("_impl") else path


def check_archive(path):
    out = subprocess.run(["nm", "-u", path], capture_output=True, text=True, check=True).stdout
    uv = sorted({l.split()[-1] for l in out.splitlines() if re.search(r"\buv_", l)})
    for sym in uv:
        print(f"{path}: refers to libuv ({sym}): only resolver/daemon and resolver/ops may")
    return 1 if uv else 0


def sources(root):
    base = os.path.join(root, "resolver")
    for layer in sorted(os.listdir(base)):
        d = os.path.join(base, layer)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if name.endswith((".c", ".h")):
                yield layer, name, os.path.join(d, name)


def find_cycle(graph):
    """One include circle as a list of modules, or None (iterative DFS, white/grey/black)."""
    colour = {v: 0 for v in graph}
    for start in sorted(graph):
        if colour[start]:
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        colour[start] = 1
        while stack:
            v, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                colour[v] = 2
                stack.pop()
                path.pop()
            elif colour.get(nxt, 2) == 1:
                return path[path.index(nxt):] + [nxt]
            elif colour.get(nxt) == 0:
                colour[nxt] = 1
                stack.append((nxt, iter(sorted(graph[nxt]))))
                path.append(nxt)
    return None


def check_functions(path, lines, errors):
    start = None
    for i, line in enumerate(lines, 1):
        if start is None:
            m = FUNC_START.match(line)
            head = line.split("(", 1)[0]
            if m and "=" not in head and not line.rstrip().endswith(";") and \
                    not line.startswith("typedef"):
                start, name = i, m.group(1)
            continue
        if line.rstrip().endswith(";") and i == start + 1 and "{" not in line:
            start = None  # a prototype broken over two lines
            continue
        if line.startswith("}"):
            n = i - start + 1
            if n > MAX_FUNCTION_LINES:
                errors.append(f"{path}:{start}: function {name} is {n} lines "
                              f"(at most {MAX_FUNCTION_LINES})")
            start = None


def check_sources(root):
    errors = []
    graph = {}
    where = {}
    for layer, name, path in sources(root):
        module = module_of(f"{layer}/{name.rsplit('.', 1)[0]}")
        graph.setdefault(module, set())
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        if name.endswith(".c") and len(lines) - 1 > MAX_FILE_LINES:
            errors.append(f"{path}:1: {len(lines) - 1} lines (at most {MAX_FILE_LINES}): "
                          "split it by concept")
        if name.endswith(".c"):
            check_functions(path, lines, errors)
        for i, line in enumerate(lines, 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            kind, target = m.groups()
            if kind == "<" and target == "uv.h" and layer not in IO_LAYERS:
                errors.append(f"{path}:{i}: includes <uv.h> below the line "
                              "(only daemon/ and ops/ may)")
            if kind != '"' or "/" not in target:
                continue
            tlayer = target.split("/", 1)[0]
            tmodule = module_of(target.rsplit(".", 1)[0])
            if tlayer in LAYERS and layer in LAYERS and \
                    LAYERS.index(tlayer) > LAYERS.index(layer) and \
                    not (layer == "daemon" and name == "main.c"):
                errors.append(f"{path}:{i}: {layer}/ includes {target} from the layer "
                              f"above ({tlayer}/)")
            if tmodule != module:
                graph[module].add(tmodule)
                where.setdefault((module, tmodule), f"{path}:{i}")
    cycle = find_cycle(graph)
    if cycle:
        steps = ", ".join(f"{a} -> {b} ({where[(a, b)]})" for a, b in zip(cycle, cycle[1:]))
        errors.append(f"{where[(cycle[0], cycle[1])]}: include circle: {steps}")
    for e in errors:
        print(e)
    return 1 if errors else 0


def self_test():
    """A tree with one of each violation: every rule must report it (the checker can fail)."""
    import contextlib
    import io
    import tempfile
    files = {
        "dns/a.h": '#include "dns/b.h"\n',
        "dns/b.h": '#include "dns/a.h"\n',
        "util/io.c": "#include <uv.h>\n",
        "util/up.c": '#include "daemon/w.h"\n',
        "resolve/long.c": "static int f(void)\n{\n" + "\tx();\n" * 61 + "}\n",
        "policy/big.c": "int x;\n" * 801,
    }
    want = ["include circle", "<uv.h> below the line", "from the layer above",
            "function f is 64 lines", "801 lines"]
    with tempfile.TemporaryDirectory() as root:
        for name, text in files.items():
            path = os.path.join(root, "resolver", name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = check_sources(root)
    missed = [w for w in want if w not in out.getvalue()]
    for w in missed:
        print(f"self-test: '{w}' was not reported; got:\n{out.getvalue()}")
    return 1 if missed or rc == 0 else 0


def main(argv):
    if len(argv) == 3 and argv[1] == "--archive":
        return check_archive(argv[2])
    if len(argv) == 2 and argv[1] == "--self-test":
        return self_test()
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    return check_sources(root)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
