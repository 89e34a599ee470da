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
for k in ("text", "reasoning", "answer", "budget", "budget_effective", "reserve_effective", "budget_mode",
          "tokens_thinking", "tokens_answer", "close", "close_kind", "answer_truncated", "finish_reason", "timings"):
    assert k in d, k
assert set(d["timings"]) == {"load_ms", "prefill_tps", "decode_tps", "first_token_ms", "close_ms",
                             "first_answer_ms", "end_ms", "thinking_tps", "answer_tps"}
assert d["budget"] == 48 and d["budget_mode"] == "max" and d["budget_effective"] == 48
assert d["close_kind"] in ("natural", "boundary", "mid-word")
t = d["timings"]
assert 0 < t["first_token_ms"] <= t["end_ms"]
assert t["close_ms"] == 0 or t["first_token_ms"] <= t["close_ms"] <= t["end_ms"]
assert d["tokens_thinking"] + d["tokens_answer"] <= 48
assert d["close"] in ("natural", "forced") and d["tokens_answer"] >= 1
assert d["text"].count("</think>") == 1
assert d["text"].endswith(d["answer"])
PY
done

# The stream: text on stdout, the summary line on stderr.
"$L1" run -m "$M" -p "Hi" --think 40 --reserve 24 --seed 7 >"$tmp/o" 2>"$tmp/e" || fail "run failed: $(cat "$tmp/e")"
grep -q '</think>' "$tmp/o" || fail "no </think> in the stream"
grep -Eq 'load .* ms \| prefill .* t/s \| decode .* t/s \| thinking [0-9]+ \+ answer [0-9]+ = [0-9]+ / 40 \(max\) \| close (natural|forced \((boundary|mid-word)\)) \| first token [0-9]+ ms, thinking [0-9.]+ t/s.* \| finish [a-z_]+' "$tmp/e" \
    || fail "summary line wrong: $(cat "$tmp/e")"
"$L1" run -m "$M" -p "Hi" --think 40 --reserve 24 --seed 7 --hide-thinking >"$tmp/h" 2>/dev/null
grep -q '</think>' "$tmp/h" && fail "--hide-thinking printed the thinking"
printf 'Hi' >"$tmp/p.txt"
"$L1" run -m "$M" -f "$tmp/p.txt" --think 40 --reserve 24 --seed 7 >"$tmp/o2" 2>/dev/null || fail "-f failed"
cmp -s "$tmp/o" "$tmp/o2" || fail "-f FILE and -p give different output"
NO_COLOR=1 "$L1" run -m "$M" -p "Hi" -n 5 --raw --temp 0 >/dev/null 2>&1 || fail "--raw -n --temp failed"

# The budget's clamps, the controller's own text and the prompt (never-closing
# model: </think> banned, so every close is forced).
close_id=$("$L1" tokenize -m "$M" -p "</think>" | awk '{print $1}')
# -n below N clamps N: the close and an answer still come, within -n.
"$L1" run -m "$M" -p "Hi" --think 100 -n 30 --transition $'\n\nA: ' --logit-bias "$close_id=-inf" --json >"$tmp/j" \
    2>"$tmp/e" || fail "run -n 30 --think 100 failed: $(cat "$tmp/e")"
python3 - "$tmp/j" <<'PY' || fail "-n does not clamp the budget: $(cat "$tmp/j")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["budget"] == 100 and d["budget_effective"] == 30, d
assert d["close"] == "forced" and d["finish_reason"] != "max_tokens", d
assert d["tokens_thinking"] + d["tokens_answer"] <= 30 and d["answer"].startswith("\n\nA: ")
PY
# A context too small for N: N is clamped to the room left, never "context_full".
"$L1" run -m "$M" -p "Hi" -c 120 --think 512 --sentence none --logit-bias "$close_id=-inf" --json >"$tmp/j" \
    2>"$tmp/e" || fail "run -c 120 --think 512 failed: $(cat "$tmp/e")"
python3 - "$tmp/j" <<'PY' || fail "-c does not clamp the budget: $(cat "$tmp/j")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["budget"] == 512 and d["budget_effective"] < 120 and d["finish_reason"] != "context_full", d
assert d["close"] == "forced" and d["tokens_answer"] >= 1, d
PY
# The default context grows to the prompt + N (the model's trained length allowing).
"$L1" run -m "$M" -p "Hi" --think 6000 --sentence none -n 1 --json >"$tmp/j" 2>"$tmp/e" || fail "--think 6000: $(cat "$tmp/e")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["budget_effective"] == 1' "$tmp/j" \
    || fail "--think 6000 -n 1: $(cat "$tmp/j")"
# Stop strings never match the close text or the transition the controller wrote.
"$L1" run -m "$M" -p "Hi" --think 80 --stop "Final" --stop "must answer" --close-text " I must answer now." \
    --logit-bias "$close_id=-inf" --json >"$tmp/j" 2>"$tmp/e" || fail "--stop with --close-text: $(cat "$tmp/e")"
python3 - "$tmp/j" <<'PY' || fail "a stop string matched the controller's text: $(cat "$tmp/j")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["finish_reason"] != "stop", d
assert d["reasoning"].endswith(" I must answer now.") and d["answer"].startswith("\n\n**Final Answer**\n"), d
PY
# A reserve that cannot be honoured is refused, with the reason, never lowered.
"$L1" run -m "$M" -p "Hi" --think 257 --reserve 300 >/dev/null 2>"$tmp/e"
[ $? -eq 1 ] && [ "$(wc -l <"$tmp/e")" -eq 1 ] && grep -q 'reserve' "$tmp/e" || fail "--reserve 300 --think 257: $(cat "$tmp/e")"
# --print-prompt: the rendered text, then its ids, and nothing generated.
"$L1" run -m "$M" -p "Hi" --think 50 --print-prompt >"$tmp/pp" 2>"$tmp/e" || fail "--print-prompt: $(cat "$tmp/e")"
head -1 "$tmp/pp" | grep -q 'Hi Let.s think step by step.* Think for maximum 50 tokens\.' || fail "--print-prompt text: $(cat "$tmp/pp")"
tail -1 "$tmp/pp" | grep -Eq '^[0-9]+( [0-9]+)+$' || fail "--print-prompt ids: $(cat "$tmp/pp")"
"$L1" run -m "$M" -p "Hi" --template chatml --print-prompt | grep -q '<|im_start|>user' || fail "--template chatml"
"$L1" run -m "$M" -p "Hi" --template r1 --print-prompt | grep -q '<｜User｜>Hi' || fail "--template r1"
"$L1" run -m "$M" -p "Hi" --template bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "--template bogus accepted"

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
# /think N changes the budget of the next turns only: the first turn (with its
# own instruction) stays cached.
printf 'Hello\n/think 60\nHow are you?\n' | "$L1" chat -m "$M" --think 40 --reserve 24 -n 30 >/dev/null 2>"$tmp/ce" \
    || fail "chat /think failed: $(cat "$tmp/ce")"
grep -q '/ 60 (max' "$tmp/ce" || fail "chat /think 60 not applied: $(cat "$tmp/ce")"
first=$(grep -m1 -o 'prefill [0-9]* tok' "$tmp/ce" | awk '{print $2}')
reused=$(grep -o 'reused [0-9]* of' "$tmp/ce" | awk '{print $2}')
[ -n "$reused" ] && [ "$reused" -ge $((first - 1)) ] || fail "chat /think re-evaluated the history: $(cat "$tmp/ce")"

# Examples (built by make from examples/*.c).
"$BUILD/examples/simple" "$M" "What is 2+2?" 40 >"$tmp/s" 2>"$tmp/se" || fail "examples/simple failed: $(cat "$tmp/se")"
grep -Eq 'budget 40\), close (natural|forced)' "$tmp/se" || fail "simple summary: $(cat "$tmp/se")"
"$BUILD/examples/stream" "$M" "What is 2+2?" 60 >"$tmp/s" 2>"$tmp/se" || fail "examples/stream failed: $(cat "$tmp/se")"
grep -q 'reused' "$tmp/se" || fail "stream summary: $(cat "$tmp/se")"
echo "cli_run: ok"
