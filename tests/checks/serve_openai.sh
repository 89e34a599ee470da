#!/usr/bin/env bash
# The official `openai` npm client against `l1 serve` on the trained
# reasoner (tests/serve_openai.mjs).  The package is installed into
# build/serve-node on first use; without npm or its registry the check is
# skipped, saying so.
set -u
BUILD=${BUILD:-build/release}
L1="$BUILD/l1"
M=examples/reasoner.gguf
fail() { echo "serve_openai: $*" >&2; [ -f "$tmp/err" ] && sed 's/^/  server: /' "$tmp/err" >&2; exit 1; }
[ -x "$L1" ] || { echo "serve_openai: $L1 not built" >&2; exit 1; }
if "$L1" serve --help 2>&1 | grep -q 'built without'; then echo "l1 built without the server (SERVE=0)"; exit 77; fi
command -v node >/dev/null && command -v npm >/dev/null || { echo "node/npm not installed (tools/ensure-deps.sh npm)"; exit 77; }
NODE_DIR=build/serve-node
if [ ! -f "$NODE_DIR/node_modules/openai/package.json" ]; then
    mkdir -p "$NODE_DIR"
    timeout 120 npm install --prefix "$NODE_DIR" --no-audit --no-fund --silent openai >/dev/null 2>&1 ||
        { echo "npm could not install the openai package (no registry access?)"; exit 77; }
fi
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
. tests/support/serve_start.sh
start_server "$M" -t 1 --api-key sk-node
cp tests/serve_openai.mjs "$NODE_DIR/" # resolves `openai` from build/serve-node/node_modules
timeout 60 node "$NODE_DIR/serve_openai.mjs" "http://127.0.0.1:$port" sk-node || fail "the openai client's checks failed"
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" -eq 0 ] || fail "the server exited with status $rc after SIGTERM"
exit 0
