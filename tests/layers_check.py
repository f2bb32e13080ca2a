#!/usr/bin/python3
"""The layering rule of docs/architecture.md, checked on every include of src/ and include/ronda/.

The rule is read from the document itself (the table between the `layers: begin` and
`layers: end` markers), so the text and the check cannot disagree. Every file of src/ must
belong to a layer, and every `#include "dir/..."` or `#include <ronda/...>` must name a
layer that its own layer may include. A violation is named with its file and line.

Usage: layers_check.py ROOT           check the tree at ROOT
       layers_check.py --selftest ROOT  also prove that the check fails on bad includes
Exit status 0: the rule holds; 1: a violation (listed); 2: the rule or the tree is unreadable.
"""
import os
import re
import shutil
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
ROW = re.compile(r'^\|\s*`?([a-z]+)`?\s*\|([^|]*)\|([^|]*)\|')
API = "ronda"  # include/ronda/: the public headers, includable by every layer


class RuleError(Exception):
    pass


def read_rule(doc):
    """{layer: (set of path prefixes, set of layers it may include)} from the marked table."""
    try:
        with open(doc, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise RuleError(f"{doc}: cannot read the layer rule: {e.strerror}")
    m = re.search(r"<!-- layers: begin -->(.*?)<!-- layers: end -->", text, re.S)
    if not m:
        raise RuleError(f"{doc}: no table between '<!-- layers: begin -->' and '<!-- layers: end -->'")
    rule = {}
    for line in m.group(1).splitlines():
        r = ROW.match(line.strip())
        if not r or r.group(1) == "layer":
            continue
        paths = {p.strip().strip("`") for p in r.group(2).split(",") if p.strip().strip("`")}
        may = {p.strip().strip("`") for p in r.group(3).split(",")}
        may = {p for p in may if p and p not in ("-", "—")}
        rule[r.group(1)] = (paths, may)
    if len(rule) < 2:
        raise RuleError(f"{doc}: the layer table has {len(rule)} rows: expected one per layer")
    for name, (paths, may) in rule.items():
        if not paths:
            raise RuleError(f"{doc}: layer {name} names no directory")
        for other in may:
            if other not in rule:
                raise RuleError(f"{doc}: layer {name} may include '{other}', which is no layer of the table")
    if API not in rule:
        raise RuleError(f"{doc}: no row for the public headers ('{API}', include/ronda/)")
    return rule


def layer_of(rule, rel):
    """The layer a file (path relative to ROOT) belongs to, by its longest matching prefix."""
    best, blen = None, -1
    for name, (paths, _) in rule.items():
        for p in paths:
            if (rel == p or (p.endswith("/") and rel.startswith(p))) and len(p) > blen:
                best, blen = name, len(p)
    return best


JSON_HEADERS = ("jansson.h", "ronda/json.h")


def read_json_edge(doc):
    """The files and directories (path prefixes) that may include the JSON headers."""
    with open(doc, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"<!-- json: begin -->(.*?)<!-- json: end -->", text, re.S)
    if not m:
        raise RuleError(f"{doc}: no list between '<!-- json: begin -->' and '<!-- json: end -->'")
    paths = set(re.findall(r"`((?:src|include)/[^`]+)`", m.group(1)))
    if not paths:
        raise RuleError(f"{doc}: the JSON edge list names no file")
    return paths


def json_allowed(paths, rel):
    return any(rel == p or (p.endswith("/") and rel.startswith(p)) for p in paths)


def check(root):
    """The list of violations ("file:line: why") of the tree at root."""
    rule = read_rule(os.path.join(root, "docs", "architecture.md"))
    json_edge = read_json_edge(os.path.join(root, "docs", "architecture.md"))
    # the first directory of an include names its layer: "sync/sync.h" -> the layer holding src/sync/
    dirs = {}
    for name, (paths, _) in rule.items():
        for p in paths:
            parts = p.split("/")
            if p.endswith("/") and len(parts) >= 3 and parts[0] in ("src", "include"):
                dirs[parts[1]] = name
    bad = []
    files = []
    for top in ("src", os.path.join("include", "ronda")):
        base = os.path.join(root, top)
        if not os.path.isdir(base):
            raise RuleError(f"{base}: missing (run from the source tree's root)")
        for d, _, names in os.walk(base):
            for n in names:
                if n.endswith((".c", ".h")):
                    files.append(os.path.relpath(os.path.join(d, n), root).replace(os.sep, "/"))
    if not files:
        raise RuleError(f"{root}: no C files under src/ or include/ronda/")
    for rel in sorted(files):
        me = layer_of(rule, rel)
        if me is None:
            bad.append(f"{rel}:1: belongs to no layer: add its directory to the table in docs/architecture.md")
            continue
        may = rule[me][1] | {me, API}
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            for no, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                quote, target = m.group(1), m.group(2)
                if target in JSON_HEADERS and not json_allowed(json_edge, rel):
                    bad.append(f"{rel}:{no}: #include {quote}{target}{'>' if quote == '<' else quote}: only the "
                               "JSON edge list of docs/architecture.md may include the JSON documents; read the "
                               "typed structs (ronda/body.h) instead, or add the file to the list")
                head = target.split("/")[0]
                if quote == "<" and head != API:
                    continue  # a system header (<stdio.h>, <net/if.h>, <systemd/sd-daemon.h>)
                if "/" not in target or head in (".", ".."):
                    bad.append(f"{rel}:{no}: #include \"{target}\": write includes from src/ or include/, "
                               "as \"layer/file.h\", so the layer they reach is visible")
                    continue
                to = API if head == API else dirs.get(head)
                if to is None:
                    bad.append(f"{rel}:{no}: #include \"{target}\": {head}/ is no layer of docs/architecture.md")
                elif to not in may:
                    allowed = ", ".join(sorted(rule[me][1])) or "nothing but itself"
                    bad.append(f"{rel}:{no}: {me} may not include {to} (#include {quote}{target}"
                               f"{'>' if quote == '<' else quote}); {me} may include {allowed} and {API}/")
    return bad


def selftest(root):
    """Copies of the tree with one bad include each must fail, naming the file and line."""
    cases = [
        ("src/http/http.c", '#include "sync/sync.h"\n', "src/http/http.c:", "http may not include sync"),
        ("src/net/net.c", '#include "sync/sync.h"\n', "src/net/net.c:", "net may not include sync"),
        ("src/sync/sync.c", '#include "net/net.h"\n', "src/sync/sync.c:", "sync may not include net"),
        ("src/util/hex.c", '#include "store/store_int.h"\n', "src/util/hex.c:", "util may not include store"),
        ("include/ronda/limits.h", '#include "record/canon.h"\n', "include/ronda/limits.h:",
         "ronda may not include record"),
        ("src/record/canon.c", '#include "../sync/sync.h"\n', "src/record/canon.c:", "write includes from src/"),
        ("src/newlayer/x.c", '#include "ronda/ronda.h"\n', "src/newlayer/x.c:1:", "belongs to no layer"),
        ("src/store/views.c", '#include "ronda/json.h"\n', "src/store/views.c:", "JSON edge list"),
        ("src/sync/sync.c", '#include <jansson.h>\n', "src/sync/sync.c:", "JSON edge list"),
        ("include/ronda/store.h", '#include <jansson.h>\n', "include/ronda/store.h:", "JSON edge list"),
    ]
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for path, line, where, why in cases:
            t = os.path.join(tmp, "tree")
            shutil.rmtree(t, ignore_errors=True)
            for top in ("src", "include"):
                shutil.copytree(os.path.join(root, top), os.path.join(t, top))
            os.makedirs(os.path.join(t, "docs"))
            shutil.copy(os.path.join(root, "docs", "architecture.md"), os.path.join(t, "docs"))
            os.makedirs(os.path.dirname(os.path.join(t, path)), exist_ok=True)
            with open(os.path.join(t, path), "a", encoding="utf-8") as f:
                f.write(line)
            got = check(t)
            if not any(g.startswith(where) and why in g for g in got):
                print(f"selftest: adding {line.strip()} to {path} was not reported as '{why}' at {where} "
                      f"(got: {got or 'no violation'})")
                failed += 1
    return failed


def main(argv):
    args = [a for a in argv[1:] if a != "--selftest"]
    if len(args) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    root = args[0]
    try:
        bad = check(root)
        for b in bad:
            print(b)
        if bad:
            print(f"layers: {len(bad)} include(s) break the rule of docs/architecture.md (## Layers)")
            return 1
        if "--selftest" in argv and selftest(root):
            print("layers: the check missed a deliberately bad include")
            return 1
    except RuleError as e:
        print(f"layers: {e}")
        return 2
    print("layers: every include of src/ and include/ronda/ follows docs/architecture.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
