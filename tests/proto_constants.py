#!/usr/bin/python3
"""The constants proto/*.md names against the values the code compiles with.

Two kinds of marks are read from every proto/*.md:
  - the rows of a table between `<!-- constants: begin -->` and `<!-- constants: end -->`:
    | `C expression` | value | meaning |
  - in the text, a constant's name in backquotes followed by its value in parentheses:
    `NET_HWM` (32), `RONDA_CLOCK_AHEAD_MAX_MS` (4 h).
A value is a number (thousands may be separated by commas) with an optional unit: B, KiB,
MiB for bytes; ms, s, min, h for time (the constant then counts milliseconds). A leading ~
means rounded to the digits shown. A quoted value ("ronda") is a string constant.

Each expression is compiled, against include/ronda/ and the headers of src/sync, src/net and
src/http, into a small C program that prints it (a name the headers lack fails the compile,
with the document's line), and each printed value must equal the document's.

Usage: proto_constants.py [--cc CC] [--selftest] ROOT
Exit status 0: every value agrees; 1: drift (listed); 2: the marks or the compiler failed.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

HEADERS = ["ronda/ronda.h", "sync/sync.h", "net/net.h", "http/http.h"]
UNITS = {"B": 1, "KiB": 1024, "MiB": 1024 * 1024, "ms": 1, "s": 1000, "min": 60000, "h": 3600000}
TIME = {"ms", "s", "min", "h"}
TABLE = re.compile(r"<!-- constants: begin -->(.*?)<!-- constants: end -->", re.S)
ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|\s*([^|]+?)\s*\|")
INLINE = re.compile(r"`([A-Z][A-Z0-9_]*)`\s*\((~?[0-9][0-9,.]*(?:\s*(?:B|KiB|MiB|ms|s|min|h))?)\)")
VALUE = re.compile(r"^(~?)([0-9][0-9,]*(?:\.[0-9]+)?)\s*(B|KiB|MiB|ms|s|min|h)?$")


class MarkError(Exception):
    pass


def parse_value(text, where, expr):
    """('str', s) or ('num', value, unit factor, approximate, decimals)."""
    text = text.strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return ("str", text[1:-1])
    m = VALUE.match(text)
    if not m:
        raise MarkError(f"{where}: `{expr}`: '{text}' is not a number with an optional unit "
                        f"({', '.join(UNITS)}) nor a quoted string")
    approx, num, unit = m.group(1) == "~", m.group(2).replace(",", ""), m.group(3)
    if unit in TIME and not expr.rstrip(")").split("/")[0].strip().endswith("_MS"):
        raise MarkError(f"{where}: `{expr}` is given in {unit}, but only a *_MS constant counts time")
    decimals = len(num.split(".")[1]) if "." in num else 0
    if decimals and not approx:
        raise MarkError(f"{where}: `{expr}` = {text}: a fraction is only allowed rounded (~)")
    return ("num", float(num) if decimals else int(num), UNITS.get(unit, 1), approx, decimals)


def read_marks(proto):
    """[(file, line, expression, value)] of every proto/*.md."""
    marks = []
    names = sorted(n for n in os.listdir(proto) if n.endswith(".md"))
    if not names:
        raise MarkError(f"{proto}: no .md files")
    for n in names:
        path = os.path.join(proto, n)
        rel = "proto/" + n
        with open(path, encoding="utf-8") as f:
            text = f.read()
        line_of = lambda pos: text.count("\n", 0, pos) + 1  # noqa: E731
        tables = list(TABLE.finditer(text))
        for t in tables:
            rows = 0
            base = t.start(1)
            for off, line in _lines(t.group(1)):
                r = ROW.match(line.strip())
                if not r:
                    continue
                rows += 1
                where = f"{rel}:{line_of(base + off)}"
                marks.append((rel, line_of(base + off), r.group(1).strip(), parse_value(r.group(2), where,
                                                                                        r.group(1))))
            if rows == 0:
                raise MarkError(f"{rel}:{line_of(t.start())}: a constants table without rows")
        for m in INLINE.finditer(text):
            where = f"{rel}:{line_of(m.start())}"
            marks.append((rel, line_of(m.start()), m.group(1), parse_value(m.group(2), where, m.group(1))))
    return marks


def _lines(block):
    off = 0
    for line in block.split("\n"):
        yield off, line
        off += len(line) + 1


def compile_values(root, marks, cc, tmp):
    """{index: printed value} of every numeric and string mark, by one compiled program."""
    src = ["#include <stdio.h>"] + [f'#include "{h}"' for h in HEADERS] + ["int main(void) {"]
    for i, (rel, line, expr, val) in enumerate(marks):
        src.append(f'#line {line} "{rel}"')
        if val[0] == "str":
            src.append(f'    printf("%d %s\\n", {i}, (const char *)({expr}));')
        else:
            src.append(f'    printf("%d %llu\\n", {i}, (unsigned long long)({expr}));')
    src += ["    return 0;", "}"]
    c = os.path.join(tmp, "proto_constants.c")
    exe = os.path.join(tmp, "proto_constants")
    with open(c, "w", encoding="utf-8") as f:
        f.write("\n".join(src) + "\n")
    cmd = [cc, "-std=c11", "-D_POSIX_C_SOURCE=200809L", "-Werror=implicit-function-declaration",
           "-I", os.path.join(root, "include"), "-I", os.path.join(root, "src"), c, "-o", exe]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise MarkError("a constant the documents name does not compile against the headers "
                        "(each error names the document's line):\n" + p.stderr.strip())
    p = subprocess.run([exe], capture_output=True, text=True)
    if p.returncode != 0:
        raise MarkError(f"the printing program failed ({p.returncode}): {p.stderr.strip()}")
    got = {}
    for line in p.stdout.splitlines():
        i, v = line.split(" ", 1)
        got[int(i)] = v
    if len(got) != len(marks):
        raise MarkError(f"the program printed {len(got)} values for {len(marks)} marks")
    return got


def show(actual, val):
    f = val[2]
    unit = next((u for u, k in UNITS.items() if k == f and f != 1), "")
    return f"{actual}" + (f" ({actual / f:g} {unit})" if unit else "")


def check(root, cc):
    marks = read_marks(os.path.join(root, "proto"))
    if not any(m[0] == "proto/sync.md" for m in marks) or not any(m[0] == "proto/record.md" for m in marks):
        raise MarkError("proto/sync.md and proto/record.md must mark their constants")
    with tempfile.TemporaryDirectory() as tmp:
        got = compile_values(root, marks, cc, tmp)
    bad = []
    for i, (rel, line, expr, val) in enumerate(marks):
        v = got[i]
        if val[0] == "str":
            if v != val[1]:
                bad.append(f'{rel}:{line}: `{expr}` is "{v}" in the headers, the document says "{val[1]}"')
            continue
        _, num, factor, approx, decimals = val
        actual = int(v)
        if approx:
            ok = round(actual / factor, decimals) == num
        else:
            ok = actual == num * factor
        if not ok:
            doc = f"{'~' if approx else ''}{num}" + (f" x {factor}" if factor != 1 else "")
            bad.append(f"{rel}:{line}: `{expr}` is {show(actual, val)} in the headers, the document says {doc}: "
                       "make the one that is wrong say the truth")
    return marks, bad


def selftest(root, cc):
    """A copy of proto/ with a wrong value, a wrong inline value and an unknown name must fail."""
    cases = [
        ("| `NET_HWM` | 32 |", "| `NET_HWM` | 256 |", "`NET_HWM` is 32 in the headers, the document says 256"),
        ("`NET_REFUSED_LOG_MAX` (10)", "`NET_REFUSED_LOG_MAX` (11)", "`NET_REFUSED_LOG_MAX` is 10"),
        ("| `SYNC_ROUND_MS` | 2 s |", "| `SYNC_ROUND_MS` | 3 s |", "`SYNC_ROUND_MS` is 2000 (2 s)"),
        ("| `NET_HWM` | 32 |", "| `NET_HWM_NONE` | 32 |", "does not compile"),
    ]
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for old, new, want in cases:
            t = os.path.join(tmp, "tree")
            shutil.rmtree(t, ignore_errors=True)
            shutil.copytree(os.path.join(root, "proto"), os.path.join(t, "proto"))
            os.symlink(os.path.join(os.path.abspath(root), "include"), os.path.join(t, "include"))
            os.symlink(os.path.join(os.path.abspath(root), "src"), os.path.join(t, "src"))
            p = os.path.join(t, "proto", "sync.md")
            with open(p, encoding="utf-8") as f:
                text = f.read()
            if old not in text:
                print(f"selftest: proto/sync.md lacks '{old}' to change")
                failed += 1
                continue
            with open(p, "w", encoding="utf-8") as f:
                f.write(text.replace(old, new, 1))
            try:
                _, bad = check(t, cc)
                msg = "\n".join(bad)
            except MarkError as e:
                msg = str(e)
            if want not in msg:
                print(f"selftest: changing '{old}' to '{new}' was not reported as '{want}' (got: {msg or 'nothing'})")
                failed += 1
    return failed


def main(argv):
    args = argv[1:]
    cc = os.environ.get("CC", "cc")
    if "--cc" in args:
        i = args.index("--cc")
        if i + 1 >= len(args):
            print(__doc__.strip(), file=sys.stderr)
            return 2
        cc = args[i + 1]
        del args[i:i + 2]
    st = "--selftest" in args
    args = [a for a in args if a != "--selftest"]
    if len(args) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        marks, bad = check(args[0], cc)
        for b in bad:
            print(b)
        if bad:
            print(f"proto_constants: {len(bad)} of {len(marks)} values in proto/ differ from the headers")
            return 1
        if st and selftest(args[0], cc):
            print("proto_constants: the check missed a deliberate drift")
            return 1
    except (MarkError, OSError) as e:
        print(f"proto_constants: {e}")
        return 2
    print(f"proto_constants: {len(marks)} values in proto/ equal the headers'")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
