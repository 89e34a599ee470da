#!/usr/bin/env bash
# Runs every test binary given as arguments, then the script checks in
# tests/checks/*.sh, and prints cmocka's per-binary results followed by one
# closing line with the totals:  "tests: N passed, N failed, N skipped",
# after a line naming what was skipped (cmocka skip(), a check that exits
# 77, the parity suite when it cannot run or PARITY=skip; the suite counts
# as one).
# Environment: BUILD (build dir), RUNNER (e.g. qemu for cross builds).
set -u
run_checks=1
if [ "${1:-}" = --no-checks ]; then run_checks=0; shift; fi
export TEST_BINS="$*" # the binaries this run tests, for checks that look at them
passed=0
failed=0
skipped=0
failed_names=()
skipped_names=()
for bin in "$@"; do
    name=$(basename "$bin")
    out=$(mktemp)
    if [ -n "${RUNNER:-}" ]; then
        $RUNNER "$bin" >"$out" 2>&1
    else
        "$bin" >"$out" 2>&1
    fi
    rc=$?
    cat "$out"
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
    s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
    p=${p:-0}
    f=${f:-0}
    s=${s:-0}
    if [ "$s" -ne 0 ]; then
        skipped=$((skipped + s))
        skipped_names+=("$name($s)")
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        # Crashed or exited early without cmocka's summary: count it as a failure.
        echo "$name: exited with status $rc before reporting" >&2
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    [ "$f" -ne 0 ] && failed_names+=("$name")
    rm -f "$out"
done
# Script checks (install + pkg-config, CLI behaviour, ...): each is one test.
if [ -z "${RUNNER:-}" ] && [ "$run_checks" -eq 1 ]; then
    for chk in tests/checks/*.sh; do
        [ -e "$chk" ] || continue
        name=$(basename "$chk" .sh)
        log=$(bash "$chk" 2>&1)
        crc=$?
        if [ "$crc" -eq 0 ]; then
            echo "[       OK ] check $name"
            passed=$((passed + 1))
        elif [ "$crc" -eq 77 ]; then
            echo "[  SKIPPED ] check $name: $(echo "$log" | tail -n 1)"
            skipped=$((skipped + 1))
            skipped_names+=("check:$name")
        else
            echo "$log"
            echo "[  FAILED  ] check $name"
            failed=$((failed + 1))
            failed_names+=("check:$name")
        fi
    done
fi
# The llama.cpp parity suite (tests/parity): PARITY=auto runs it when the
# reference has been fetched, PARITY=require fails when it cannot run,
# PARITY=skip skips it.
if [ "$run_checks" -eq 1 ] && [ "${PARITY:-auto}" = skip ]; then
    echo "SKIP parity: PARITY=skip"
    skipped=$((skipped + 1))
    skipped_names+=("parity suite: PARITY=skip")
elif [ "$run_checks" -eq 1 ]; then
    why=""
    if [ -n "${RUNNER:-}" ]; then why="cross build ($ARCH)";
    elif [ "${CONFIG:-release}" != release ]; then why="CONFIG=$CONFIG (parity runs in the release build)";
    elif [ ! -f build/reference/.ok ]; then why="reference not fetched (make parity-fetch)"; fi
    if [ -z "$why" ]; then
        plog=$(mktemp)
        MAKEFLAGS= make --no-print-directory parity BUILDROOT="${BUILDROOT:-build}" >"$plog" 2>&1
        prc=$?
        cat "$plog"
        pp=$(sed -n 's/^tests: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1/p' "$plog" | tail -n 1)
        pf=$(sed -n 's/^tests: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\2/p' "$plog" | tail -n 1)
        ps=$(sed -n 's/^tests: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\3/p' "$plog" | tail -n 1)
        if [ "${ps:-0}" -gt 0 ]; then skipped=$((skipped + ps)); skipped_names+=("parity($ps)"); fi
        rm -f "$plog"
        passed=$((passed + ${pp:-0}))
        if [ "$prc" -ne 0 ] || [ "${pf:-0}" -ne 0 ] || [ -z "$pp" ]; then
            if [ "${pf:-0}" -gt 0 ]; then failed=$((failed + pf)); else failed=$((failed + 1)); fi
            failed_names+=("parity")
        fi
    else
        echo "SKIP parity: $why"
        skipped=$((skipped + 1))
        skipped_names+=("parity suite: $why")
        if [ "${PARITY:-auto}" = require ]; then failed=$((failed + 1)); failed_names+=("parity(skipped)"); fi
    fi
fi
echo
[ ${#skipped_names[@]} -gt 0 ] && echo "skipped: ${skipped_names[*]}"
[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
