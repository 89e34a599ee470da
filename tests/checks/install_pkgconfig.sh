#!/usr/bin/env bash
# Installs into a temporary DESTDIR with PREFIX=/usr, then again from the
# same (now stale) build directory with PREFIX=/usr/local: each time the
# installed l1.pc names its own prefix, and examples/version.c builds with
# `pkg-config --cflags --libs l1` against that install and runs (shared
# library first, then static with --static).  The installed shared library
# and tool carry no debug sections.
set -eu
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
mk() { make --no-print-directory -s CONFIG="${CONFIG:-release}" BUILDROOT="${BUILDROOT:-build}" "$@" >/dev/null; }
san=""
case "${CONFIG:-release}" in asan) san=-fsanitize=address ;; ubsan) san=-fsanitize=undefined ;; esac

for prefix in /usr /usr/local; do
    root="$dest/stage$prefix"
    mkdir -p "$root"
    mk install DESTDIR="$dest/stage" PREFIX="$prefix"
    pc="$dest/stage$prefix/lib/pkgconfig/l1.pc"
    grep -qx "prefix=$prefix" "$pc" || { echo "PREFIX=$prefix installed a stale l1.pc:"; cat "$pc"; exit 1; }
    export PKG_CONFIG_PATH="$dest/stage$prefix/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest/stage"
    flags=$(pkg-config --cflags --libs l1)
    case "$flags" in *"$dest/stage$prefix/include"*) ;; *) echo "pkg-config gave no include path: $flags"; exit 1 ;; esac
    cc $san -o "$dest/version" examples/version.c $flags
    out=$(LD_LIBRARY_PATH="$dest/stage$prefix/lib" "$dest/version")
    ver=$(sed -n 's/^Version: //p' "$pc")
    [ "$out" = "libl1 $ver" ] || { echo "unexpected output: '$out' (l1.pc says $ver)"; exit 1; }
    # The program really used the installed shared library, by its SONAME.
    LD_LIBRARY_PATH="$dest/stage$prefix/lib" ldd "$dest/version" |
        grep -Eq "libl1\.so\.[0-9]+ => $dest/stage$prefix/lib/libl1\.so\.[0-9]+" || {
        echo "program did not link the installed libl1.so"; exit 1; }
    cc $san -o "$dest/version-static" examples/version.c $(pkg-config --static --cflags l1) \
        "$dest/stage$prefix/lib/libl1.a" $(pkg-config --static --libs-only-l l1 | sed 's/-ll1//')
    [ "$("$dest/version-static")" = "libl1 $ver" ]
    for f in "$dest/stage$prefix/lib/libl1.so.$ver" "$dest/stage$prefix/bin/l1"; do
        if readelf -S "$f" | grep -q '\.debug_'; then echo "$f is not stripped"; exit 1; fi
    done
    mk uninstall DESTDIR="$dest/stage" PREFIX="$prefix"
    [ ! -e "$dest/stage$prefix/include/l1.h" ] || { echo "uninstall left l1.h"; exit 1; }
    [ ! -e "$pc" ] || { echo "uninstall left l1.pc"; exit 1; }
done
