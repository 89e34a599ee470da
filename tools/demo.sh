#!/usr/bin/env bash
# `make demo`: generate with a thinking budget of 64 tokens and show the
# budget summary.  Usage: tools/demo.sh BUILD_DIR [MODEL.gguf]
# Without a model, synthesizes a small random one: with the real tokenizer
# when a vocabulary holding the R1 tokens (<think>, </think>, <｜User｜>) is at
# hand, otherwise with l1's built-in byte-level vocabulary.  A random model
# writes gibberish; the point is the budget: the response stays within 64
# tokens, closes its thinking once, and ends with an answer.
set -eu
BUILD=${1:?usage: tools/demo.sh BUILD_DIR [MODEL.gguf]}
MODEL=${2:-}
L1="$BUILD/l1"
[ -x "$L1" ] || { echo "demo: $L1 not built (run make)" >&2; exit 1; }
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
