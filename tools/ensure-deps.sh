#!/usr/bin/env bash
# Makes sure a build or test dependency is present: installs it with apt-get
# when running as root, or prints the one command that does.
# Usage: tools/ensure-deps.sh cmocka|clang|qemu|unicode-data|npm|cmake|bench-compare|serve|curl ...
set -u
need=()
for dep in "$@"; do
    case "$dep" in
    cmocka) [ -f /usr/include/cmocka.h ] || need+=(libcmocka-dev pkg-config) ;;
    clang) command -v clang >/dev/null && [ -n "$(ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a 2>/dev/null)" ] || need+=(clang libclang-rt-dev) ;;
    qemu) command -v qemu-aarch64 >/dev/null && command -v aarch64-linux-gnu-gcc >/dev/null || need+=(qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross) ;;
    cmocka-arm64)
        if [ ! -e /usr/lib/aarch64-linux-gnu/libcmocka.so ]; then
            if [ "$(id -u)" -eq 0 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
                echo "adding the arm64 architecture to dpkg (for libcmocka-dev:arm64)" >&2
                dpkg --add-architecture arm64 && apt-get update -q >&2
            fi
            need+=(libcmocka-dev:arm64)
        fi ;;
    unicode-data) [ -f /usr/share/unicode/UnicodeData.txt ] || need+=(unicode-data) ;;
    npm) command -v npm >/dev/null || need+=(npm) ;;
    # l1 serve: HTTP (libmicrohttpd) and JSON (cJSON).
    serve) [ -f /usr/include/microhttpd.h ] && [ -f /usr/include/cjson/cJSON.h ] || need+=(libmicrohttpd-dev libcjson-dev) ;;
    curl) command -v curl >/dev/null || need+=(curl) ;;
    cmake) command -v cmake >/dev/null || need+=(cmake) ;;
    # llama.cpp's scripts/compare-llama-bench.py imports tabulate and GitPython.
    bench-compare) /usr/bin/python3 -c 'import tabulate, git' 2>/dev/null || need+=(python3-tabulate python3-git) ;;
    *) echo "ensure-deps: unknown dependency '$dep'" >&2; exit 2 ;;
    esac
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "installing: ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    { apt-get install -y -q "${need[@]}" || { apt-get update -q && apt-get install -y -q "${need[@]}"; }; } >&2 || {
        echo "ensure-deps: apt-get install ${need[*]} failed" >&2; exit 1; }
else
    echo "missing packages; install them with:  sudo apt-get install -y ${need[*]}" >&2
    exit 1
fi
