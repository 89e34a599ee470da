#!/usr/bin/env bash
# `l1 bench` on a small synthetic Q4_0 model (a type that is repacked on the
# first evaluation on x86): the markdown table has llama-bench's columns and
# one row per test, --json parses with llama-bench's field names and the requested
# counts, --no-repack runs too, and bad options are one clean error line.
set -u
BUILD=${BUILD:-build/release}
L1="$BUILD/l1"
fail() { echo "cli_bench: $*" >&2; exit 1; }
[ -x "$L1" ] || fail "$L1 not built"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
M="$tmp/small.gguf"
"$L1" synth --preset tiny --type Q4_0 -o "$M" 2>/dev/null || fail "l1 synth failed"

"$L1" bench -m "$M" -p 16 -n 4 -r 2 -t 1 >"$tmp/md" 2>"$tmp/e" || fail "bench failed: $(cat "$tmp/e")"
grep -q '^| model | size | params | backend | threads | test | t/s |' "$tmp/md" || fail "no table header: $(cat "$tmp/md")"
grep -Eq '^\| .* \| pp16 \| [0-9.]+ ± [0-9.]+ \|' "$tmp/md" || fail "no pp16 row: $(cat "$tmp/md")"
grep -Eq '^\| .* \| tg4 \| [0-9.]+ ± [0-9.]+ \|' "$tmp/md" || fail "no tg4 row: $(cat "$tmp/md")"
grep -Eq '^model load: [0-9.]+ s$' "$tmp/md" || fail "no load time line: $(cat "$tmp/md")"

"$L1" bench -m "$M" -p 8 -n 2 -r 3 -t 1 -o json --no-repack >"$tmp/j" 2>"$tmp/e" || fail "bench --json failed: $(cat "$tmp/e")"
python3 - "$tmp/j" <<'PY' || fail "--json output wrong: $(cat "$tmp/j")"
import json, sys
rows = json.load(open(sys.argv[1]))
assert [(r["n_prompt"], r["n_gen"]) for r in rows] == [(8, 0), (0, 2)], rows
for r in rows:
    assert r["n_threads"] == 1 and len(r["samples_ts"]) == 3 and r["avg_ts"] > 0, r
    for k in ("stddev_ts", "avg_ns", "stddev_ns", "samples_ns", "model_type", "model_size"):
        assert k in r, k
PY

"$L1" bench -m "$M" -o xml >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] || fail "-o xml: expected status 2, got $rc"
[ "$(wc -l <"$tmp/err")" -ge 1 ] && grep -q "expected md, json or csv" "$tmp/err" || fail "-o xml: message: $(cat "$tmp/err")"
"$L1" bench -m "$tmp/missing.gguf" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] || fail "missing model: status $rc"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "missing model: expected one stderr line, got: $(cat "$tmp/err")"
exit 0
