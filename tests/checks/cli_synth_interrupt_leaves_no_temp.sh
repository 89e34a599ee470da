#!/usr/bin/env bash
# SIGINT or SIGTERM while `l1 synth` streams a large model through its
# temporary file: the command cancels, removes the temporary file
# (*.synth-tmp, and the writer's *.tmp.*), leaves an existing OUT untouched
# and exits 128 + the signal number with one line on stderr.
set -u
BUILD=${BUILD:-build/release}
L1="$BUILD/l1"
[ -x "$L1" ] || { echo "cli_synth_interrupt_leaves_no_temp: $L1 not built"; exit 1; }
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
fail=0
bad() { echo "cli_synth_interrupt_leaves_no_temp: $*"; fail=1; }
for sig in INT TERM; do
    echo old > "$d/out.gguf"
    # 2 layers of 1024 x 4096 in F32: about 130 MB of tensor data, over the
    # 64 MiB above which synth streams through OUT.synth-tmp.
    "$L1" synth --preset small --embd 1024 --ff 4096 --heads 8 --kv-heads 8 --layers 2 -o "$d/out.gguf" \
        2>"$d/err" &
    pid=$!
    for _ in $(seq 1 400); do [ -e "$d/out.gguf.synth-tmp" ] && break; sleep 0.01; done
    [ -e "$d/out.gguf.synth-tmp" ] || bad "SIG$sig: the temporary file never appeared"
    kill -s $sig $pid
    wait $pid; rc=$?
    want=$((128 + $(kill -l $sig)))
    [ $rc -eq $want ] || bad "SIG$sig: exit $rc, want $want ($(cat "$d/err"))"
    [ "$(wc -l < "$d/err")" -eq 1 ] || bad "SIG$sig: want one line on stderr, got: $(cat "$d/err")"
    [ "$(cat "$d/out.gguf")" = old ] || bad "SIG$sig: the existing output was replaced"
    left=$(ls "$d" | grep 'synth-tmp\|\.tmp\.')
    [ -z "$left" ] || bad "SIG$sig: left behind: $left"
done
[ $fail -eq 0 ] && echo "cli_synth_interrupt_leaves_no_temp: ok"
exit $fail
