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
# The test support objects are kept once built for the test binaries (not
# deleted as intermediates at the end of the make run, which would rebuild
# them and relink every test binary next time): build one test binary in a
# scratch build directory holding a copy of the library, then ask again.
[ -f "$BUILD/libl1.a" ] && [ -d "$BUILD/lib" ] || exit 0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
sub=${BUILD#"${BUILDROOT:-build}"/}
mkdir -p "$scratch/$sub"
cp -a "$BUILD/lib" "$BUILD/libl1.a" "$scratch/$sub/"
[ -d "$BUILD/gen" ] && cp -a "$BUILD/gen" "$scratch/$sub/"
mkargs=(--no-print-directory -s CONFIG="${CONFIG:-release}" BUILDROOT="$scratch")
make "${mkargs[@]}" "$scratch/$sub/tests/test_cli" >/dev/null 2>&1 || { echo "no_rebuild: scratch build failed"; exit 1; }
ls "$scratch/$sub"/tests/support/*.o >/dev/null 2>&1 || { echo "no_rebuild: make deleted the test support objects"; exit 1; }
make -q "${mkargs[@]}" "$scratch/$sub/tests/test_cli" || { echo "no_rebuild: the test binary is out of date right after its build"; exit 1; }
