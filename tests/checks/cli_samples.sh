#!/usr/bin/env bash
# `l1 run --samples K [--vote]` on the trained reasoner: K responses decoded
# together are the K single runs with seeds S .. S+K-1 (the same text,
# compared with separate `l1 run` calls; whether the answers are right is
# test_reasoner's business); the vote is the majority of the
# \boxed{} answers, recounted here from the responses; --json holds every
# response and the vote; bad uses are one clean line.
set -u
BUILD=${BUILD:-build/release}
L1="$BUILD/l1"
R=examples/reasoner.gguf
fail() { echo "cli_samples: $*" >&2; exit 1; }
[ -x "$L1" ] || fail "$L1 not built"
[ -f "$R" ] || fail "$R missing"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Greedy: every sample is the single greedy response, so the vote is that
# response's \boxed{} answer, unanimous.
q="What is 347 + 86?"
"$L1" run -m "$R" -p "$q" --think 96 --temp 0 --samples 3 --vote >"$tmp/out" 2>"$tmp/err" \
    || fail "--samples 3 --vote failed: $(cat "$tmp/err")"
"$L1" run -m "$R" -p "$q" --think 96 --temp 0 >"$tmp/one" 2>/dev/null || fail "single greedy run failed"
want=$(grep -o '\\boxed{[^{}]*}' "$tmp/one" | tail -n 1 | sed 's/^\\boxed{//; s/}$//')
[ -n "$want" ] || fail "the greedy response has no \\boxed{} answer"
grep -qxF "vote: $want (3 of 3)" "$tmp/out" || fail "greedy vote is not '$want (3 of 3)': $(tail -n 2 "$tmp/out")"
[ "$(grep -c '^--- sample ' "$tmp/out")" = 3 ] || fail "expected 3 sample headers"
grep -q 'samples decoded together' "$tmp/err" || fail "no aggregate line on stderr"

# Sampled: response i is `l1 run --seed S+i`, text for text.
"$L1" run -m "$R" -p "What is 9034 - 7788?" --think 48 --temp 0.8 --seed 40 --samples 4 --json >"$tmp/j" 2>"$tmp/err" \
    || fail "--samples 4 --json failed: $(cat "$tmp/err")"
for i in 0 1 2 3; do
    "$L1" run -m "$R" -p "What is 9034 - 7788?" --think 48 --temp 0.8 --seed $((40 + i)) --json >"$tmp/one$i" 2>/dev/null \
        || fail "single run with seed $((40 + i)) failed"
done
python3 - "$tmp" <<'PY' || fail "--samples --json does not match the single runs"
import json, re, sys
d = json.load(open(sys.argv[1] + "/j"))
assert d["samples"] == 4 and len(d["responses"]) == 4 and d["seed"] == 40
for i, r in enumerate(d["responses"]):
    one = json.load(open("%s/one%d" % (sys.argv[1], i)))
    assert r["seed"] == 40 + i
    for k in ("text", "reasoning", "answer", "tokens_thinking", "tokens_answer", "close", "finish_reason"):
        assert r[k] == one[k], (i, k, r[k], one[k])
    assert r["tokens_thinking"] + r["tokens_answer"] <= 48
    m = re.findall(r"\\boxed\{([^{}]*)\}", r["answer"])
    assert r["boxed"] == (m[-1].strip() if m else None), (r["boxed"], m)
assert "vote" not in d
PY

# --json --vote: the vote is the most frequent boxed answer (first seen on a tie).
"$L1" run -m "$R" -p "What is 57 * 6?" --think 64 --temp 1.0 --seed 7 --samples 6 --vote --json >"$tmp/v" 2>/dev/null \
    || fail "--vote --json failed"
python3 - "$tmp/v" <<'PY' || fail "--vote --json wrong: $(cat "$tmp/v")"
import json, sys
d = json.load(open(sys.argv[1]))
ans = [r["boxed"] for r in d["responses"]]
counts = {a: ans.count(a) for a in ans if a is not None}
best = max(counts.values()) if counts else 0
want = next((a for a in ans if a is not None and counts[a] == best), None)
assert d["vote"] == {"answer": want, "count": best, "of": 6}, (d["vote"], ans)
PY

# Bad uses.
out=$("$L1" run -m "$R" -p x --vote 2>&1); rc=$?
[ $rc = 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "--vote without --samples: rc $rc, '$out'"
out=$("$L1" run -m "$R" -p x --samples 65 2>&1); rc=$?
[ $rc = 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "--samples 65: rc $rc, '$out'"
out=$("$L1" run -m "$R" -p x --samples 0 2>&1); rc=$?
[ $rc = 2 ] || fail "--samples 0: rc $rc"
exit 0
