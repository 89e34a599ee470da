#!/usr/bin/env bash
# bench/arm/proxy.sh - an ARM speed proxy where no ARM machine is at hand:
# guest instructions retired per token under qemu-aarch64, l1's aarch64
# build against llama.cpp's own aarch64 build of the reference source, on
# the same files, one thread each (bench/arm/insn_count.c counts).
#
#   bench/arm/proxy.sh [TYPE ...]          (default: Q4_0 Q8_0 Q4_K)
#   L1_ARM=other/aarch64/l1 bench/arm/proxy.sh     another l1 build (before/after)
#   I8MM=1 bench/arm/proxy.sh ...          both engines with the int8 matrix
#                                          multiply extension (smmla)
#
# Per token means the difference of two runs divided by their difference
# in tokens, so loading, repacking and warm-up cancel out: prefill from
# pp32 and pp64, decode from tg16 and tg48 (llama-bench's and l1 bench's
# tests, --no-warmup, -r 1, -t 1; l1 also --no-roofline, since its
# bandwidth probe reads memory for a fixed time).  Both builds target
# armv8.2-a+dotprod+fp16 (the NEON tier's features; l1 runs with
# L1_TIER=neon, since qemu's CPU also has i8mm), or with I8MM=1
# armv8.2-a+dotprod+fp16+i8mm (l1's i8mm tier, llama.cpp's i8mm kernels,
# its build in build/armproxy/llama-i8mm).  The files have
# L1-Qwen-1.5B's layer shapes with 4 layers and the small built-in
# vocabulary (l1 synth --preset l1-1.5b --layers 4), so the layers, not
# the output head, dominate.  Instructions are a proxy for time, not a
# measurement of it: memory stalls and instruction costs differ by core.
#
# Needs: gcc-aarch64-linux-gnu, g++-aarch64-linux-gnu, qemu-user, cmake,
# libc6:arm64 and libstdc++6:arm64 (the multiarch libraries qemu -L /
# runs with), the reference source (make parity-fetch).  Work files go to
# build/armproxy.
set -eu
shopt -s inherit_errexit
cd "$(dirname "$0")/../.."
OUT=build/armproxy
REFSRC=build/reference/llama.cpp
TYPES=${*:-Q4_0 Q8_0 Q4_K}
fail() { echo "proxy: $*" >&2; exit 1; }
for tool in aarch64-linux-gnu-gcc aarch64-linux-gnu-g++ qemu-aarch64 cmake; do
    command -v "$tool" >/dev/null || fail "$tool not found (apt-get install gcc-aarch64-linux-gnu g++-aarch64-linux-gnu qemu-user cmake)"
done
[ -f "$REFSRC/CMakeLists.txt" ] || fail "$REFSRC missing: run make parity-fetch"
[ -e /usr/lib/aarch64-linux-gnu/libstdc++.so.6 ] || fail "libstdc++6:arm64 missing (apt-get install libstdc++6:arm64)"
mkdir -p "$OUT"
cc -O2 -shared -fPIC -Wall -Wextra -o "$OUT/insn_count.so" bench/arm/insn_count.c
make -s -j2 all >/dev/null
if [ -z "${L1_ARM:-}" ]; then
    make -s -j2 ARCH=aarch64 all >/dev/null
    L1_ARM=build/aarch64-release/l1
fi
[ -x "$L1_ARM" ] || fail "$L1_ARM is not an aarch64 l1 build"
echo "l1: $L1_ARM" >&2
if [ "${I8MM:-0}" = 1 ]; then
    ARM_ARCH=armv8.2-a+dotprod+fp16+i8mm LLAMA_DIR=$OUT/llama-i8mm L1_TIER=i8mm
else
    ARM_ARCH=armv8.2-a+dotprod+fp16 LLAMA_DIR=$OUT/llama L1_TIER=neon
fi
export L1_TIER
echo "l1 tier: $L1_TIER; llama.cpp: $ARM_ARCH" >&2
if [ ! -x "$LLAMA_DIR/bin/llama-bench" ]; then
    cmake -S "$REFSRC" -B "$LLAMA_DIR" -DCMAKE_BUILD_TYPE=Release -DCMAKE_SYSTEM_NAME=Linux \
        -DCMAKE_SYSTEM_PROCESSOR=aarch64 -DCMAKE_C_COMPILER=aarch64-linux-gnu-gcc \
        -DCMAKE_CXX_COMPILER=aarch64-linux-gnu-g++ -DGGML_NATIVE=OFF \
        -DGGML_CPU_ARM_ARCH="$ARM_ARCH" -DGGML_OPENMP=OFF -DBUILD_SHARED_LIBS=OFF \
        -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF \
        >"$LLAMA_DIR-cmake.log" 2>&1 || fail "cmake failed (see $LLAMA_DIR-cmake.log)"
    cmake --build "$LLAMA_DIR" --target llama-bench -j2 >"$LLAMA_DIR-build.log" 2>&1 ||
        fail "llama-bench build failed (see $LLAMA_DIR-build.log)"
fi
LLAMA_ARM=$LLAMA_DIR/bin/llama-bench

# count ENGINE MODEL ARGS...: guest instructions of one run.
count() {
    local engine=$1 model=$2
    shift 2
    local f="$OUT/count.$$.$RANDOM"
    case $engine in
    l1) qemu-aarch64 -cpu max -L / -plugin "$OUT/insn_count.so,out=$f" "$L1_ARM" bench -m "$model" \
            -r 1 -t 1 --no-warmup --no-roofline -o csv "$@" >/dev/null 2>&1 || fail "l1 bench $* failed under qemu" ;;
    llama) qemu-aarch64 -cpu max -L / -plugin "$OUT/insn_count.so,out=$f" "$LLAMA_ARM" -m "$model" \
            -r 1 -t 1 --no-warmup -o csv "$@" >/dev/null 2>&1 || fail "llama-bench $* failed under qemu" ;;
    esac
    cat "$f"
    rm -f "$f"
}

# per_token ENGINE MODEL FLAG A B: (count(FLAG B) - count(FLAG A)) / (B - A),
# the other test length 0.
per_token() {
    local engine=$1 model=$2 flag=$3 a=$4 b=$5 other
    [ "$flag" = -p ] && other="-n 0" || other="-p 0"
    local ca cb
    ca=$(count "$engine" "$model" $flag "$a" $other)
    cb=$(count "$engine" "$model" $flag "$b" $other)
    echo $(((cb - ca) / (b - a)))
}

echo "| file | test | llama.cpp insn/token | l1 insn/token | l1 / llama.cpp |"
echo "|---|---|---:|---:|---:|"
for T in $TYPES; do
    M="$OUT/l1-1.5b-4l-$(echo "$T" | tr 'A-Z' 'a-z').gguf"
    [ -f "$M" ] || build/release/l1 synth --preset l1-1.5b --layers 4 --type "$T" -o "$M" >/dev/null
    for test in "prefill -p 32 64" "decode -n 16 48"; do
        set -- $test
        ref=$(per_token llama "$M" "$2" "$3" "$4")
        own=$(per_token l1 "$M" "$2" "$3" "$4")
        printf "| %s | %s | %d | %d | %.2f |\n" "$T" "$1" "$ref" "$own" "$(awk -v a="$own" -v b="$ref" 'BEGIN { print a / b }')"
    done
done
