#!/usr/bin/env bash
# `l1 run`, `l1 chat` and the examples on a synthetic model (the real Qwen2
# vocabulary lacks the R1 tokens, so the built-in one is used): the budget
# holds, --json parses and agrees with the stream, errors are one clean
# line, chat reuses its cache, examples run.
set -u
BUILD=${BUILD:-build/release}
L1="$BUILD/l1"
fail() { echo "cli_run: $*" >&2; exit 1; }
[ -x "$L1" ] || fail "$L1 not built"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
M="$tmp/tiny.gguf"
"$L1" synth --preset tiny -o "$M" 2>/dev/null || fail "l1 synth failed"

# --json: one object with every documented field; the budget holds.
for seed in 1 2 3; do
    "$L1" run -m "$M" -p "What is 2+2?" --think 48 --reserve 24 --seed $seed --json >"$tmp/j" 2>"$tmp/e" \
        || fail "run --json failed: $(cat "$tmp/e")"
    python3 - "$tmp/j" <<'PY' || fail "--json output wrong (seed $seed): $(cat "$tmp/j")"
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("text", "reasoning", "answer", "budget", "budget_mode", "tokens_thinking", "tokens_answer",
          "close", "finish_reason", "timings"):
    assert k in d, k
assert set(d["timings"]) == {"load_ms", "prefill_tps", "decode_tps"}
assert d["budget"] == 48 and d["budget_mode"] == "max"
assert d["tokens_thinking"] + d["tokens_answer"] <= 48
assert d["close"] in ("natural", "forced") and d["tokens_answer"] >= 1
assert d["text"].count("</think>") == 1
assert d["text"].endswith(d["answer"])
PY
done

# The stream: text on stdout, the summary line on stderr.
"$L1" run -m "$M" -p "Hi" --think 40 --reserve 24 --seed 7 >"$tmp/o" 2>"$tmp/e" || fail "run failed: $(cat "$tmp/e")"
grep -q '</think>' "$tmp/o" || fail "no </think> in the stream"
grep -Eq 'load .* ms \| prefill .* t/s \| decode .* t/s \| thinking [0-9]+ \+ answer [0-9]+ = [0-9]+ / 40 \(max\) \| close (natural|forced) \| finish [a-z_]+' "$tmp/e" \
    || fail "summary line wrong: $(cat "$tmp/e")"
"$L1" run -m "$M" -p "Hi" --think 40 --reserve 24 --seed 7 --hide-thinking >"$tmp/h" 2>/dev/null
grep -q '</think>' "$tmp/h" && fail "--hide-thinking printed the thinking"
printf 'Hi' >"$tmp/p.txt"
"$L1" run -m "$M" -f "$tmp/p.txt" --think 40 --reserve 24 --seed 7 >"$tmp/o2" 2>/dev/null || fail "-f failed"
cmp -s "$tmp/o" "$tmp/o2" || fail "-f FILE and -p give different output"
NO_COLOR=1 "$L1" run -m "$M" -p "Hi" -n 5 --raw --temp 0 >/dev/null 2>&1 || fail "--raw -n --temp failed"

# Errors: one line naming the problem, exit status 1 (2 for usage).
"$L1" run -m "$tmp/missing.gguf" -p x >/dev/null 2>"$tmp/e"
[ $? -eq 1 ] || fail "missing model: wrong status"
[ "$(wc -l <"$tmp/e")" -eq 1 ] && grep -q 'missing.gguf' "$tmp/e" || fail "missing model message: $(cat "$tmp/e")"
"$L1" run -m "$M" >/dev/null 2>&1; [ $? -eq 2 ] || fail "no prompt not a usage error"
"$L1" run -m "$M" -p x --budget max >/dev/null 2>&1; [ $? -eq 2 ] || fail "--budget without --think accepted"
"$L1" run -m "$M" -p x --temp nan >/dev/null 2>&1; [ $? -eq 2 ] || fail "--temp nan accepted"
"$L1" run --help | grep -q -- '--think' || fail "run --help does not explain --think"
"$L1" chat --help | grep -q -- '--think' || fail "chat --help does not explain --think"

# Chat from a pipe: two turns, the second reuses the first's prompt.
printf 'Hello\n\nHow are you?\n' | "$L1" chat -m "$M" --think 40 --reserve 24 -n 30 >"$tmp/c" 2>"$tmp/ce" \
    || fail "chat failed: $(cat "$tmp/ce")"
[ "$(grep -c 'l1 chat: load' "$tmp/ce")" -eq 2 ] || fail "chat did not answer two turns: $(cat "$tmp/ce")"
grep -q 'reused [1-9][0-9]* of' "$tmp/ce" || fail "chat did not reuse its cache: $(cat "$tmp/ce")"

# Examples (built by make from examples/*.c).
"$BUILD/examples/simple" "$M" "What is 2+2?" 40 >"$tmp/s" 2>"$tmp/se" || fail "examples/simple failed: $(cat "$tmp/se")"
grep -Eq 'budget 40\), close (natural|forced)' "$tmp/se" || fail "simple summary: $(cat "$tmp/se")"
"$BUILD/examples/stream" "$M" "What is 2+2?" 60 >"$tmp/s" 2>"$tmp/se" || fail "examples/stream failed: $(cat "$tmp/se")"
grep -q 'reused' "$tmp/se" || fail "stream summary: $(cat "$tmp/se")"
echo "cli_run: ok"
