# tests/support/serve_start.sh - sourced by the server checks (tests/checks/serve_*.sh).
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
