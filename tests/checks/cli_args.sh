#!/usr/bin/env bash
# The l1 tool's argument handling, the same for every command:
#  - --help prints to stdout and exits 0, stderr empty;
#  - an unknown option, a missing value, a value given to a flag are one
#    stderr line naming the option and pointing at --help, status 2;
#  - --opt=value, -t2, options after operands and `--` work, and give the
#    same result as the spaced forms;
#  - failures are one line without a repeated prefix, status 1; -c above
#    the trained context names the flag that allows it;
#  - the penalty and KV-type flags reach the library.
set -u
BUILD=${BUILD:-build/release}
L1="$BUILD/l1"
fail() { echo "cli_args: $*" >&2; exit 1; }
[ -x "$L1" ] || fail "$L1 not built"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
M="$tmp/tiny.gguf"
"$L1" synth --preset tiny -o "$M" 2>/dev/null || fail "l1 synth failed"

# expect STATUS LINES CMD...: runs, checks the status and the number of stderr lines.
expect() {
    local want=$1 lines=$2
    shift 2
    "$L1" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    local rc=$?
    [ "$rc" -eq "$want" ] || fail "l1 $*: status $rc, expected $want; stderr: $(cat "$tmp/err")"
    [ "$(wc -l <"$tmp/err")" -eq "$lines" ] || fail "l1 $*: expected $lines stderr lines, got: $(cat "$tmp/err")"
}

expect 0 0 --help
grep -q '^  bench ' "$tmp/out" || fail "l1 --help lists no commands"
grep -q 'memory' "$tmp/out" && fail "l1 --help promises memory figures"
for cmd in info synth logits quantize tokenize run chat bench; do
    expect 0 0 "$cmd" --help
    grep -q "^usage: l1 $cmd" "$tmp/out" || fail "l1 $cmd --help: no usage on stdout"
    expect 2 1 "$cmd" --no-such-option
    grep -qx "l1 $cmd: unknown option '--no-such-option' (see l1 $cmd --help)" "$tmp/err" ||
        fail "l1 $cmd --no-such-option: $(cat "$tmp/err")"
    [ -s "$tmp/out" ] && fail "l1 $cmd: usage error wrote to stdout"
done
expect 2 1 run -m "$M" -p hi -x
grep -qx "l1 run: unknown option '-x' (see l1 run --help)" "$tmp/err" || fail "-x: $(cat "$tmp/err")"
expect 2 1 run -m "$M" -p hi --think
grep -qx "l1 run: option '--think' needs a value (see l1 run --help)" "$tmp/err" || fail "--think: $(cat "$tmp/err")"
expect 2 1 run -p hi -m
grep -qx "l1 run: option '-m' needs a value (see l1 run --help)" "$tmp/err" || fail "-m: $(cat "$tmp/err")"
expect 2 1 run -m "$M" -p hi --json=yes
grep -qx "l1 run: option '--json' takes no value (see l1 run --help)" "$tmp/err" || fail "--json=yes: $(cat "$tmp/err")"
expect 2 1 run -m "$M" -p hi --think=lots
grep -q "^l1 run: --think: expected an integer .*'lots' (see l1 run --help)$" "$tmp/err" || fail "--think=lots: $(cat "$tmp/err")"
expect 2 1 run -m "$M" -p hi --thi 40
grep -qx "l1 run: ambiguous option '--thi' (see l1 run --help)" "$tmp/err" || fail "--thi: $(cat "$tmp/err")"
expect 2 1 run -m "$M" -p hi --kv-type q8
expect 2 1 run -m "$M"
expect 2 1 info
expect 2 1 info "$M" "$M"
expect 2 1 quantize "$M"
expect 2 1 nosuchcommand
expect 2 1

# Same result from every spelling of the same options.
expect 0 0 run -m "$M" -p "2+2?" --think 40 --reserve 24 --seed 3 -t 2 --json
cp "$tmp/out" "$tmp/spaced"
strip() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("timings"); print(json.dumps(d, sort_keys=True))' "$1"; }
for form in "--think=40 --reserve=24 --seed=3 -t2 --json" "--json --think=40 --res 24 --seed=3 --threads=2" \
            "--think 40 --reserve 24 --seed 3 --threads 2 --json --"; do
    # shellcheck disable=SC2086
    expect 0 0 run -p "2+2?" -m "$M" $form
    [ "$(strip "$tmp/out")" = "$(strip "$tmp/spaced")" ] || fail "'$form' differs from the spaced form"
done
expect 0 0 info -- "$M"
expect 0 0 info "$M" --json
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/out" || fail "info FILE --json: not JSON"
cp "$M" "$tmp/-dash.gguf"
L1abs="$(cd "$(dirname "$L1")" && pwd)/l1"
(cd "$tmp" && "$L1abs" info -- -dash.gguf >/dev/null 2>&1) || fail "info -- -dash.gguf failed"
expect 0 0 tokenize -m"$M" -p"hi there" --json

# Failures: one line, no repeated prefix.
norepeat() { grep -Eq '(^|: )([^:]+): \2:' "$tmp/err" && fail "repeated prefix: $(cat "$tmp/err")"; return 0; }
expect 1 1 run -m "$tmp/missing.gguf" -p hi
norepeat
grep -q "^l1 run: .*missing.gguf" "$tmp/err" || fail "missing model: $(cat "$tmp/err")"
expect 1 1 info "$tmp/missing.gguf"
norepeat
expect 1 1 run -m "$M" -p hi -c 8192
norepeat
grep -q -- "--ctx-over-train" "$tmp/err" || fail "-c 8192: $(cat "$tmp/err")"
expect 0 1 run -m "$M" -p hi -c 8192 --ctx-over-train -n 4
# The penalties and the KV type reach the library: greedy output and logits change.
expect 0 1 run -m "$M" -p hi -n 24 --temp 0
cp "$tmp/out" "$tmp/plain"
for pen in "--presence-penalty 1.5" "--frequency-penalty 1.5"; do
    # shellcheck disable=SC2086
    expect 0 1 run -m "$M" -p hi -n 24 --temp 0 $pen --repeat-last-n 32
    cmp -s "$tmp/out" "$tmp/plain" && fail "$pen changed nothing"
done
expect 0 1 logits -m "$M" --tokens 1,2,3 -o "$tmp/l16"
grep -q "^l1 logits: wrote 1 x [0-9]* f32 logits to " "$tmp/err" || fail "logits: $(cat "$tmp/err")"
expect 0 1 logits -m "$M" --tokens 1,2,3 -o "$tmp/l32" --kv-type=f32
cmp -s "$tmp/l16" "$tmp/l32" && fail "--kv-type f32 changed nothing"
expect 0 1 run -m "$M" -p hi -n 4 --kv-type f32
expect 0 1 quantize "$M" "$tmp/q.gguf" Q8_0
grep -q "^l1 quantize: wrote .*q.gguf (Q8_0" "$tmp/err" || fail "quantize: $(cat "$tmp/err")"
expect 2 1 quantize "$M" "$tmp/q.gguf" Q9_9
exit 0
