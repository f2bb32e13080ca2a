#!/usr/bin/env bash
# Fails when a C file differs from what clang-format makes of it (.clang-format).
set -euo pipefail
root=$1
cd "$root"
files=$(find src include tests bench -name '*.c' -o -name '*.h' | sort)
clang-format --dry-run -Werror $files
echo "format: $(echo "$files" | wc -l) files clean"
