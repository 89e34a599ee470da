#!/usr/bin/env bash
# Every command checks its writes to stdout and the final flush: with stdout
# on a full device (/dev/full) each one exits non-zero with exactly one line
# on stderr saying that writing standard output failed, never 0 with the
# output lost.  Covers each command's normal output and --help.
set -u
BUILD=${BUILD:-build/release}
L1="$BUILD/l1"
[ -x "$L1" ] || { echo "cli_stdout_write_error_exits_nonzero: $L1 not built"; exit 1; }
if [ ! -c /dev/full ]; then
    echo "SKIP cli_stdout_write_error_exits_nonzero: no /dev/full"
    exit 77
fi
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
fail=0
n=0
bad() { echo "cli_stdout_write_error_exits_nonzero: $*"; fail=1; }
"$L1" synth --preset tiny -o "$d/m.gguf" 2>/dev/null || { bad "synth failed"; exit 1; }
printf 'hello' > "$d/p.txt"
check() {
    n=$((n + 1))
    timeout 60 "$L1" "$@" </dev/null >/dev/full 2>"$d/err"; local rc=$?
    local err; err=$(cat "$d/err")
    [ $rc -ne 0 ] && [ $rc -ne 124 ] || bad "l1 $*: exit $rc with stdout on /dev/full"
    [ "$(wc -l < "$d/err")" -eq 1 ] && [[ "$err" == *"writing standard output failed"* ]] ||
        bad "l1 $*: want one 'writing standard output failed' line, got: $err"
}
check --help
check --version
for cmd in info synth logits quantize tokenize run chat bench; do check $cmd --help; done
check info "$d/m.gguf"
check info --json "$d/m.gguf"
check info --tensors "$d/m.gguf"
check tokenize -m "$d/m.gguf" -p "hello world"
check tokenize -m "$d/m.gguf" -f "$d/p.txt" --json
check run -m "$d/m.gguf" -p hello -n 8
check run -m "$d/m.gguf" -f "$d/p.txt" -n 8 --json
check bench -m "$d/m.gguf" -p 8 -n 4 -r 1
# chat reads its messages from stdin.
n=$((n + 1))
echo hello | timeout 60 "$L1" chat -m "$d/m.gguf" -n 8 >/dev/full 2>"$d/err"; rc=$?
[ $rc -ne 0 ] && [ "$(grep -c 'writing standard output failed' "$d/err")" -eq 1 ] &&
    [ "$(grep -vc '^l1 chat: load' "$d/err")" -ge 1 ] || bad "chat: exit $rc, stderr: $(cat "$d/err")"
[ $fail -eq 0 ] && echo "cli_stdout_write_error_exits_nonzero: $n commands ok"
exit $fail
