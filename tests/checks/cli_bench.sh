#!/usr/bin/env bash
# `l1 bench` on a small synthetic Q4_0 model (a type that is repacked on
# x86 on the first evaluation):
# stdout holds only llama-bench's markdown (the table with its columns and
# one row per test, then the build line), stderr one closing line on a pipe;
# comma lists, ranges, repeats, -pg and -d make one test per combination in
# llama-bench's order; --progress writes llama-bench-style step lines;
# --no-repack runs; --parallel S decodes S sequences together and reports
# the aggregate; model_type names the file type as llama-bench does;
# bad options are one clean error line with status 2.
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
grep -q '^| model  *| *size | *params | backend  *| threads | *test | *t/s |' "$tmp/md" || fail "no table header: $(cat "$tmp/md")"
grep -Eq '^\| qwen2 \?B Q4_0 .* \| +pp16 \| +[0-9.]+ ± [0-9.]+ \|' "$tmp/md" || fail "no pp16 row: $(cat "$tmp/md")"
grep -Eq '^\| .* \| +tg4 \| +[0-9.]+ ± [0-9.]+ \|' "$tmp/md" || fail "no tg4 row: $(cat "$tmp/md")"
grep -Evq '^(\|.*\||build: [0-9a-zv.]+ \([0-9]+\)|)$' "$tmp/md" && fail "stdout holds more than the table: $(cat "$tmp/md")"
[ "$(grep -c '^build: ' "$tmp/md")" -eq 1 ] || fail "no build line: $(cat "$tmp/md")"
[ "$(wc -l <"$tmp/e")" -eq 1 ] && grep -Eq '^l1 bench: 2 tests of .* in [0-9.]+ s \(load [0-9.]+ s\); read bandwidth [0-9.]+ GB/s' "$tmp/e" ||
    fail "on a pipe stderr should be one closing line: $(cat -A "$tmp/e")"

# --no-roofline: no bandwidth probe (which reads memory for a fixed time),
# roofline fields 0, and the closing line says so.
"$L1" bench -m "$M" -p 4 -n 0 -r 1 -t 1 -o jsonl --no-roofline >"$tmp/j" 2>"$tmp/e" ||
    fail "bench --no-roofline failed: $(cat "$tmp/e")"
python3 -c 'import json, sys; r = json.loads(open(sys.argv[1]).read()); assert r["roofline_gbps"] == 0 and r["avg_ts"] > 0, r' \
    "$tmp/j" || fail "--no-roofline record wrong: $(cat "$tmp/j")"
grep -q 'read bandwidth not measured (--no-roofline)$' "$tmp/e" || fail "--no-roofline closing line: $(cat "$tmp/e")"

# Lists, ranges, repeats, -pg, -d: llama-bench's order (per thread count and
# depth: prompts, generations, then pairs).
"$L1" bench -m "$M" -p 8,16 -p 4 -n 2-4+2 -pg 4,2 -d 0,4 -t 1,2 -r 1 -o jsonl --no-repack >"$tmp/j" 2>"$tmp/e" ||
    fail "bench with lists failed: $(cat "$tmp/e")"
python3 - "$tmp/j" <<'PY' || fail "test plan wrong: $(cat "$tmp/j")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
got = [(r["n_threads"], r["n_depth"], r["n_prompt"], r["n_gen"]) for r in rows]
want = [(t, d, p, g) for t in (1, 2) for d in (0, 4)
        for (p, g) in [(8, 0), (16, 0), (4, 0), (0, 2), (0, 4), (4, 2)]]
assert got == want, got
for r in rows:
    assert len(r["samples_ts"]) == 1 and r["avg_ts"] > 0 and r["roofline_gbps"] > 0, r
PY

# --parallel: one test per sequence count after each depth, n_parallel in
# every record, the md row named "tgN xS"; the aggregate t/s counts every
# sequence's tokens: S * n_gen / (the mean of samples_ns).
"$L1" bench -m "$M" -p 0 -n 4 -d 0,4 --parallel 1,3 -r 2 -t 1 -o jsonl >"$tmp/j" 2>"$tmp/e" ||
    fail "bench --parallel failed: $(cat "$tmp/e")"
python3 - "$tmp/j" <<'PY' || fail "--parallel records wrong: $(cat "$tmp/j")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [(r["n_depth"], r["n_parallel"]) for r in rows] == [(0, 1), (0, 3), (4, 1), (4, 3)], rows
for r in rows:
    ts = [r["n_parallel"] * r["n_gen"] / (ns / 1e9) for ns in r["samples_ns"]]
    for a, b in zip(ts, r["samples_ts"]):
        assert abs(a - b) <= 1e-3 * b + 1e-3, (a, b)
PY
"$L1" bench -m "$M" -p 0 -n 4 -np 2 -r 1 -t 1 >"$tmp/md" 2>/dev/null || fail "bench -np 2 failed"
grep -Eq '^\| .* \| +tg4 x2 \| +[0-9.]+ ± [0-9.]+ \|' "$tmp/md" || fail "no tg4 x2 row: $(cat "$tmp/md")"
"$L1" bench -m "$M" -p 0 -n 4 --parallel 65 >/dev/null 2>"$tmp/err" && fail "--parallel 65 accepted"
grep -q "parallel" "$tmp/err" || fail "--parallel 65: $(cat "$tmp/err")"

# model_type names the size and the file type as llama-bench does
# (llama.cpp's labels: 28 layers of width other than 1536 are "7B").
"$L1" synth --preset small -o "$tmp/s.gguf" 2>/dev/null || fail "synth small failed"
"$L1" quantize "$tmp/s.gguf" "$tmp/q4km.gguf" Q4_K_M 2>/dev/null || fail "quantize failed"
"$L1" bench -m "$tmp/q4km.gguf" -p 8 -n 0 -r 1 -o jsonl 2>/dev/null >"$tmp/t" || fail "bench Q4_K_M failed"
grep -q '"model_type": "qwen2 ?B Q4_K - Medium"' "$tmp/t" || fail "Q4_K_M model_type: $(cat "$tmp/t")"
"$L1" synth --preset tiny --layers 28 --embd 128 --ff 128 -o "$tmp/l28.gguf" 2>/dev/null || fail "synth failed"
"$L1" bench -m "$tmp/l28.gguf" -p 8 -n 0 -r 1 -o jsonl 2>/dev/null >"$tmp/t" || fail "bench 28 layers failed"
grep -q '"model_type": "qwen2 7B all F32"' "$tmp/t" || fail "28-layer model_type: $(cat "$tmp/t")"

# --progress: one line per step, as llama-bench writes them.
"$L1" bench -m "$M" -p 8 -n 0 -r 2 -t 1 --progress >/dev/null 2>"$tmp/e" || fail "--progress failed"
grep -q '^l1 bench: benchmark 1/1: warmup prompt run$' "$tmp/e" && grep -q '^l1 bench: benchmark 1/1: prompt run 2/2$' "$tmp/e" ||
    fail "--progress lines: $(cat "$tmp/e")"

# -t2 and --threads=2 are the same option; a bad value or option is one line.
"$L1" bench -m "$M" -p 8 -n 0 -r 1 -t2 -o csv >"$tmp/c" 2>/dev/null && grep -q '^"[^"]*","[0-9]*",.*,"2","0x0",' "$tmp/c" ||
    fail "-t2: $(cat "$tmp/c")"
for bad in "-o xml" "-p 1,x" "-pg 8" "--frobnicate" "-t 0"; do
    # shellcheck disable=SC2086
    "$L1" bench -m "$M" $bad >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ "$rc" -eq 2 ] || fail "$bad: expected status 2, got $rc"
    [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "^l1 bench: .*(see l1 bench --help)$" "$tmp/err" ||
        fail "$bad: message: $(cat "$tmp/err")"
    [ -s "$tmp/out" ] && fail "$bad: wrote to stdout"
done
"$L1" bench -m "$tmp/missing.gguf" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ] || fail "missing model: status $rc"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "missing model: expected one stderr line, got: $(cat "$tmp/err")"
exit 0
