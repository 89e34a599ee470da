#!/usr/bin/env bash
# `make demo`: a question to the trained reasoner model (examples/reasoner.gguf,
# see tools/train): its thinking, how the thinking closed, the boxed answer;
# then the same question with a budget too small for the full scratchpad.
# Usage: tools/demo.sh BUILD_DIR [MODEL.gguf]
# With another MODEL, or when the reasoner file is missing, the old demo
# runs: a budget of 64 on that model (or on a synthesized random one, which
# writes gibberish; the point there is only the budget).
set -eu
BUILD=${1:?usage: tools/demo.sh BUILD_DIR [MODEL.gguf]}
MODEL=${2:-}
L1="$BUILD/l1"
[ -x "$L1" ] || { echo "demo: $L1 not built (run make)" >&2; exit 1; }
REASONER=examples/reasoner.gguf
if [ -z "$MODEL" ] && [ -f "$REASONER" ]; then
    # A 1.7M-parameter model (tools/train): right on about three quarters
    # of fresh problems at this budget, more often on shorter ones like this.
    Q="What is 372 + 519?"
    echo "demo: the reasoner model ($REASONER) answers, greedy, budget 256 (mode max):" >&2
    echo "demo: l1 run -m $REASONER --think 256 --temp 0 -p \"$Q\"" >&2
    echo >&2
    echo "question: $Q"
    echo "--- response (the prompt opened <think>) ---"
    "$L1" run -m "$REASONER" --think 256 --temp 0 -p "$Q"
    echo
    echo "--- the same question with --think 48: too small for the full scratchpad, so a shorter, rougher route ---"
    "$L1" run -m "$REASONER" --think 48 --temp 0 -p "$Q"
    echo
    echo "--- and with --think 20: l1 keeps the response within 20 tokens, with an answer ---"
    "$L1" run -m "$REASONER" --think 20 --temp 0 -p "$Q"
    echo
    echo "(the line after each response, on stderr, says how many tokens each phase took," >&2
    echo " whether the model closed its thinking itself (natural) or l1 did (forced), and why it ended)" >&2
    exit 0
fi
PROMPT="What is the sum of the first 10 positive integers?"
if [ -z "$MODEL" ]; then
    MODEL="$BUILD/demo-model.gguf"
    vocab_opt=()
    for v in build/reference/llama.cpp/models/ggml-vocab-deepseek-r1-qwen.gguf \
             build/reference/llama.cpp/models/ggml-vocab-qwen2.gguf; do
        # The Qwen2 vocabulary has no </think>: a budget needs it.
        if [ -f "$v" ] && grep -aq '</think>' "$v"; then vocab_opt=(--vocab-from "$v"); break; fi
    done
    if [ ${#vocab_opt[@]} -eq 0 ]; then
        echo "demo: no vocabulary with the R1 tokens found; using the built-in one" >&2
    fi
    echo "demo: synthesizing $MODEL" >&2
    "$L1" synth --preset small "${vocab_opt[@]}" -o "$MODEL" >&2
fi
echo "demo: l1 run -m $MODEL --think 64 --reserve 24 -p \"$PROMPT\"" >&2
echo >&2
"$L1" run -m "$MODEL" --think 64 --reserve 24 --seed 1 -p "$PROMPT"
echo >&2
echo "demo: the same with --json:" >&2
"$L1" run -m "$MODEL" --think 64 --reserve 24 --seed 1 -p "$PROMPT" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
n = d["tokens_thinking"] + d["tokens_answer"]
print("budget %d (%s): thinking %d + answer %d = %d tokens, close %s, finish %s" % (
    d["budget"], d["budget_mode"], d["tokens_thinking"], d["tokens_answer"], n, d["close"],
    d["finish_reason"]))
' 2>/dev/null || true
