#!/usr/bin/env bash
# The reasoner end-to-end tests (tests/test_reasoner.c) on every kernel tier
# this host runs: the tier is chosen once per process, so the binary runs
# once per L1_TIER value (a tier the CPU lacks falls back to the best one
# it has, which is then simply tested again).
set -u
BUILD=${BUILD:-build/release}
BIN="$BUILD/tests/test_reasoner"
if [ ! -x "$BIN" ]; then
    echo "SKIP reasoner_tiers: $BIN not built (TESTS filter)"
    exit 0
fi
if [ ! -f examples/reasoner.gguf ]; then
    echo "reasoner_tiers: examples/reasoner.gguf missing"
    exit 1
fi
status=0
for tier in scalar avx2 avx512; do
    if ! out=$(L1_TIER=$tier "$BIN" 2>&1); then
        echo "$out"
        echo "reasoner_tiers: test_reasoner failed with L1_TIER=$tier"
        status=1
    fi
done
exit $status
