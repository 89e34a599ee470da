#!/usr/bin/env bash
# Installs into a temporary DESTDIR, then builds examples/version.c against
# the installed header and library with `pkg-config --cflags --libs l1` and
# runs it (shared library first, then static with --static).
set -eu
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
make --no-print-directory -s install DESTDIR="$dest" PREFIX=/usr CONFIG="${CONFIG:-release}" BUILDROOT="${BUILDROOT:-build}" >/dev/null
export PKG_CONFIG_PATH="$dest/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest"
flags=$(pkg-config --cflags --libs l1)
case "$flags" in *"$dest/usr/include"*) ;; *) echo "pkg-config gave no include path: $flags"; exit 1 ;; esac
san=""
case "${CONFIG:-release}" in asan) san=-fsanitize=address ;; ubsan) san=-fsanitize=undefined ;; esac
cc $san -o "$dest/version" examples/version.c $flags
out=$(LD_LIBRARY_PATH="$dest/usr/lib" "$dest/version")
ver=$(sed -n 's/^Version: //p' "$dest/usr/lib/pkgconfig/l1.pc")
[ "$out" = "libl1 $ver" ] || { echo "unexpected output: '$out' (l1.pc says $ver)"; exit 1; }
# The installed binary really used the shared library with the right SONAME.
LD_LIBRARY_PATH="$dest/usr/lib" ldd "$dest/version" | grep -Eq "libl1\.so\.[0-9]+ => $dest/usr/lib/libl1\.so\.[0-9]+" || {
    echo "program did not link the installed libl1.so"; exit 1; }
cc $san -o "$dest/version-static" examples/version.c $(pkg-config --static --cflags l1) \
    "$dest/usr/lib/libl1.a" $(pkg-config --static --libs-only-l l1 | sed 's/-ll1//')
[ "$("$dest/version-static")" = "libl1 $ver" ]
make --no-print-directory -s uninstall DESTDIR="$dest" PREFIX=/usr BUILDROOT="${BUILDROOT:-build}" >/dev/null
[ ! -e "$dest/usr/include/l1.h" ] || { echo "uninstall left l1.h"; exit 1; }
