#!/usr/bin/env bash
# bench/serve_load.sh - the server's aggregate decode rate under C concurrent
# streaming clients, beside `l1 bench --parallel C` on the same file in the
# same run (what the server adds: HTTP, JSON, SSE, the engine's hand-off).
#
#   bench/serve_load.sh MODEL.gguf [CLIENTS=8] [TOKENS=128] [THREADS=2] [ROUNDS=3]
#
# Each round starts C clients at once; each asks for TOKENS tokens with
# max_tokens (no budget, greedy, a short prompt) and reads the whole stream.
# Aggregate t/s = the completion tokens of all clients (from usage) / the
# round's wall time, the prompts' evaluation included.  l1 bench's figure
# is `tgTOKENS xC` after an empty prompt.
set -eu
MODEL=${1:?usage: bench/serve_load.sh MODEL.gguf [CLIENTS] [TOKENS] [THREADS] [ROUNDS]}
C=${2:-8}
N=${3:-128}
T=${4:-2}
R=${5:-3}
BUILD=${BUILD:-build/release}
L1="$BUILD/l1"
tmp=$(mktemp -d)
pid=
fail() { echo "serve_load: $*" >&2; exit 1; }
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
. tests/support/serve_start.sh
start_server "$MODEL" -t "$T" --parallel "$C" --queue "$C" -c $((N + 64))
python3 - "$B" "$C" "$N" "$R" <<'PY'
import http.client, json, sys, threading, time
base, C, N, R = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
host, port = base[len("http://"):].split(":")

def client(i, out):
    c = http.client.HTTPConnection(host, int(port), timeout=600)
    body = {"messages": [{"role": "user", "content": "Count %d." % i}], "max_tokens": N, "temperature": 0,
            "budget_mode": "off", "stream": True}
    c.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
    data = c.getresponse().read().decode()
    c.close()
    usage = [json.loads(l[6:]).get("usage") for l in data.split("\n") if l.startswith("data: {")]
    out[i] = [u for u in usage if u][-1]["completion_tokens"]

rates = []
for r in range(R + 1):  # the first round warms up
    out = [0] * C
    threads = [threading.Thread(target=client, args=(i, out)) for i in range(C)]
    t0 = time.time()
    for t in threads: t.start()
    for t in threads: t.join()
    dt = time.time() - t0
    if r:
        rates.append(sum(out) / dt)
        print("serve_load: round %d: %d tokens in %.2f s, %.2f t/s" % (r, sum(out), dt, rates[-1]), file=sys.stderr)
mean = sum(rates) / len(rates)
sd = (sum((x - mean) ** 2 for x in rates) / max(1, len(rates) - 1)) ** 0.5
print("| l1 serve, %d streaming clients, %d tokens each | %.2f ± %.2f |" % (C, N, mean, sd))
PY
kill -TERM "$pid"
wait "$pid" || true
pid=
"$L1" bench -m "$MODEL" -p 0 -n "$N" -np "$C" -t "$T" -r "$R" 2>/dev/null |
    awk -F'|' -v c="$C" -v n="$N" '/ tg[0-9]+ x[0-9]+ /{gsub(/^ +| +$/, "", $8); printf "| l1 bench --parallel %s, tg%s | %s |\n", c, n, $8}'
