#!/usr/bin/env bash
# After a build, nothing is out of date: the library, the tool, the examples
# and the test binaries of this run (TEST_BINS, from tests/run.sh; else every
# one built) are current (`make -q`), so running `make test` again compiles
# and links nothing.
set -u
BUILD=${BUILD:-build/release}
bins=${TEST_BINS:-$(ls "$BUILD"/tests/test_* 2>/dev/null | grep -v '\.d$')}
if ! make -q --no-print-directory CONFIG="${CONFIG:-release}" BUILDROOT="${BUILDROOT:-build}" all $bins; then
    echo "no_rebuild: make would rebuild:"
    make -n --no-print-directory CONFIG="${CONFIG:-release}" BUILDROOT="${BUILDROOT:-build}" all $bins | head -n 20
    exit 1
fi
