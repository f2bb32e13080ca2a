#!/usr/bin/env bash
# `cmake --install` into a DESTDIR puts everything in place: the ronda binary (which runs),
# libronda (libronda.so.1 and libronda.a), the public headers, ronda.pc (a program compiles
# and links against each installed library through it and runs), the man page (which renders), the systemd units
# (ExecStart names the installed binary) and the example configurations.
#
#   bash tests/ops/install_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
dest=$(mktemp -d "${TMPDIR:-/tmp}/ronda-install.XXXXXX")
trap 'rm -rf "$dest"' EXIT
fail() { echo "ops_install: FAIL: $*" >&2; exit 1; }

DESTDIR=$dest cmake --install "$build" --prefix /opt/ronda >/dev/null
root=$dest/opt/ronda
[ -x "$root/bin/ronda" ] || fail "no bin/ronda"
"$root/bin/ronda" --version | grep -q "^ronda " || fail "the installed ronda does not run"
lib=$(find "$root" -name 'libronda.a' | head -1)
[ -n "$lib" ] || fail "no libronda.a"
libdir=$(dirname "$lib")
[ -f "$libdir/libronda.so.1" ] && [ -L "$libdir/libronda.so" ] || fail "no libronda.so.1 (and its libronda.so link) beside libronda.a"
for h in ronda.h limits.h record.h store.h bundle.h; do [ -f "$root/include/ronda/$h" ] || fail "no include/ronda/$h"; done
pc=$(find "$root" -name ronda.pc | head -1)
[ -n "$pc" ] || fail "no ronda.pc"
[ -f "$(dirname "$pc")/ronda-static.pc" ] || fail "no ronda-static.pc"
[ -f "$root/share/man/man1/ronda.1" ] || fail "no man page"
man -l "$root/share/man/man1/ronda.1" 2>/dev/null | grep -q "EXIT STATUS" || fail "the man page does not render"
for u in ronda.service ronda@.service; do
  f=$root/lib/systemd/system/$u
  [ -f "$f" ] || fail "no $u"
  grep -q "^ExecStart=/opt/ronda/bin/ronda run " "$f" || fail "$u does not start the installed binary"
  grep -q "^Type=notify" "$f" || fail "$u is not Type=notify"
done
[ -f "$root/share/doc/ronda/examples/ronda.ini" ] || fail "no example configuration"
[ -f "$root/share/doc/ronda/examples/jatim/README.md" ] || fail "no East Java example"

# A program built against the installed headers and library, through ronda.pc.
cat >"$dest/use.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <ronda/ronda.h>
int main(void) {
    if (ronda_init() != RONDA_OK) return 1;
    printf("%s %s\n", RONDA_VERSION, ronda_errname(RONDA_ERR_BEHIND));
    return strcmp(ronda_errname(RONDA_ERR_BEHIND), "behind") != 0;
}
C
export PKG_CONFIG_PATH=$(dirname "$pc")
flags=$(pkg-config --define-variable=prefix="$root" --cflags ronda)
libs=$(pkg-config --define-variable=prefix="$root" --libs ronda)
san=()
# A sanitizer build's library needs the sanitizer runtimes at link time.
if [ "$(nm "$lib" 2>/dev/null | grep -c __asan_init || true)" -gt 0 ]; then san=(-fsanitize=address,undefined); fi
static_flags=$(pkg-config --define-variable=prefix="$root" --cflags --libs ronda-static)
# Once against libronda.so (found at run time through LD_LIBRARY_PATH), once against libronda.a.
# shellcheck disable=SC2086
cc -std=c11 "${san[@]}" $flags "$dest/use.c" -o "$dest/use" $libs 2>"$dest/cc.err" ||
  { head -n 20 "$dest/cc.err" >&2; fail "cannot build against the installed library"; }
readelf -d "$dest/use" | grep -q 'NEEDED.*\[libronda\.so\.1\]' || fail "the program is not linked to libronda.so.1"
# shellcheck disable=SC2086
cc -std=c11 "${san[@]}" "$dest/use.c" -o "$dest/use-static" $static_flags 2>"$dest/cc.err" ||
  { head -n 20 "$dest/cc.err" >&2; fail "cannot build against the installed libronda.a (ronda-static.pc)"; }
readelf -d "$dest/use-static" | grep -q 'libronda' && fail "the program built through ronda-static.pc needs a libronda.so"
for prog in use use-static; do
  out=$(LD_LIBRARY_PATH=$libdir ASAN_OPTIONS=detect_leaks=0 "$dest/$prog") || fail "the program $prog linked against libronda failed"
  [ "$out" = "$(sed -n 's/^#define RONDA_VERSION "\(.*\)"/\1/p' "$src/include/ronda/ronda.h") behind" ] || fail "unexpected output of $prog: $out"
done
echo "ops_install: PASS ($(find "$dest" -type f | wc -l) files installed)"
