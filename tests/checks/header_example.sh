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
# L1_API on Windows: dllimport for programs using the DLL, dllexport while
# the library is built (L1_BUILD), nothing for static linking (L1_STATIC);
# default visibility on ELF.
api() { printf '#include "l1.h"\nL1_API_IS L1_API\n' | ${CC:-cc} -E -P -Iinclude "$@" - | sed -n 's/^L1_API_IS *//p'; }
[ "$(api -D_WIN32)" = "__declspec(dllimport)" ] || { echo "header_example: L1_API for DLL users: '$(api -D_WIN32)'"; exit 1; }
[ "$(api -D_WIN32 -DL1_BUILD)" = "__declspec(dllexport)" ] || { echo "header_example: L1_API building the DLL: '$(api -D_WIN32 -DL1_BUILD)'"; exit 1; }
[ -z "$(api -D_WIN32 -DL1_STATIC)" ] || { echo "header_example: L1_API for static users: '$(api -D_WIN32 -DL1_STATIC)'"; exit 1; }
case "$(api)" in *'visibility("default")'*) ;; *) echo "header_example: L1_API on ELF: '$(api)'"; exit 1 ;; esac
