#!/usr/bin/env bash
# `l1 serve` under abuse, on the reasoner with --parallel 4:
#  1. request-body fuzz: random bytes, random JSON and mutations of valid
#     requests (fields dropped, retyped, out of range, truncated, nested),
#     SERVE_FUZZ_COUNT of them (default 2000, bounded at 60 s): every answer
#     is 200 with a chat completion or a 4xx/503 OpenAI-style JSON error,
#     never a dropped connection or a 5xx other than 503;
#  2. a soak: 16 concurrent clients for SERVE_SOAK_SECONDS (default 20; CI 60),
#     random budgets and modes, streamed or not, a third of them hanging up
#     mid-response: every response that was read to its end is complete (a
#     finish_reason, then [DONE] when streamed, usage within the budget);
#  3. the server then still answers, every slot is idle, and it exits 0 on
#     SIGTERM (in the ASan build, with no leak report).
set -u
. tests/support/serve_start.sh
serve_check_begin serve_robust
start_server "$M" -t 2 --parallel 4 --queue 32 --max-body 16384 --max-messages 16

python3 - "$B" "${SERVE_FUZZ_COUNT:-2000}" "${SERVE_SOAK_SECONDS:-20}" <<'PY' || fail "see above"
import http.client, json, random, socket, sys, threading, time
base, fuzz_count, soak_s = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
host, port = base[len("http://"):].split(":")
port = int(port)
rng = random.Random(20261205)

def post(body, timeout=60, stream=False):
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    c.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data

VALID = {"messages": [{"role": "user", "content": "What is 12 + 34?"}], "thinking_budget": 24, "max_tokens": 40}

def mutate(d):
    d = json.loads(json.dumps(d))
    values = [None, True, -1, 0, 1, 2, 1e308, -1e308, 3.5, "", "x" * 50, [], {}, [1, "a"], {"a": {"b": []}},
              2**63, "max", "exact", "off", "weird"]
    keys = ["messages", "thinking_budget", "budget_mode", "temperature", "top_p", "max_tokens", "stop", "seed",
            "n", "stream", "model", "unknown_field"]
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(5)
        if op == 0:
            d[rng.choice(keys)] = rng.choice(values)
        elif op == 1 and d:
            d.pop(rng.choice(list(d)))
        elif op == 2:
            d["messages"] = rng.choice([[], [{"role": "user"}], [{"role": "robot", "content": "hi"}],
                                        [{"role": "user", "content": rng.choice(values)}],
                                        [{"role": "assistant", "content": "a"}],
                                        [{"role": "system", "content": "s"}] * rng.randint(1, 20),
                                        "not a list", [1, 2, 3]])
        elif op == 3:
            d["stop"] = rng.choice([["a"] * rng.randint(0, 8), "x", [""], [1], ["y" * 2000]])
        else:
            d["n"] = rng.choice([0, 1, 2, 9, -3, "2"])
            d["max_tokens"] = rng.choice([1, 2, 8, 16])
    return d

def body_of(i):
    k = i % 4
    if k == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
    if k == 1:
        text = json.dumps(mutate(VALID))
        cut = rng.randint(0, len(text))
        return text[:cut].encode()
    if k == 2:
        return json.dumps(mutate(VALID)).encode()
    depth = rng.randint(1, 3000)
    return ("[" * depth + "]" * rng.choice([0, depth])).encode()

def check_answer(status, data, what):
    if status == 200:
        d = json.loads(data)
        assert d["object"] == "chat.completion" and d["choices"], (what, data[:200])
        return
    assert 400 <= status < 500 or status == 503, (what, status, data[:200])
    e = json.loads(data)["error"]
    assert isinstance(e["message"], str) and e["message"], (what, data[:200])

t_end = time.time() + 60
sent = 0
for i in range(fuzz_count):
    if time.time() > t_end:
        break
    body = body_of(i)
    try:
        status, data = post(body)
    except Exception as ex:
        print("fuzz body %d (%r...): %r" % (i, body[:80], ex))
        sys.exit(1)
    try:
        check_answer(status, data, body[:120])
    except Exception as ex:
        print("fuzz body %d: %r" % (i, ex))
        sys.exit(1)
    sent += 1
print("serve_robust: %d fuzzed bodies answered" % sent)

problems, counts = [], {"complete": 0, "hung_up": 0, "busy": 0}
lock = threading.Lock()

def client(k):
    r = random.Random(k)
    stop_at = time.time() + soak_s
    while time.time() < stop_at:
        n = r.choice([16, 24, 48, 96])
        mode = r.choice(["max", "max", "exact", "off"])
        stream = r.random() < 0.5
        hang = r.random() < 0.33
        body = json.dumps({"messages": [{"role": "user", "content": "What is %d + %d?" % (r.randrange(999), r.randrange(999))}],
                           "thinking_budget": n, "budget_mode": mode, "stream": stream, "seed": r.randrange(10**6),
                           "max_tokens": 200})
        try:
            if hang:  # send, read a little, hang up
                s = socket.create_connection((host, port), timeout=30)
                req = ("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Content-Length: %d\r\n\r\n%s" % (len(body), body))
                s.sendall(req.encode())
                s.recv(r.choice([1, 64, 512]))
                s.close()
                with lock: counts["hung_up"] += 1
                continue
            status, data = post(body.encode(), timeout=120)
            if status == 503:
                with lock: counts["busy"] += 1
                continue
            assert status == 200, (status, data[:200])
            if stream:
                text = data.decode()
                assert text.rstrip().endswith("data: [DONE]"), text[-200:]
                events = [json.loads(l[6:]) for l in text.split("\n") if l.startswith("data: {")]
                finishes = [c.get("finish_reason") for e in events for c in e["choices"] if c.get("finish_reason")]
                assert len(finishes) == 1, finishes
                usage = events[-1]["usage"]
            else:
                d = json.loads(data)
                assert d["choices"][0]["finish_reason"], d
                usage = d["usage"]
            if mode != "off":
                assert usage["completion_tokens"] <= n, (usage, n)
            with lock: counts["complete"] += 1
        except Exception as ex:
            with lock: problems.append((k, repr(ex)))
            return

threads = [threading.Thread(target=client, args=(k,)) for k in range(16)]
for t in threads: t.start()
for t in threads: t.join()
assert not problems, problems[:5]
assert counts["complete"] > 0, counts
print("serve_robust: soak %.0f s, 16 clients: %d complete, %d hung up, %d refused busy" %
      (soak_s, counts["complete"], counts["hung_up"], counts["busy"]))

# Still answering, every slot idle again.
for _ in range(100):
    c = http.client.HTTPConnection(host, port, timeout=10)
    c.request("GET", "/health")
    h = json.loads(c.getresponse().read())
    c.close()
    if h["slots_idle"] == 4 and h["queued"] == 0:
        break
    time.sleep(0.1)
assert h["slots_idle"] == 4 and h["queued"] == 0, h
status, data = post(json.dumps(VALID).encode())
assert status == 200, (status, data[:200])
PY
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" -eq 0 ] || fail "the server exited with status $rc after SIGTERM"
grep -q "ERROR: \(Address\|Leak\)Sanitizer\|runtime error" "$tmp/err" && fail "sanitizer report"
exit 0
