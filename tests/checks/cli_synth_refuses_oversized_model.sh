#!/usr/bin/env bash
# `l1 synth` estimates the file it would write before writing anything and
# refuses, with exit 1, one line and no file: a model over --max-size
# (default 16 GiB), and a model over the free space of OUT's file system
# (--max-size 0 lifts only the limit).  A model under both is written, and
# the estimate is not below the size actually written.
set -u
BUILD=${BUILD:-build/release}
L1="$BUILD/l1"
[ -x "$L1" ] || { echo "cli_synth_refuses_oversized_model: $L1 not built"; exit 1; }
d=$(mktemp -d)
e=$(mktemp)
trap 'rm -rf "$d" "$e"' EXIT
fail=0
bad() { echo "cli_synth_refuses_oversized_model: $*"; fail=1; }
refused() { # WORD ARGS...: exit 1 within seconds, one line containing WORD, no output file
    local word=$1; shift
    timeout 20 "$L1" synth -o "$d/x.gguf" "$@" 2>"$e"; local rc=$?
    [ $rc -eq 1 ] || bad "synth $*: exit $rc, want 1"
    [ "$(wc -l < "$e")" -eq 1 ] && grep -q -- "$word" "$e" ||
        bad "synth $*: want one line with '$word', got: $(cat "$e")"
    [ -z "$(ls "$d")" ] || bad "synth $*: left files: $(ls "$d")"
}
# About 96 PiB: over the default limit, and over any disk once the limit is lifted.
refused "limit" --embd 1048576 --ff 1048576 --layers 4096 --heads 8 --kv-heads 8
refused "free" --embd 1048576 --ff 1048576 --layers 4096 --heads 8 --kv-heads 8 --max-size 0
# The tiny preset is about 100 KB: over a 10K limit, under 1M.
refused "limit" --preset tiny --max-size 10K
"$L1" synth -o "$d/t.gguf" --preset tiny --max-size 1M 2>/dev/null || bad "tiny under --max-size 1M refused"
# The estimate bounds the real size closely: a limit below the written size
# is refused, one 4 KiB above it passes.
size=$(stat -c %s "$d/t.gguf" 2>/dev/null || echo 0)
rm -f "$d/t.gguf"
timeout 20 "$L1" synth -o "$d/t2.gguf" --preset tiny --max-size $((size - 1)) 2>/dev/null &&
    bad "a limit below the written size ($size bytes) passed: the estimate is too low"
timeout 20 "$L1" synth -o "$d/t3.gguf" --preset tiny --max-size $((size + 4096)) 2>/dev/null ||
    bad "a limit 4 KiB over the written size ($size bytes) was refused: the estimate is too high"
rm -f "$d"/*
timeout 20 "$L1" synth -o "$d/t.gguf" --preset tiny --max-size 1X 2>/dev/null; [ $? -eq 2 ] || bad "--max-size 1X: want exit 2"
[ $fail -eq 0 ] && echo "cli_synth_refuses_oversized_model: ok"
exit $fail
