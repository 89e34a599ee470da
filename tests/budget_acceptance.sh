#!/usr/bin/env bash
# Acceptance test of the budget guarantee (issue 6), not part of `make test`
# (a 1.5B-shape model at 50 x 256 tokens needs the fast kernels):
#
#   on a synthetic model of L1-Qwen-1.5B-Max's shapes that never closes its
#   thinking by itself, `l1 run --think 256` over 50 seeds gives responses
#   of at most 256 tokens, each with exactly one </think> and a non-empty
#   answer.
#
# "Never closes by itself": the model's </think> logit is pushed to -inf by
# --logit-bias, so the soft landing can never win and every close must be
# the controller's forced one, the hardest case for the guarantee.
# The built-in vocabulary is used: the reference Qwen2 vocabulary has no
# </think>.  Usage: tests/budget_acceptance.sh [BUILD_DIR] [SEEDS]
# (default build/release, 50); PRESET=tiny for a quick smoke run.
set -u
BUILD=${1:-build/release}
SEEDS=${2:-50}
L1="$BUILD/l1"
fail() { echo "budget_acceptance: $*" >&2; exit 1; }
[ -x "$L1" ] || fail "$L1 not built"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
M="$tmp/l1-1.5b-shape.gguf"
# Q8_0 keeps the file near 1.9 GB instead of 7 GB of F32.
"$L1" synth --preset "${PRESET:-l1-1.5b}" --type Q8_0 -o "$M" >&2 || fail "l1 synth failed"
close_id=$("$L1" tokenize -m "$M" -p "</think>" | awk '{print $1}')
[ -n "$close_id" ] || fail "cannot find the id of </think>"
for seed in $(seq 1 "$SEEDS"); do
    "$L1" run -m "$M" -p "What is the sum of the first 100 positive integers?" --think 256 --seed "$seed" \
        --logit-bias "$close_id=-inf" --json >"$tmp/j" 2>"$tmp/e" || fail "seed $seed: $(cat "$tmp/e")"
    python3 - "$tmp/j" "$seed" <<'PY' || exit 1
import json, sys
d = json.load(open(sys.argv[1]))
seed = sys.argv[2]
n = d["tokens_thinking"] + d["tokens_answer"]
def bad(msg):
    print("budget_acceptance: seed %s: %s: %s" % (seed, msg, json.dumps(d)[:400]), file=sys.stderr)
    sys.exit(1)
if n > 256: bad("%d tokens > 256" % n)
if d["text"].count("</think>") != 1: bad("%d </think>" % d["text"].count("</think>"))
if d["close"] != "forced": bad("close %s (the model cannot close by itself)" % d["close"])
# The answer holds the transition; a sampled answer token must follow it.
if len(d["answer"]) <= len("\n\n**Final Answer**\n"): bad("no answer after the transition")
print("seed %s: %d tokens (thinking %d, answer %d), finish %s" % (
    seed, n, d["tokens_thinking"], d["tokens_answer"], d["finish_reason"]))
PY
done
echo "budget_acceptance: ok ($SEEDS seeds)"
