#!/usr/bin/env bash
# The usage example at the top of include/l1.h compiles and links against
# the library as written (it is not run: it needs a real model file).
set -eu
BUILD=${BUILD:-build/release}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk '/^ \* Usage:/{f=1;next} /^ \* Thread model:/{f=0} f' include/l1.h |
    sed 's/^ \*     //; s/^ \*$//' > "$tmp/usage.c"
grep -q "l1_generate" "$tmp/usage.c" || { echo "header_example: no example found in l1.h"; exit 1; }
san=""
case "${CONFIG:-release}" in asan) san=-fsanitize=address ;; ubsan) san=-fsanitize=undefined ;; esac
${CC:-cc} -std=c11 -Wall -Wextra -Wpedantic -Werror $san -Iinclude -o "$tmp/usage" "$tmp/usage.c" \
    "$BUILD/libl1.a" -lm -lpthread
