#!/usr/bin/env bash
# l1 bench writes what llama.cpp's own tooling reads: every field of the
# reference llama-bench (read from its source, tools/llama-bench) is in the
# JSON, JSONL and CSV output, and the reference's scripts/compare-llama-bench.py
# accepts each of l1's JSON, JSONL, CSV and SQL outputs unchanged and
# tabulates every test (pp, tg, pp+tg, with and without depth).
# Skipped (77) when the reference source is absent (make parity-fetch).
set -u
BUILD=${BUILD:-build/release}
L1="$BUILD/l1"
REF=build/reference/llama.cpp
fail() { echo "bench_compare: $*" >&2; exit 1; }
[ -f "$REF/scripts/compare-llama-bench.py" ] && [ -f "$REF/tools/llama-bench/llama-bench.cpp" ] || {
    echo "reference source absent (make parity-fetch)"; exit 77; }
PY=""
for p in /usr/bin/python3 python3; do
    if "$p" -c 'import tabulate, git' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || fail "no python3 with tabulate and GitPython (tools/ensure-deps.sh bench-compare)"
[ -x "$L1" ] || fail "$L1 not built"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
M="$tmp/small.gguf"
"$L1" synth --preset tiny --type Q4_0 -o "$M" 2>/dev/null || fail "l1 synth failed"
args=(-m "$M" -p 16 -n 4 -pg 8,2 -d 0,8 -r 2 -t 1)
for fmt in json jsonl csv sql; do
    "$L1" bench "${args[@]}" -o "$fmt" >"$tmp/out.$fmt" 2>"$tmp/err.$fmt" || fail "-o $fmt failed: $(cat "$tmp/err.$fmt")"
done
# The reference's field list, straight from its source.
awk '/get_fields\(\) *\{/ {f=1} f {print} f && /return fields;/ {exit}' "$REF/tools/llama-bench/llama-bench.cpp" |
    grep -o '"[a-z_0-9]*"' | tr -d '"' >"$tmp/fields"
[ "$(wc -l <"$tmp/fields")" -ge 30 ] || fail "could not read llama-bench's fields: $(cat "$tmp/fields")"
"$PY" - "$tmp" <<'PY' || exit 1
import csv, json, sqlite3, sys
d = sys.argv[1]
fields = open(f"{d}/fields").read().split()
rows = {
    "json": json.load(open(f"{d}/out.json")),
    "jsonl": [json.loads(l) for l in open(f"{d}/out.jsonl")],
    "csv": list(csv.DictReader(open(f"{d}/out.csv"))),
}
db = sqlite3.connect(f"{d}/bench.sqlite")
db.executescript(open(f"{d}/out.sql").read())
db.commit()
cur = db.execute("SELECT * FROM llama_bench")
rows["sql"] = [dict(zip([c[0] for c in cur.description], r)) for r in cur.fetchall()]
want = [(16, 0, 0), (0, 4, 0), (8, 2, 0), (16, 0, 8), (0, 4, 8), (8, 2, 8)]
for fmt, rs in rows.items():
    assert len(rs) == 6, (fmt, len(rs))
    for r in rs:
        missing = [f for f in fields if f not in r]
        assert not missing, f"{fmt}: missing llama-bench fields {missing}"
    got = [(int(r["n_prompt"]), int(r["n_gen"]), int(r["n_depth"])) for r in rs]
    assert got == want, (fmt, got)
for r in rows["json"] + rows["jsonl"]:
    assert len(r["samples_ns"]) == 2 and len(r["samples_ts"]) == 2 and r["avg_ts"] > 0, r
    assert r["model_type"] == "qwen2 ?B Q4_0", r["model_type"]
    assert r["build_commit"] not in ("", "l1") and r["cpu_strict"] is False, r
PY
commit=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["build_commit"])' "$tmp/out.json")
cd "$tmp" # outside any git checkout: the script then needs -b/-c, given here
for f in out.json out.jsonl out.csv bench.sqlite; do
    tool=(-t llama-bench)
    [ "$f" = bench.sqlite ] && tool=()
    "$PY" "$OLDPWD/$REF/scripts/compare-llama-bench.py" "${tool[@]}" -i "$f" -b "$commit" -c "$commit" \
        >"$tmp/table" 2>"$tmp/err" || fail "compare-llama-bench.py rejected $f: $(tail -n 3 "$tmp/err")"
    for t in 'pp16 ' 'tg4 ' 'pp8+tg2 ' 'pp16@d8' 'tg4@d8' 'pp8+tg2@d8'; do
        grep -q "| $t" "$tmp/table" || fail "compare-llama-bench.py on $f: no row $t: $(cat "$tmp/table")"
    done
done
exit 0
