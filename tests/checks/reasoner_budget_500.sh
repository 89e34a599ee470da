#!/usr/bin/env bash
# The reasoner issue's budget test: on 500 fresh problems (budget_eval's
# generator, seed 1) at every budget 16..256, greedy, l1's max mode with and
# without the soft landing never exceeds N, ends every response with
# \boxed{...}, never closes mid-word, and is at least as accurate as a plain
# cut at N (bench/budget_eval --check, which names each broken promise).
# Sanitizer builds run 50 problems: the same checks, a tenth of the time.
set -u
BUILD=${BUILD:-build/release}
BIN="$BUILD/bench/budget_eval"
if [ ! -x "$BIN" ]; then
    echo "reasoner_budget_500: $BIN not built"
    exit 1
fi
if [ ! -f examples/reasoner.gguf ]; then
    echo "reasoner_budget_500: examples/reasoner.gguf missing"
    exit 1
fi
n=500
[ "${CONFIG:-release}" = release ] || n=50
out=$("$BIN" -m examples/reasoner.gguf -n "$n" -t 2 --policies max-soft,max-hard,cut --check 2>&1)
rc=$?
if [ "$rc" -ne 0 ]; then
    echo "$out"
    echo "reasoner_budget_500: budget_eval --check failed (status $rc) on $n problems"
    exit 1
fi
echo "$out" | grep "check:"
