#!/usr/bin/env bash
# libronda as others link it (docs/architecture.md, "The public API"):
#  - the umbrella header <ronda/ronda.h> includes every public header;
#  - every function those headers declare is exported, by libronda.so and by the public
#    libronda.a, and nothing else is: no name without the ronda_ prefix, no internal one;
#  - a strict C11 program that includes <ronda/ronda.h> alone builds and runs against the
#    shared library and against the archive alike (tests/lib/api_use.c), while defining
#    functions named as libronda's internal ones;
#  - a program that calls an internal function does not link against either.
#
#   bash tests/lib/lib_api.sh SOURCE_DIR LIBRONDA_SO PUBLIC_LIBRONDA_A CC [SANITIZER_FLAGS]
set -euo pipefail
src=$1 so=$2 archive=$3 cc=$4 san=${5:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/ronda-lib-api.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "lib_api: FAIL: $*" >&2; exit 1; }
say() { echo "lib_api: $*"; }

[ -f "$so" ] || fail "no shared library at $so"
[ -f "$archive" ] || fail "no public archive at $archive"
libdir=$(cd "$(dirname "$so")" && pwd)
# shellcheck disable=SC2206
sanflags=($san)
strict=(-std=c11 -pedantic -Wall -Wextra -Werror)
jansson_cflags=$(pkg-config --cflags jansson)
deps=$(pkg-config --libs jansson libsodium sqlite3 msgpack libzmq libzstd)

# ---- the headers: what ronda.h brings in, and the functions declared there
printf '#include <ronda/ronda.h>\n' >"$work/umbrella.c"
# shellcheck disable=SC2086
"$cc" "${strict[@]}" -I"$src/include" $jansson_cflags -E "$work/umbrella.c" >"$work/umbrella.i" ||
  fail "<ronda/ronda.h> does not preprocess on its own"
for h in "$src"/include/ronda/*.h; do
  grep -q "^# [0-9]* \"[^\"]*/include/ronda/$(basename "$h")\"" "$work/umbrella.i" ||
    fail "<ronda/ronda.h> does not include ronda/$(basename "$h"): the umbrella header must include every public header"
done
# The declarations of the public headers, comments gone: one statement a line (split at ; { }).
# A function's statement has a "(" after its name; typedefs, static inline functions (not
# exported), static asserts and function-pointer fields ("void (*progress)(...)") are left
# out. has_api: the statement carries RONDA_API.
awk '/^# [0-9]+ "/ { keep = ($3 ~ /\/include\/ronda\//); next } keep' "$work/umbrella.i" | tr '\n' ' ' |
  tr ';{}' '\n\n\n' | grep -vE '\b(static|typedef|_Static_assert)\b' | grep '(' >"$work/decls" || true
sed -E 's/__attribute__ *\(\([a-z_]+(\("[a-z]+"\))?\)\)/ /g' "$work/decls" |
  awk -v api="$work/decls" '{ getline orig <api; pre = substr($0, 1, index($0, "(") - 1)
        if (substr($0, index($0, "(") + 1) ~ /^ *\*/) next # a function pointer (a struct field), not a function
        if (match(pre, /[A-Za-z_][A-Za-z0-9_]* *$/)) { n = substr(pre, RSTART, RLENGTH); sub(/ +$/, "", n)
          print n, (orig ~ /visibility\("default"\)/ ? "api" : "none") } }' >"$work/names"
awk '{ print $1 }' "$work/names" | sort -u >"$work/declared"
[ "$(wc -l <"$work/declared")" -ge 100 ] || fail "found only $(wc -l <"$work/declared") declarations in the headers"
awk '$1 !~ /^ronda_/ { print $1 }' "$work/names" >"$work/unprefixed"
[ ! -s "$work/unprefixed" ] || fail "public functions without the ronda_ prefix: $(tr '\n' ' ' <"$work/unprefixed")"
awk '$2 != "api" { print $1 }' "$work/names" >"$work/unmarked"
[ ! -s "$work/unmarked" ] || fail "public functions declared without RONDA_API: $(tr '\n' ' ' <"$work/unmarked")"
say "$(wc -l <"$work/declared") functions declared by the $(ls "$src"/include/ronda/*.h | wc -l) public headers, all RONDA_API"

# ---- what the artifacts export
nm -D --defined-only "$so" | awk 'NF == 3 { print $2, $3 }' >"$work/so.syms"
awk '$1 != "T" || $2 !~ /^ronda_/' "$work/so.syms" >"$work/so.other"
[ ! -s "$work/so.other" ] || fail "libronda.so exports what is not a ronda_ function: $(head -n 10 "$work/so.other" | tr '\n' ' ')"
awk '{ print $2 }' "$work/so.syms" | sort -u >"$work/so.names"
diff -u "$work/declared" "$work/so.names" >"$work/so.diff" ||
  fail "libronda.so exports other functions than the headers declare (- declared only, + exported only): $(grep '^[-+]r' "$work/so.diff" | tr '\n' ' ')"
soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libronda.so.1 ] || fail "the shared library's soname is '$soname', not libronda.so.1"

nm -g --defined-only "$archive" | awk 'NF == 3 { print $2, $3 }' >"$work/a.syms"
awk '$2 !~ /^ronda_/' "$work/a.syms" >"$work/a.other"
[ ! -s "$work/a.other" ] || fail "the public libronda.a defines global symbols without the ronda_ prefix: $(head -n 10 "$work/a.other" | tr '\n' ' ')"
awk '$1 == "T" { print $2 }' "$work/a.syms" | sort -u >"$work/a.names"
diff -u "$work/declared" "$work/a.names" >"$work/a.diff" ||
  fail "the public libronda.a defines other functions than the headers declare: $(grep '^[-+]r' "$work/a.diff" | tr '\n' ' ')"
say "libronda.so ($soname) and the public libronda.a export exactly those $(wc -l <"$work/so.names")"

# ---- a user's program, linked both ways
# shellcheck disable=SC2086
"$cc" "${strict[@]}" "${sanflags[@]}" -I"$src/include" $jansson_cflags "$src/tests/lib/api_use.c" -o "$work/use_shared" \
  -L"$libdir" -lronda $(pkg-config --libs jansson) -Wl,-rpath,"$libdir" 2>"$work/cc_shared.err" ||
  { head -n 20 "$work/cc_shared.err" >&2; fail "the program does not build against libronda.so"; }
readelf -d "$work/use_shared" | grep -q 'NEEDED.*\[libronda\.so\.1\]' || fail "the program is not linked to libronda.so.1"
# shellcheck disable=SC2086
"$cc" "${strict[@]}" "${sanflags[@]}" -I"$src/include" $jansson_cflags "$src/tests/lib/api_use.c" -o "$work/use_static" \
  "$archive" $deps -pthread 2>"$work/cc_static.err" ||
  { head -n 20 "$work/cc_static.err" >&2; fail "the program does not build against the public libronda.a"; }
readelf -d "$work/use_static" | grep -q 'libronda' && fail "the program linked to the archive still needs a libronda.so"

version=$(sed -n 's/^#define RONDA_VERSION "\(.*\)"/\1/p' "$src/include/ronda/ronda.h")
id=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["vectors"][0]["id"])' "$src/proto/vectors.json")
for how in shared static; do
  mkdir "$work/$how"
  out=$("$work/use_$how" "$work/$how") || fail "the program linked against the $how library failed"
  case $out in
  "ronda $version: member $id, digest "*", member") ;;
  *) fail "the program linked against the $how library printed: $out (expected the member record $id of proto/vectors.json)" ;;
  esac
  eval "out_$how=\$out"
done
# shellcheck disable=SC2154
[ "$out_shared" = "$out_static" ] || fail "the two builds differ: '$out_shared' and '$out_static'"
say "a strict C11 program of <ronda/ronda.h> alone runs against both: $out_shared"

# ---- without JSON: <ronda/ronda.h> with RONDA_NO_JSON needs no jansson (its include path is
# not given), and the typed API is all there
cat >"$work/nojson.c" <<'C'
#include <ronda/ronda.h>
#ifdef JSON_INTEGER_IS_LONG_LONG
#error "jansson came in with RONDA_NO_JSON"
#endif
int main(void) {
    ronda_report r = {0};
    ronda_report_free(&r);
    ronda_body b;
    uint8_t empty[1] = {0x80}; /* an empty map: no dialogue */
    return ronda_init() == RONDA_OK && ronda_body_decode(RONDA_KIND_DIALOGUE, empty, 1, &b, NULL) == RONDA_ERR_SCHEMA ? 0 : 1;
}
C
# shellcheck disable=SC2086
"$cc" "${strict[@]}" "${sanflags[@]}" -DRONDA_NO_JSON -I"$src/include" "$work/nojson.c" -o "$work/nojson" \
  "$archive" $deps -pthread 2>"$work/nojson.err" ||
  { head -n 20 "$work/nojson.err" >&2; fail "<ronda/ronda.h> with RONDA_NO_JSON does not build without jansson"; }
"$work/nojson" || fail "the typed API without JSON did not answer as expected"
say "with RONDA_NO_JSON, <ronda/ronda.h> builds without jansson and the typed API answers"

# ---- internal functions stay inside
cat >"$work/internal.c" <<'C'
int sync_new(void);
int views_apply(void);
int main(void) { return sync_new() + views_apply(); }
C
for how in shared static; do
  if [ $how = shared ]; then lib=(-L"$libdir" -lronda); else lib=("$archive"); fi
  # shellcheck disable=SC2086
  if "$cc" "${sanflags[@]}" "$work/internal.c" -o "$work/internal_$how" "${lib[@]}" $deps -pthread 2>"$work/internal.err"; then
    fail "a program calling libronda's internal sync_new and views_apply links against the $how library"
  fi
  grep -q "undefined reference to .sync_new" "$work/internal.err" && grep -q "undefined reference to .views_apply" "$work/internal.err" ||
    { head -n 10 "$work/internal.err" >&2; fail "the $how link failed, but not for the internal names"; }
done
say "internal functions (sync_new, views_apply) are not visible to a linker of either"
echo "lib_api: PASS"
