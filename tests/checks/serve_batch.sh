#!/usr/bin/env bash
# `l1 serve --parallel 4` decodes concurrent requests together (continuous
# batching): eight requests with their own seeds and budgets, streamed and
# not, sent at once and at staggered times (so they join and leave running
# batches), each get exactly the response `l1 run` gives alone with that
# seed and budget (reasoning and answer compared text for text); a chat
# that re-sends its history is routed to the slot holding it; a client
# that disconnects mid-stream frees its slot; /health shows every slot idle
# at the end.
set -u
. tests/support/serve_start.sh
serve_check_begin serve_batch
start_server "$M" -t 2 --parallel 4 --queue 16

# The expected responses, one `l1 run` each.
QS=("What is 4821 + 377?" "What is 66 * 9?" "What is 7001 - 2999?" "What is 58 + 8?" "What is 903 * 4?"
    "What is 1234 - 987?" "What is 45 + 9876?" "What is 7 * 8?")
for i in 0 1 2 3 4 5 6 7; do
    "$L1" run -m "$M" -p "${QS[$i]}" --seed $((100 + i)) --think $((32 + 16 * i)) --json >"$tmp/want$i" 2>/dev/null ||
        fail "l1 run $i failed"
done

python3 - "$U" "$tmp" "${QS[@]}" <<'PY' || fail "a batched response differs from l1 run's"
import json, sys, threading, time, urllib.request
url, tmp, qs = sys.argv[1], sys.argv[2], sys.argv[3:]
got, errors = {}, []

def ask(i):
    time.sleep([0, 0, 0, 0, 0.05, 0.1, 0.2, 0.3][i])  # four at once, then joiners
    stream = i % 2 == 1
    body = {"messages": [{"role": "user", "content": qs[i]}], "seed": 100 + i,
            "thinking_budget": 32 + 16 * i, "budget_mode": "max", "stream": stream}
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            data = r.read().decode()
        if not stream:
            m = json.loads(data)["choices"][0]["message"]
            got[i] = (m["reasoning_content"], m["content"])
            return
        reasoning, content = "", ""
        for line in data.split("\n"):
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            for c in json.loads(line[6:])["choices"]:
                d = c.get("delta", {})
                reasoning += d.get("reasoning_content") or ""
                content += d.get("content") or ""
        got[i] = (reasoning, content)
    except Exception as e:
        errors.append((i, repr(e)))

threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
for t in threads: t.start()
for t in threads: t.join()
assert not errors, errors
for i in range(8):
    want = json.load(open("%s/want%d" % (tmp, i)))
    assert got[i] == (want["reasoning"], want["answer"]), (i, got[i], want["reasoning"], want["answer"])
PY

# Routing: three conversations, one after the other, take three slots; the
# second turn of the first one (its history re-sent) goes back to the slot
# holding it and evaluates only the new part (usage.prompt_tokens_details.
# cached_tokens covers the first turn's prompt but its closing "<think>\n"), while a fourth,
# new conversation reuses nothing but what every prompt starts with.
python3 - "$U" <<'PY' || fail "routing to the slot holding the conversation failed"
import json, sys, urllib.request
url = sys.argv[1]
def ask(msgs):
    body = {"messages": msgs, "thinking_budget": 48, "seed": 1}
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read())
first = {}
for q in ("What is 31 + 11?", "What is 52 - 17?", "What is 9 * 6?"):
    first[q] = ask([{"role": "user", "content": q}])
q = "What is 31 + 11?"
a = first[q]["choices"][0]["message"]["content"]
again = ask([{"role": "user", "content": q}, {"role": "assistant", "content": a},
             {"role": "user", "content": "What is 2 + 2?"}])
p1, u2 = first[q]["usage"]["prompt_tokens"], again["usage"]
assert u2["prompt_tokens_details"]["cached_tokens"] >= p1 - 4, (p1, u2)  # all but the think prefix
fresh = ask([{"role": "user", "content": "What is 8000 - 1?"}])["usage"]
assert fresh["prompt_tokens_details"]["cached_tokens"] < p1 // 2, fresh
PY

# A client that goes away mid-stream frees its slot: four of them, then
# every slot is idle again and a new request is answered.
clients=()
for i in 1 2 3 4; do
    curl -s -N -m 0.3 -o /dev/null "$U" \
        -d '{"messages":[{"role":"user","content":"What is 1 + 1?"}],"thinking_budget":100000,"budget_mode":"exact","stream":true}' &
    clients+=($!)
done
wait "${clients[@]}"
for _ in $(seq 100); do
    idle=$(curl -s "$B/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["slots_idle"])')
    [ "$idle" = 4 ] && break
    sleep 0.1
done
[ "$idle" = 4 ] || fail "slots idle after the disconnects: $idle of 4"
code=$(curl -s -o "$tmp/body" -w '%{http_code}' "$U" -d '{"messages":[{"role":"user","content":"What is 2 + 2?"}],"thinking_budget":32}')
[ "$code" = 200 ] || fail "request after the disconnects: status $code: $(cat "$tmp/body")"
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" -eq 0 ] || fail "the server exited with status $rc after SIGTERM"
exit 0
