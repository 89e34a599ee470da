// The official `openai` Node client against `l1 serve` (run by
// tests/checks/serve_openai.sh): a plain and a streamed chat completion on
// the trained reasoner, with reasoning_content apart from content and the
// usage within thinking_budget.  argv: the server's base URL, the key.
import OpenAI from "openai";

const [baseURL, apiKey] = process.argv.slice(2);
const client = new OpenAI({ baseURL: baseURL + "/v1", apiKey, maxRetries: 0, timeout: 20000 });
const fail = (msg) => { console.error("serve_openai: " + msg); process.exit(1); };
const ask = [{ role: "user", content: "What is 12 + 34?" }];

const models = await client.models.list();
if (!models.data.length || models.data[0].id !== "reasoner.gguf") fail("models: " + JSON.stringify(models.data));

const plain = await client.chat.completions.create({
    model: "reasoner.gguf", messages: ask, temperature: 0, thinking_budget: 64,
});
const msg = plain.choices[0].message;
if (!msg.reasoning_content || !msg.content.includes("\\boxed{")) fail("plain: " + JSON.stringify(plain));
if (plain.usage.completion_tokens > 64) fail("plain: over the budget: " + JSON.stringify(plain.usage));

const stream = await client.chat.completions.create({
    model: "reasoner.gguf", messages: ask, temperature: 0, thinking_budget: 64, stream: true,
});
let reasoning = "", content = "", usage = null, finish = null;
for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    const c = chunk.choices[0];
    if (!c) continue;
    reasoning += c.delta.reasoning_content ?? "";
    content += c.delta.content ?? "";
    if (c.finish_reason) finish = c.finish_reason;
}
if (reasoning !== msg.reasoning_content || content !== msg.content) fail("stream: the text differs from the plain response");
if (!usage || usage.completion_tokens !== plain.usage.completion_tokens || !finish) fail("stream: usage " + JSON.stringify(usage));

try {
    await client.chat.completions.create({ model: "x", messages: ask, thinking_budget: 1 });
    fail("a budget below the minimum was accepted");
} catch (e) {
    if (!(e instanceof OpenAI.BadRequestError)) fail("expected a 400, got " + e);
}
console.log("serve_openai: ok");
