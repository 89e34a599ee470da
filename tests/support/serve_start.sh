# tests/support/serve_start.sh - sourced by the server checks (tests/checks/serve_*.sh).
# serve_check_begin NAME: the common start of a curl-based server check: sets
# BUILD, L1 and M (the reasoner), defines fail (one line naming the check,
# then the server's last stderr lines), exits 77 (skipped, saying why) without
# curl or without the server in this build, makes $tmp and kills the server
# and removes $tmp at exit.
serve_check_begin() {
    CHECK_NAME=$1
    BUILD=${BUILD:-build/release}
    L1="$BUILD/l1"
    M=examples/reasoner.gguf
    [ -x "$L1" ] || { echo "$CHECK_NAME: $L1 not built" >&2; exit 1; }
    [ -f "$M" ] || { echo "$CHECK_NAME: $M missing" >&2; exit 1; }
    command -v curl >/dev/null || { echo "curl not installed (tools/ensure-deps.sh curl)"; exit 77; }
    if "$L1" serve --help 2>&1 | grep -q 'built without'; then echo "l1 built without the server (SERVE=0)"; exit 77; fi
    tmp=$(mktemp -d)
    pid=
    trap 'serve_check_cleanup' EXIT
    fail() { echo "$CHECK_NAME: $*" >&2; [ -f "$tmp/err" ] && tail -n 40 "$tmp/err" | sed 's/^/  server: /' >&2; exit 1; }
}
serve_check_cleanup() { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }

# start_server MODEL OPTIONS...: starts `$L1 serve -m MODEL --port 0 OPTIONS...`
# in the background with its stdout and stderr in $tmp/out and $tmp/err, waits
# for its "listening" line and sets pid, port, B (the base URL) and U (the
# chat completions URL); calls fail (the caller's) when it does not come up.
start_server() {
    local model=$1
    shift
    "$L1" serve -m "$model" --port 0 "$@" >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    port=
    for _ in $(seq 100); do
        port=$(sed -n 's/^l1 serve: listening on http:\/\/127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/err")
        [ -n "$port" ] && break
        kill -0 "$pid" 2>/dev/null || fail "the server exited at start"
        sleep 0.1
    done
    [ -n "$port" ] || fail "the server did not report its port"
    B="http://127.0.0.1:$port"
    U="$B/v1/chat/completions"
}
