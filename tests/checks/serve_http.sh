#!/usr/bin/env bash
# `l1 serve` over loopback on the trained reasoner (examples/reasoner.gguf):
#  - /health, /v1/models; a plain and a streamed chat completion with the
#    thinking in reasoning_content, the answer in content, and usage within
#    thinking_budget (completion = thinking + answer tokens);
#  - n: 3, a stop string, seed determinism;
#  - every error status: 400 (malformed JSON, a wrong field type, a budget
#    below the minimum), 401 (no key), 404, 405, 413, 503 (queue full);
#  - clients that disconnect (plain and streamed) free their slots, and a
#    burst of concurrent clients, some disconnecting, is served whole;
#  - a stalled request is dropped after --timeout;
#  - SIGTERM stops the server with status 0 (under CONFIG=asan: no leak),
#    also in the middle of a generation.
# The expected texts come from the reasoner's own answers (12 + 34 = 46 is
# checked in the answer only as "a \boxed{} is there"); the limits are the
# server's documented ones.
set -u
. tests/support/serve_start.sh
serve_check_begin serve_http
KEY=sk-test-key

start_server "$M" -t 1 --api-key "$KEY" --parallel 2 --queue 2 --max-body 65536 --max-messages 8
AUTH="Authorization: Bearer $KEY"

# req EXPECTED_STATUS CURL_ARGS...: the body lands in $tmp/body.
req() {
    local want=$1
    shift
    local got
    got=$(curl -s -o "$tmp/body" -w '%{http_code}' "$@")
    [ "$got" = "$want" ] || fail "curl $*: status $got, expected $want: $(head -c 300 "$tmp/body")"
}
# jcheck PYTHON_EXPR: evaluated with d = the JSON body; must be true.
jcheck() {
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
        "$tmp/body" "$1" || fail "check failed: $1 on $(head -c 600 "$tmp/body")"
}
ASK='{"role":"user","content":"What is 12 + 34?"}'

# ---- health, models ----
req 200 "$B/health"
jcheck 'd["status"] == "ok" and d["slots"] == 2 and d["slots_idle"] == 2'
req 200 -H "$AUTH" "$B/v1/models"
jcheck 'd["object"] == "list" and d["data"][0]["id"] == "reasoner.gguf"'

# ---- a plain completion ----
req 200 -H "$AUTH" "$U" -d '{"messages":['"$ASK"'],"thinking_budget":64,"temperature":0}'
jcheck 'd["object"] == "chat.completion" and len(d["choices"]) == 1'
jcheck 'd["choices"][0]["message"]["reasoning_content"] != "" and "\\boxed{" in d["choices"][0]["message"]["content"]'
jcheck '"<think>" not in d["choices"][0]["message"]["content"] and "</think>" not in d["choices"][0]["message"]["reasoning_content"]'
jcheck 'd["usage"]["completion_tokens"] <= 64 and d["usage"]["completion_tokens"] == d["usage"]["thinking_tokens"] + d["usage"]["answer_tokens"]'
jcheck 'd["usage"]["total_tokens"] == d["usage"]["prompt_tokens"] + d["usage"]["completion_tokens"] and d["usage"]["prompt_tokens"] > 0'
jcheck 'd["usage"]["close"] in ("natural", "forced") and d["choices"][0]["finish_reason"] in ("stop", "length")'
cp "$tmp/body" "$tmp/plain.json"

# A budget too tight for the model's own shortest response (its answer
# alone takes 9 tokens) forces the close and is still kept.
req 200 -H "$AUTH" "$U" -d '{"messages":['"$ASK"'],"thinking_budget":6,"temperature":0}'
jcheck 'd["usage"]["completion_tokens"] <= 6 and d["usage"]["close"] == "forced"'

# ---- a streamed completion: the same text as the plain one (greedy) ----
req 200 -N -H "$AUTH" "$U" -d '{"messages":['"$ASK"'],"thinking_budget":64,"temperature":0,"stream":true}'
python3 - "$tmp/body" "$tmp/plain.json" <<'EOF' || fail "stream: $(head -c 800 "$tmp/body")"
import json, sys
raw = open(sys.argv[1]).read()
plain = json.load(open(sys.argv[2]))
events = [e for e in raw.split("\n\n") if e.strip()]
assert all(e.startswith("data: ") for e in events), "an event without data:"
assert events[-1] == "data: [DONE]", "no [DONE] at the end"
chunks = [json.loads(e[6:]) for e in events[:-1]]
reasoning = "".join(c["choices"][0]["delta"].get("reasoning_content", "") for c in chunks if c["choices"])
content = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
assert all(c["object"] == "chat.completion.chunk" for c in chunks)
assert chunks[0]["choices"][0]["delta"].get("role") == "assistant"
assert reasoning and content, "reasoning or content missing"
m = plain["choices"][0]["message"]
assert reasoning == m["reasoning_content"] and content == m["content"], "streamed text differs from the plain response"
usage = [c["usage"] for c in chunks if "usage" in c]
assert len(usage) == 1 and usage[0]["completion_tokens"] <= 64
assert usage[0]["completion_tokens"] == plain["usage"]["completion_tokens"]
finals = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"] and c["choices"][0].get("finish_reason")]
assert finals == [plain["choices"][0]["finish_reason"]]
EOF

# ---- n, stop, seed ----
req 200 -H "$AUTH" "$U" -d '{"messages":['"$ASK"'],"thinking_budget":48,"n":3,"seed":11,"temperature":1}'
jcheck '[c["index"] for c in d["choices"]] == [0, 1, 2] and d["usage"]["completion_tokens"] <= 3 * 48'
cp "$tmp/body" "$tmp/seed1.json"
req 200 -H "$AUTH" "$U" -d '{"messages":['"$ASK"'],"thinking_budget":48,"n":3,"seed":11,"temperature":1}'
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(a["choices"]!=b["choices"])' \
    "$tmp/seed1.json" "$tmp/body" || fail "the same seed gave different choices"
req 200 -H "$AUTH" "$U" -d '{"messages":['"$ASK"'],"thinking_budget":64,"temperature":0,"stop":["="]}'
jcheck '"=" not in d["choices"][0]["message"]["reasoning_content"] and d["usage"]["finish"] == "stop" and d["choices"][0]["finish_reason"] == "stop"'

# ---- errors ----
ecode() { jcheck 'isinstance(d["error"]["message"], str) and d["error"]["message"] != "" and d["error"]["type"] == "'"$1"'"'; }
req 400 -H "$AUTH" "$U" -d '{"messages": ['
ecode invalid_request_error
req 400 -H "$AUTH" "$U" -d '{"messages":['"$ASK"'],"temperature":"warm"}'
jcheck '"temperature" in d["error"]["message"]'
req 400 -H "$AUTH" "$U" -d '{"messages":['"$ASK"'],"stream":"yes"}'
req 400 -H "$AUTH" "$U" -d '{"messages":[{"role":"user","content":7}]}'
req 400 -H "$AUTH" "$U" -d '{"messages":['"$ASK"'],"thinking_budget":1}'
jcheck '"minimum" in d["error"]["message"]'
req 400 -H "$AUTH" "$U" -d '{"messages":['"$ASK"'],"budget_mode":"exact"}'
req 400 -H "$AUTH" "$U" -d '{"messages":['"$ASK"'],"budget_mode":"sometimes","thinking_budget":50}'
req 400 -H "$AUTH" "$U" -d '{"messages":['"$ASK,$ASK,$ASK,$ASK,$ASK,$ASK,$ASK,$ASK,$ASK"']}'
jcheck '"at most 8" in d["error"]["message"]'
req 401 "$U" -d '{"messages":['"$ASK"']}'
ecode authentication_error
req 401 -H "Authorization: Bearer wrong" "$B/v1/models"
head -c 70000 /dev/zero | tr '\0' ' ' >"$tmp/big"
req 413 -H "$AUTH" "$U" --data-binary @"$tmp/big"
ecode invalid_request_error
req 404 -H "$AUTH" "$B/v1/nothing"
req 405 -H "$AUTH" "$U"
req 405 -H "$AUTH" -X POST "$B/health"

# ---- a burst: 8 clients with budgets 16..128, every third gives up at once ----
clients=()
for i in $(seq 0 7); do
    b=$((16 + i * 16))
    if [ $((i % 3)) -eq 2 ]; then
        curl -s -N -m 0.3 -o /dev/null -H "$AUTH" "$U" \
            -d '{"messages":['"$ASK"'],"thinking_budget":100000,"budget_mode":"exact","stream":true}' &
        clients+=($!)
    else
        s=false
        [ $((i % 2)) -eq 0 ] && s=true
        curl -s -N -o "$tmp/burst$i" -w '%{http_code}' -H "$AUTH" "$U" \
            -d '{"messages":['"$ASK"'],"thinking_budget":'"$b"',"stream":'"$s"',"seed":'"$i"'}' >"$tmp/code$i" &
        clients+=($!)
    fi
done
wait "${clients[@]}"
for i in $(seq 0 7); do
    [ $((i % 3)) -eq 2 ] && continue
    b=$((16 + i * 16))
    code=$(cat "$tmp/code$i")
    [ "$code" = 200 ] || [ "$code" = 503 ] || fail "burst client $i: status $code"
    [ "$code" = 200 ] || continue
    python3 - "$tmp/burst$i" "$b" <<'EOF' || fail "burst client $i: $(head -c 400 "$tmp/burst$i")"
import json, sys
raw, budget = open(sys.argv[1]).read(), int(sys.argv[2])
if raw.startswith("data: "):
    events = [e for e in raw.split("\n\n") if e.strip()]
    assert events[-1] == "data: [DONE]"
    usage = [json.loads(e[6:])["usage"] for e in events[:-1] if "usage" in json.loads(e[6:])][0]
else:
    usage = json.loads(raw)["usage"]
assert usage["completion_tokens"] <= budget, usage
EOF
done
req 200 "$B/health"
jcheck 'd["status"] == "ok"'

# ---- a clean stop ----
stop_server() { # stop_server NAME: SIGTERM, then status 0 within 10 s
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && fail "$1: still running 10 s after SIGTERM"
    wait "$pid"
    local rc=$?
    pid=
    [ "$rc" -eq 0 ] || fail "$1: exited with status $rc after SIGTERM"
    grep -q 'SIGTERM, stopping' "$tmp/err" || fail "$1: no stop message"
    grep -qi 'sanitizer' "$tmp/err" && fail "$1: sanitizer report"
    [ -s "$tmp/out" ] && fail "$1: wrote to stdout: $(head -c 200 "$tmp/out")"
}
stop_server "the reasoner's server"

# ---- 503 and disconnects, on a synthetic model slow enough to hold a slot:
# an exact budget of 3000 tokens, 8 times over, runs for many seconds.  One
# slot, one queue place; both holders give up after 3 s. ----
"$L1" synth --preset small -o "$tmp/small.gguf" 2>/dev/null || fail "l1 synth failed"
start_server "$tmp/small.gguf" -t 1 --api-key "$KEY" --parallel 1 --queue 1 --timeout 1
# A client that sends half its headers and waits is dropped after --timeout.
exec 3<>"/dev/tcp/127.0.0.1/${B##*:}" || fail "cannot connect"
printf 'GET /health HTTP/1.1\r\nHost: l1\r\n' >&3
t0=$SECONDS
timeout 10 cat <&3 >/dev/null || fail "a stalled request was kept past 10 s (--timeout 1)"
exec 3<&-
[ $((SECONDS - t0)) -le 5 ] || fail "a stalled request was kept $((SECONDS - t0)) s (--timeout 1)"
HOLD='{"messages":[{"role":"user","content":"hi"}],"thinking_budget":3000,"budget_mode":"exact","n":8,"temperature":1'
curl -s -N -m 3 -o /dev/null -H "$AUTH" "$U" -d "$HOLD,\"stream\":true}" &
h1=$!
sleep 0.3
curl -s -m 3 -o /dev/null -H "$AUTH" "$U" -d "$HOLD}" &
h2=$!
health_is() { # health_is PYTHON_EXPR TRIES
    for _ in $(seq "$2"); do
        curl -s -o "$tmp/body" "$B/health"
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not eval(sys.argv[2]))' \
            "$tmp/body" "$1" && return 0
        sleep 0.1
    done
    fail "health never showed $1: $(cat "$tmp/body")"
}
health_is 'd["slots_idle"] == 0 and d["queued"] == 1' 20
req 503 -H "$AUTH" "$U" -d '{"messages":[{"role":"user","content":"hi"}]}'
ecode server_overloaded
wait "$h1" "$h2" # both holders gave up
# The streamed holder's generation is aborted, the queued one then takes the
# slot and sees its client gone: the slot is idle again long before the
# 8 x 3000 tokens could have been generated.
health_is 'd["slots_idle"] == 1 and d["queued"] == 0' 30
# SIGTERM during a generation: it is aborted and the server exits cleanly.
curl -s -N -m 20 -o /dev/null -H "$AUTH" "$U" -d "$HOLD,\"stream\":true}" &
h1=$!
health_is 'd["slots_idle"] == 0' 20
stop_server "the stop during a generation"
wait "$h1"
exit 0
