#!/usr/bin/env bash
# bench/peers.sh - l1 beside both CPU peers on each file, in one run: llama.cpp
# (the reference package's library) and l1 alternating through
# bench/ref/bench_vs_llama, then ik_llama.cpp's llama-bench on the same file
# with its fast CPU settings (-rtr 1 -fa 1).
#
#   IK_BENCH=/path/to/ik_llama.cpp/build/bin/llama-bench \
#       bench/peers.sh [-p 512] [-n 128] [-d 0] [-r 3] [-t 2] MODEL.gguf...
#
# With -d D, ik_llama.cpp's generation row is its "-gp D,N" test (tgN@ppD:
# N tokens generated after a prompt of D, only the generation timed), the
# same measure as l1's and llama.cpp's "tgN @ dD"; its prefill row is the
# empty-context ppP.  Without IK_BENCH (or with a path that is not an
# executable) the ik_llama.cpp rows are skipped, with a line saying so.
# How to build ik_llama.cpp for it: bench/README.md.
set -eu
P=512 N=128 D=0 R=3 T=2
files=()
while [ $# -gt 0 ]; do
    case "$1" in
    -p) P=$2; shift 2 ;;
    -n) N=$2; shift 2 ;;
    -d) D=$2; shift 2 ;;
    -r) R=$2; shift 2 ;;
    -t) T=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "peers: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) files+=("$1"); shift ;;
    esac
done
[ ${#files[@]} -gt 0 ] || { echo "peers: no model file (see --help)" >&2; exit 2; }
BUILD=${BUILD:-build/release}
DRIVER="$BUILD/bench/ref/bench_vs_llama"
make -s -f bench/ref.mk BUILD="$BUILD" "$DRIVER"
REF_LIB=${L1_REF_LIB:-$PWD/build/reference/lib}
for f in "${files[@]}"; do
    [ -r "$f" ] || { echo "peers: cannot read $f" >&2; exit 1; }
    echo "## $f"
    L1_REF_LIB="$REF_LIB" "$DRIVER" "$f" -p "$P" -n "$N" -d "$D" -r "$R" -t "$T" | grep '|'
    if [ -n "${IK_BENCH:-}" ] && [ -x "$IK_BENCH" ]; then
        echo "ik_llama.cpp:"
        if [ "$D" != 0 ]; then gen=(-n 0 -gp "$D,$N"); row="tg$N@pp$D"; else gen=(-n "$N"); row="tg$N"; fi
        "$IK_BENCH" -m "$f" -p "$P" "${gen[@]}" -r "$R" -t "$T" -rtr 1 -fa 1 2>/dev/null | grep -E "pp$P|$row"
    else
        echo "ik_llama.cpp: skipped (set IK_BENCH to its llama-bench)"
    fi
done
