#!/usr/bin/env bash
# A CMake project finds the installed library with find_package(l1 CONFIG)
# and builds examples/version.c three ways: against l1::l1 (the shared
# library), l1::l1_static, and l1::l1 with L1_USE_STATIC_LIBS=ON.  Each
# program runs and prints the installed version; a request for a version
# the install cannot satisfy fails.  Skipped (status 77) without cmake.
set -eu
command -v cmake >/dev/null || { echo "cmake not installed"; exit 77; }
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
make --no-print-directory -s install DESTDIR="$dest/stage" PREFIX=/opt/l1 \
    CONFIG="${CONFIG:-release}" BUILDROOT="${BUILDROOT:-build}" >/dev/null
root="$dest/stage/opt/l1"
ver=$(sed -n 's/^Version: //p' "$root/lib/pkgconfig/l1.pc")
[ -f "$root/lib/cmake/l1/l1Config.cmake" ] && [ -f "$root/lib/cmake/l1/l1ConfigVersion.cmake" ] || {
    echo "install wrote no CMake package files"; exit 1; }
san=""
case "${CONFIG:-release}" in asan) san=-fsanitize=address ;; ubsan) san=-fsanitize=undefined ;; esac
mkdir -p "$dest/proj"
cp examples/version.c "$dest/proj/"
cat >"$dest/proj/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.10)
project(l1_consumer C)
find_package(l1 ${ver%.*} CONFIG REQUIRED)
if(NOT l1_VERSION STREQUAL "$ver")
  message(FATAL_ERROR "l1_VERSION is \${l1_VERSION}")
endif()
add_executable(version_default version.c)
target_link_libraries(version_default PRIVATE l1::l1)
add_executable(version_static version.c)
target_link_libraries(version_static PRIVATE l1::l1_static)
CMAKE
build() { # build dir, extra cmake arguments
    local b="$1"; shift
    cmake -S "$dest/proj" -B "$b" -DCMAKE_PREFIX_PATH="$root" -DCMAKE_C_FLAGS="$san" "$@" >"$b.log" 2>&1 &&
        cmake --build "$b" >>"$b.log" 2>&1 || { cat "$b.log"; echo "CMake consumer build failed ($*)"; exit 1; }
}
build "$dest/b1"
out=$("$dest/b1/version_default")
[ "$out" = "libl1 $ver" ] || { echo "l1::l1 program printed '$out'"; exit 1; }
ldd "$dest/b1/version_default" | grep -q "libl1\.so\.[0-9]* => $root/lib/" || {
    echo "l1::l1 did not link the installed shared library"; ldd "$dest/b1/version_default"; exit 1; }
[ "$("$dest/b1/version_static")" = "libl1 $ver" ] || { echo "l1::l1_static program failed"; exit 1; }
if ldd "$dest/b1/version_static" | grep -q libl1; then echo "l1::l1_static linked the shared library"; exit 1; fi
build "$dest/b2" -DL1_USE_STATIC_LIBS=ON
if ldd "$dest/b2/version_default" | grep -q libl1; then
    echo "L1_USE_STATIC_LIBS=ON still linked the shared library"; exit 1; fi
[ "$("$dest/b2/version_default")" = "libl1 $ver" ]
# A major version the install does not provide is refused.
sed -i "s/find_package(l1 [0-9.]* CONFIG REQUIRED)/find_package(l1 $(( ${ver%%.*} + 1 )).0 CONFIG REQUIRED)/" \
    "$dest/proj/CMakeLists.txt"
if cmake -S "$dest/proj" -B "$dest/b3" -DCMAKE_PREFIX_PATH="$root" >"$dest/b3.log" 2>&1; then
    echo "find_package accepted an incompatible major version"; exit 1; fi
exit 0
