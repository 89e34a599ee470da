/*
 * cmd_serve.c - `l1 serve`: an OpenAI-compatible HTTP server.
 *
 * HTTP is libmicrohttpd's (one thread per connection), JSON is cJSON's.
 * Endpoints: POST /v1/chat/completions (plain or streamed as server-sent
 * events), GET /v1/models, GET /health.  The thinking goes in
 * `reasoning_content`, the answer in `content`; `thinking_budget` and
 * `budget_mode` give each request its own budget, kept by the library.
 *
 * Concurrency (continuous batching): one l1_ctx holding --parallel S
 * sequences, one l1_gen per sequence (a slot, l1_gen_new_seq).  A request
 * takes a free slot or waits in a queue of at most --queue requests (503
 * beyond).  One engine thread drives every generator: it begins a slot's
 * response when its connection asks (the prompt's evaluation), and steps all
 * running responses together with l1_gen_step, so each decode step reads
 * the weights once for every sequence; a request joins at the next step and
 * leaves when it ends.  The engine copies each slot's pieces into the slot's
 * queue, which the connection's thread (libmicrohttpd: one per connection)
 * turns into the response.  A slot's l1_gen keeps its sequence's cache, so a
 * chat that re-sends its history to the same slot evaluates only what is
 * new.  A client that goes away (its socket reads end-of-file) aborts its
 * response through abort_fn, and the slot is freed once the engine has
 * ended it.
 */
#include "cli.h"

#if L1_SERVE

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CMD "serve"
#define MAX_STOP 4
#define MAX_N 8
#define MIN_BUDGET 2 /* below 2, a forced close leaves no room for an answer token */

/* A piece as the engine copied it for the connection. */
typedef struct qpiece {
    l1_piece_kind kind;
    l1_phase phase;
    char *text;
    int32_t len;
} qpiece;

/* A slot's state, under server.mu: the connection asks for a response
 * (WANT), the engine begins it (RUNNING, or FAILED with err) and queues its
 * pieces, then ends it (FINISHED, res) ; the connection takes the result
 * (IDLE). */
typedef enum slot_state { SLOT_IDLE, SLOT_WANT, SLOT_RUNNING, SLOT_FAILED, SLOT_FINISHED } slot_state;

typedef struct slot {
    l1_gen *gen;
    bool busy;            /* taken by a request */
    slot_state state;
    bool cancel;          /* the connection is gone: abort and end */
    const l1_message *msgs; /* WANT: what to begin (the connection's, valid until FINISHED or FAILED) */
    int n_msgs;
    l1_gen_params gp;
    char err[256];        /* FAILED: why */
    l1_gen_result res;    /* FINISHED */
    qpiece *q;            /* pieces not yet taken: q[q_head .. q_len) */
    int q_head, q_len, q_cap;
    l1_token *ids;        /* the prompt of the last request it served (routing), n_ids tokens */
    int32_t n_ids;
    uint64_t used;        /* when it was last taken (server.clock) */
} slot;

typedef struct server {
    l1_model *model;
    l1_ctx *ctx;          /* n_slots sequences */
    pthread_t engine;
    bool engine_started;
    bool engine_quit;     /* under mu: the daemon is stopped, the engine may return */
    pthread_cond_t work;  /* the engine waits on it for a request */
    const char *model_id;
    const char *api_key;
    slot *slots;
    int n_slots;
    uint64_t clock;       /* counts slot acquisitions */
    int queue_max;
    int queued;
    int max_messages;
    size_t max_body;
    int n_ctx;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_int stopping;
    atomic_ulong next_id;   /* response ids */
    atomic_ulong next_seed; /* seeds of requests without one */
} server;

/* One request's body as it arrives. */
typedef struct request {
    char *body;
    size_t len, cap;
    bool too_large;
} request;

/* A parsed chat request. */
typedef struct chat {
    cJSON *root;
    l1_message *msgs;
    char **owned; /* texts built here (system prompts joined to a user message) */
    int n_msgs, n_owned;
    l1_gen_params gp;
    const char *stops[MAX_STOP];
    int n;
    bool stream;
    bool seeded;
} chat;

/* A generation in progress on a slot (the streamed response owns it). */
typedef struct run {
    server *srv;
    chat ch;
    int slot;
    int choice;      /* index of the response being generated */
    int fd;          /* the client's socket, for the disconnect check */
    bool begun;      /* l1_gen_begin_chat done for `choice` */
    bool sent_role;
    bool done;       /* [DONE] queued */
    char id[48];
    long created;
    int prompt_tokens;
    int prompt_cached;  /* of the last response's prompt, tokens already in the slot's cache */
    int64_t thinking, answer;
    l1_gen_result last;
    char *out;       /* pending SSE bytes */
    size_t out_len, out_pos, out_cap;
} run;

/* ---- slots and the engine -------------------------------------------------------- */

static void queue_clear(slot *sl) {
    for (int i = sl->q_head; i < sl->q_len; i++) free(sl->q[i].text);
    sl->q_head = sl->q_len = 0;
}

/* Appends a copy of piece p to the slot's queue (under mu); false when out of memory. */
static bool queue_push(slot *sl, const l1_piece *p) {
    if (sl->q_head == sl->q_len) sl->q_head = sl->q_len = 0;
    if (sl->q_len == sl->q_cap) {
        int cap = sl->q_cap ? 2 * sl->q_cap : 64;
        qpiece *q = realloc(sl->q, (size_t)cap * sizeof *q);
        if (!q) return false;
        sl->q = q;
        sl->q_cap = cap;
    }
    qpiece *e = &sl->q[sl->q_len];
    e->kind = p->kind;
    e->phase = p->phase;
    e->len = p->kind == L1_PIECE_TEXT ? p->len : 0;
    e->text = malloc((size_t)e->len + 1);
    if (!e->text) return false;
    if (e->len) memcpy(e->text, p->text, (size_t)e->len);
    e->text[e->len] = '\0';
    sl->q_len++;
    return true;
}

/* The engine thread: begins what the connections ask for, steps every
 * running response in one batch, hands out the pieces and the results. */
static void *engine_main(void *arg) {
    server *s = arg;
    l1_gen **gens = calloc((size_t)s->n_slots, sizeof *gens);
    int *idx = calloc((size_t)s->n_slots, sizeof *idx);
    pthread_mutex_lock(&s->mu);
    while (gens && idx) {
        bool begun = false;
        for (int i = 0; i < s->n_slots; i++) {
            slot *sl = &s->slots[i];
            if (sl->state != SLOT_WANT) continue;
            const l1_message *msgs = sl->msgs;
            const int n = sl->n_msgs;
            const l1_gen_params gp = sl->gp;
            pthread_mutex_unlock(&s->mu);
            l1_status st = l1_gen_begin_chat(sl->gen, msgs, n, &gp);
            pthread_mutex_lock(&s->mu);
            if (st != L1_OK) {
                snprintf(sl->err, sizeof sl->err, "%s", l1_last_error()[0] ? l1_last_error() : l1_status_str(st));
                sl->state = SLOT_FAILED;
            } else {
                sl->state = SLOT_RUNNING;
            }
            begun = true;
        }
        if (begun) pthread_cond_broadcast(&s->cv);
        int n = 0;
        for (int i = 0; i < s->n_slots; i++) {
            slot *sl = &s->slots[i];
            if (sl->state != SLOT_RUNNING) continue;
            if (sl->cancel) l1_gen_abort(sl->gen);
            idx[n] = i;
            gens[n++] = sl->gen;
        }
        if (n == 0) {
            if (s->engine_quit) break;
            pthread_cond_wait(&s->work, &s->mu);
            continue;
        }
        pthread_mutex_unlock(&s->mu);
        l1_status st = l1_gen_step(gens, n);
        pthread_mutex_lock(&s->mu);
        for (int k = 0; k < n; k++) {
            slot *sl = &s->slots[idx[k]];
            l1_piece p;
            bool end = st != L1_OK;
            while (!end && l1_gen_poll(sl->gen, &p) == 1) {
                if (p.kind == L1_PIECE_END) end = true;
                else if (!queue_push(sl, &p)) l1_gen_abort(sl->gen); /* out of memory: the response stops */
            }
            if (!end) continue;
            l1_gen_end(sl->gen, &sl->res);
            sl->state = SLOT_FINISHED;
        }
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    free(gens);
    free(idx);
    return NULL;
}


/* Tokens at the start of a that b starts with too. */
static int32_t common_prefix(const l1_token *a, int32_t na, const l1_token *b, int32_t nb) {
    int32_t k = 0;
    while (k < na && k < nb && a[k] == b[k]) k++;
    return k;
}

/* A free slot's index, -1 when the queue is full, -2 when stopping.  Among
 * the free slots: the one whose last prompt is (at least three quarters)
 * the start of this one (ids, n_ids), so that a chat re-sending its history
 * finds its cache; else the one taken least recently, so that the caches of
 * other conversations stay as long as they can. */
static int slot_acquire(server *s, const l1_token *ids, int32_t n_ids) {
    pthread_mutex_lock(&s->mu);
    int got = -1;
    bool waiting = false;
    for (;;) {
        if (atomic_load(&s->stopping)) { got = -2; break; }
        int32_t best = -1;
        for (int i = 0; i < s->n_slots; i++) {
            const slot *sl = &s->slots[i];
            if (sl->busy) continue;
            int32_t k = common_prefix(sl->ids, sl->n_ids, ids, n_ids);
            if (k == 0 || 4 * (int64_t)k < 3 * (int64_t)sl->n_ids) k = 0; /* a shared template start is no reuse */
            if (k > best || (k == best && k == 0 && sl->used < s->slots[got].used)) best = k, got = i;
        }
        if (got >= 0) {
            s->slots[got].busy = true;
            s->slots[got].used = ++s->clock;
            break;
        }
        if (!waiting) {
            if (s->queued >= s->queue_max) break;
            s->queued++;
            waiting = true;
        }
        pthread_cond_wait(&s->cv, &s->mu);
    }
    if (waiting) s->queued--;
    pthread_mutex_unlock(&s->mu);
    return got;
}

static void slot_release(server *s, int i) {
    pthread_mutex_lock(&s->mu);
    queue_clear(&s->slots[i]);
    s->slots[i].state = SLOT_IDLE;
    s->slots[i].cancel = false;
    s->slots[i].busy = false;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* abort_fn: the server stops, or the client closed its end. */
static int run_should_abort(void *user) {
    run *r = user;
    if (atomic_load(&r->srv->stopping)) return 1;
    if (r->fd < 0) return 0;
    char c;
    ssize_t n = recv(r->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return 1; /* orderly shutdown by the peer */
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return 1;
    return 0;
}

/* ---- responses ---------------------------------------------------------------- */

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, cJSON *obj) {
    char *text = cJSON_PrintUnformatted(obj);
    cJSON_Delete(obj);
    if (!text) return MHD_NO;
    struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!resp) { free(text); return MHD_NO; }
    MHD_add_response_header(resp, "Content-Type", "application/json");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(resp, "Allow", "GET, POST");
    enum MHD_Result ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static const char *error_type(unsigned status) {
    switch (status) {
    case 400: case 413: return "invalid_request_error";
    case 401: return "authentication_error";
    case 404: return "not_found_error";
    case 405: return "invalid_request_error";
    case 503: return "server_overloaded";
    default: return "server_error";
    }
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cJSON *root = cJSON_CreateObject(), *err = cJSON_AddObjectToObject(root, "error");
    cJSON_AddStringToObject(err, "message", msg);
    cJSON_AddStringToObject(err, "type", error_type(status));
    cJSON_AddNullToObject(err, "param");
    cJSON_AddNullToObject(err, "code");
    return send_json(c, status, root);
}

/* ---- request parsing ------------------------------------------------------------ */

static void chat_free(chat *ch) {
    for (int i = 0; i < ch->n_owned; i++) free(ch->owned[i]);
    free(ch->owned);
    free(ch->msgs);
    cJSON_Delete(ch->root);
    memset(ch, 0, sizeof *ch);
}

/* A JSON number that is a whole number in [lo, hi]. */
static bool get_int(const cJSON *v, double lo, double hi, int64_t *out) {
    if (!cJSON_IsNumber(v)) return false;
    double d = v->valuedouble;
    if (!(d >= lo && d <= hi) || d != (double)(int64_t)d) return false;
    *out = (int64_t)d;
    return true;
}

/* Fills ch from the body; NULL, or the message of a 400 written to err. */
static bool chat_parse(server *s, const char *body, size_t len, chat *ch, char *err, size_t cap) {
    memset(ch, 0, sizeof *ch);
    ch->gp = l1_gen_default_params();
    ch->n = 1;
#define BAD(...) return snprintf(err, cap, __VA_ARGS__), false
    ch->root = cJSON_ParseWithLength(body, len);
    if (!ch->root) BAD("the body is not valid JSON");
    if (!cJSON_IsObject(ch->root)) BAD("the body must be a JSON object");
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(ch->root, "messages");
    if (!cJSON_IsArray(msgs)) BAD("'messages' must be an array");
    int n = cJSON_GetArraySize(msgs);
    if (n < 1) BAD("'messages' is empty");
    if (n > s->max_messages) BAD("'messages' has %d entries, at most %d are accepted", n, s->max_messages);
    ch->msgs = calloc((size_t)n, sizeof *ch->msgs);
    ch->owned = calloc((size_t)n, sizeof *ch->owned);
    if (!ch->msgs || !ch->owned) BAD("out of memory");
    const char *system = NULL; /* l1's chat formats have no system turn: it prefixes the next user turn */
    int i = 0;
    for (const cJSON *m = msgs->child; m; m = m->next, i++) {
        if (!cJSON_IsObject(m)) BAD("messages[%d] must be an object", i);
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
        if (!cJSON_IsString(role)) BAD("messages[%d].role must be a string", i);
        const char *r = role->valuestring;
        const char *text = NULL;
        if (cJSON_IsString(content)) text = content->valuestring;
        else if (cJSON_IsNull(content) && strcmp(r, "assistant") == 0) text = "";
        else BAD("messages[%d].content must be a string", i);
        if (strcmp(r, "system") == 0 || strcmp(r, "developer") == 0) {
            if (system) BAD("messages[%d]: only one system message is accepted before a user message", i);
            system = text;
        } else if (strcmp(r, "user") == 0) {
            if (system) {
                size_t a = strlen(system), b = strlen(text);
                char *joined = malloc(a + 2 + b + 1);
                if (!joined) BAD("out of memory");
                memcpy(joined, system, a);
                memcpy(joined + a, "\n\n", 2);
                memcpy(joined + a + 2, text, b + 1);
                ch->owned[ch->n_owned++] = joined;
                text = joined;
                system = NULL;
            }
            ch->msgs[ch->n_msgs++] = (l1_message){L1_MSG_USER, text};
        } else if (strcmp(r, "assistant") == 0) {
            ch->msgs[ch->n_msgs++] = (l1_message){L1_MSG_ASSISTANT, text};
        } else {
            BAD("messages[%d].role '%.40s' is not system, user or assistant", i, r);
        }
    }
    if (ch->n_msgs == 0 || ch->msgs[ch->n_msgs - 1].role != L1_MSG_USER || system)
        BAD("the last message must be a user message");

    const cJSON *v;
    int64_t k;
    if ((v = cJSON_GetObjectItemCaseSensitive(ch->root, "model")) && !cJSON_IsString(v) && !cJSON_IsNull(v))
        BAD("'model' must be a string");
    if ((v = cJSON_GetObjectItemCaseSensitive(ch->root, "stream")) && !cJSON_IsNull(v)) {
        if (!cJSON_IsBool(v)) BAD("'stream' must be a boolean");
        ch->stream = cJSON_IsTrue(v);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(ch->root, "temperature")) && !cJSON_IsNull(v)) {
        if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= 2))
            BAD("'temperature' must be a number in [0, 2]");
        ch->gp.temperature = (float)v->valuedouble;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(ch->root, "top_p")) && !cJSON_IsNull(v)) {
        if (!cJSON_IsNumber(v) || !(v->valuedouble > 0 && v->valuedouble <= 1))
            BAD("'top_p' must be a number in (0, 1]");
        ch->gp.top_p = (float)v->valuedouble;
    }
    const char *max_key = "max_tokens";
    v = cJSON_GetObjectItemCaseSensitive(ch->root, max_key);
    if (!v || cJSON_IsNull(v)) v = cJSON_GetObjectItemCaseSensitive(ch->root, max_key = "max_completion_tokens");
    if (v && !cJSON_IsNull(v)) {
        if (!get_int(v, 1, 1 << 30, &k)) BAD("'%s' must be an integer >= 1", max_key);
        ch->gp.max_tokens = (int32_t)k;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(ch->root, "seed")) && !cJSON_IsNull(v)) {
        if (!get_int(v, -9007199254740991.0, 9007199254740991.0, &k)) BAD("'seed' must be an integer");
        ch->gp.seed = (uint64_t)k;
        ch->seeded = true;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(ch->root, "n")) && !cJSON_IsNull(v)) {
        if (!get_int(v, 1, MAX_N, &k)) BAD("'n' must be an integer in [1, %d]", MAX_N);
        ch->n = (int)k;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(ch->root, "stop")) && !cJSON_IsNull(v)) {
        if (cJSON_IsString(v)) {
            ch->stops[ch->gp.n_stop++] = v->valuestring;
        } else if (cJSON_IsArray(v)) {
            if (cJSON_GetArraySize(v) > MAX_STOP) BAD("'stop' has more than %d strings", MAX_STOP);
            for (const cJSON *e = v->child; e; e = e->next) {
                if (!cJSON_IsString(e)) BAD("'stop' must be a string or an array of strings");
                ch->stops[ch->gp.n_stop++] = e->valuestring;
            }
        } else {
            BAD("'stop' must be a string or an array of strings");
        }
        for (int j = 0; j < ch->gp.n_stop; j++)
            if (!ch->stops[j][0]) BAD("'stop' strings may not be empty");
        ch->gp.stop = ch->stops;
    }
    bool budget_set = false;
    if ((v = cJSON_GetObjectItemCaseSensitive(ch->root, "thinking_budget")) && !cJSON_IsNull(v)) {
        if (!get_int(v, -1e9, 1e9, &k)) BAD("'thinking_budget' must be an integer");
        if (k < MIN_BUDGET) BAD("'thinking_budget' %lld is below the minimum of %d tokens", (long long)k, MIN_BUDGET);
        ch->gp.budget = (int32_t)k;
        ch->gp.budget_mode = L1_BUDGET_MAX;
        budget_set = true;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(ch->root, "budget_mode")) && !cJSON_IsNull(v)) {
        if (!cJSON_IsString(v)) BAD("'budget_mode' must be a string: max, exact or off");
        if (strcmp(v->valuestring, "max") == 0) ch->gp.budget_mode = L1_BUDGET_MAX;
        else if (strcmp(v->valuestring, "exact") == 0) ch->gp.budget_mode = L1_BUDGET_EXACT;
        else if (strcmp(v->valuestring, "off") == 0) ch->gp.budget_mode = L1_BUDGET_OFF;
        else BAD("'budget_mode' '%.20s' is not max, exact or off", v->valuestring);
        if (ch->gp.budget_mode != L1_BUDGET_OFF && !budget_set)
            BAD("'budget_mode' %s needs 'thinking_budget'", v->valuestring);
    }
    /* The library's own check of every parameter, and the prompt's length. */
    int32_t np = l1_prompt_tokens(s->model, ch->msgs, ch->n_msgs, &ch->gp, NULL, 0);
    if (np == L1_TOKEN_ERROR) BAD("%s", l1_last_error());
    if (np < 0) np = -np;
    if (np >= s->n_ctx) BAD("the prompt takes %d tokens; the context holds %d", (int)np, s->n_ctx);
    return true;
#undef BAD
}

/* ---- generation ------------------------------------------------------------------ */

static const char *finish_reason(l1_finish f) {
    switch (f) {
    case L1_FINISH_EOS: case L1_FINISH_STOP: return "stop";
    case L1_FINISH_ABORTED: return "abort";
    default: return "length";
    }
}

/* Starts response `choice` on the run's slot; false on failure (message in err). */
static bool run_begin(run *r, char *err, size_t cap) {
    l1_gen_params gp = r->ch.gp;
    if (r->ch.seeded) gp.seed += (uint64_t)r->choice;
    else gp.seed = (uint64_t)time(NULL) * 1000003u + atomic_fetch_add(&r->srv->next_seed, 1) * 7919u;
    gp.abort_fn = run_should_abort;
    gp.abort_user = r;
    server *s = r->srv;
    slot *sl = &s->slots[r->slot];
    pthread_mutex_lock(&s->mu);
    sl->msgs = r->ch.msgs;
    sl->n_msgs = r->ch.n_msgs;
    sl->gp = gp;
    sl->state = SLOT_WANT;
    pthread_cond_signal(&s->work);
    while (sl->state == SLOT_WANT) pthread_cond_wait(&s->cv, &s->mu);
    const bool ok = sl->state != SLOT_FAILED;
    if (!ok) {
        snprintf(err, cap, "%s", sl->err);
        sl->state = SLOT_IDLE;
    }
    pthread_mutex_unlock(&s->mu);
    if (!ok) return false;
    r->begun = true;
    r->sent_role = false;
    return true;
}

/* The next piece of the running response, waiting for the engine; false
 * at its end (the result is then in the slot). */
static bool run_next(run *r, qpiece *out) {
    server *s = r->srv;
    slot *sl = &s->slots[r->slot];
    pthread_mutex_lock(&s->mu);
    while (sl->q_head == sl->q_len && sl->state == SLOT_RUNNING) pthread_cond_wait(&s->cv, &s->mu);
    const bool got = sl->q_head < sl->q_len;
    if (got) *out = sl->q[sl->q_head++]; /* the caller frees out->text */
    pthread_mutex_unlock(&s->mu);
    return got;
}

/* Waits for the engine to end the running response (after a cancel) and
 * takes its result. */
static void run_wait_end(run *r, l1_gen_result *res) {
    server *s = r->srv;
    slot *sl = &s->slots[r->slot];
    pthread_mutex_lock(&s->mu);
    while (sl->state == SLOT_RUNNING) pthread_cond_wait(&s->cv, &s->mu);
    if (res) *res = sl->res;
    queue_clear(sl);
    sl->state = SLOT_IDLE;
    pthread_mutex_unlock(&s->mu);
}

static void run_end_choice(run *r) {
    run_wait_end(r, &r->last);
    r->begun = false;
    r->prompt_tokens = r->last.prompt_tokens;
    r->prompt_cached = r->last.prompt_reused;
    r->thinking += r->last.tokens_thinking;
    r->answer += r->last.tokens_answer;
}

static void add_usage(cJSON *obj, const run *r, bool one) {
    cJSON *u = cJSON_AddObjectToObject(obj, "usage");
    cJSON_AddNumberToObject(u, "prompt_tokens", r->prompt_tokens);
    cJSON *pd = cJSON_AddObjectToObject(u, "prompt_tokens_details");
    cJSON_AddNumberToObject(pd, "cached_tokens", r->prompt_cached);
    cJSON_AddNumberToObject(u, "completion_tokens", (double)(r->thinking + r->answer));
    cJSON_AddNumberToObject(u, "total_tokens", (double)(r->prompt_tokens + r->thinking + r->answer));
    cJSON_AddNumberToObject(u, "thinking_tokens", (double)r->thinking);
    cJSON_AddNumberToObject(u, "answer_tokens", (double)r->answer);
    cJSON *d = cJSON_AddObjectToObject(u, "completion_tokens_details");
    cJSON_AddNumberToObject(d, "reasoning_tokens", (double)r->thinking);
    if (one) { /* one response: its close and finish (n > 1: each choice has its own) */
        cJSON_AddStringToObject(u, "close", l1_close_name(r->last.close));
        cJSON_AddStringToObject(u, "finish", l1_finish_name(r->last.finish));
    }
}

static void add_choice_result(cJSON *choice, const l1_gen_result *g) {
    cJSON_AddStringToObject(choice, "finish_reason", finish_reason(g->finish));
    cJSON_AddStringToObject(choice, "close", l1_close_name(g->close));
    cJSON_AddStringToObject(choice, "finish", l1_finish_name(g->finish));
}

static cJSON *response_head(const run *r, const char *object) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "id", r->id);
    cJSON_AddStringToObject(root, "object", object);
    cJSON_AddNumberToObject(root, "created", (double)r->created);
    cJSON_AddStringToObject(root, "model", r->srv->model_id);
    return root;
}

/* A whole (not streamed) response: every choice in turn. */
static cJSON *run_complete(run *r, char *err, size_t cap) {
    cJSON *root = response_head(r, "chat.completion");
    cJSON *choices = cJSON_AddArrayToObject(root, "choices");
    for (r->choice = 0; r->choice < r->ch.n; r->choice++) {
        if (!run_begin(r, err, cap)) { cJSON_Delete(root); return NULL; }
        l1cli_buf thinking = {0}, answer = {0};
        qpiece pc;
        while (run_next(r, &pc)) {
            if (pc.kind == L1_PIECE_TEXT)
                l1cli_buf_add(pc.phase == L1_PHASE_THINKING ? &thinking : &answer, pc.text, (size_t)pc.len);
            free(pc.text);
        }
        run_end_choice(r);
        cJSON *c = cJSON_CreateObject();
        cJSON_AddItemToArray(choices, c);
        cJSON_AddNumberToObject(c, "index", r->choice);
        cJSON *m = cJSON_AddObjectToObject(c, "message");
        cJSON_AddStringToObject(m, "role", "assistant");
        cJSON_AddStringToObject(m, "content", answer.data ? answer.data : "");
        cJSON_AddStringToObject(m, "reasoning_content", thinking.data ? thinking.data : "");
        add_choice_result(c, &r->last);
        free(thinking.data);
        free(answer.data);
    }
    add_usage(root, r, r->ch.n == 1);
    return root;
}

static void out_add(run *r, const char *s, size_t n) {
    if (r->out_len + n > r->out_cap) {
        size_t cap = r->out_cap ? r->out_cap : 1024;
        while (cap < r->out_len + n) cap *= 2;
        char *p = realloc(r->out, cap);
        if (!p) return; /* dropped; the stream ends at the next piece */
        r->out = p;
        r->out_cap = cap;
    }
    memcpy(r->out + r->out_len, s, n);
    r->out_len += n;
}

static void out_event(run *r, cJSON *obj) {
    char *text = cJSON_PrintUnformatted(obj);
    cJSON_Delete(obj);
    if (!text) return;
    out_add(r, "data: ", 6);
    out_add(r, text, strlen(text));
    out_add(r, "\n\n", 2);
    free(text);
}

static cJSON *chunk(const run *r, cJSON **delta) {
    cJSON *root = response_head(r, "chat.completion.chunk");
    cJSON *choices = cJSON_AddArrayToObject(root, "choices");
    cJSON *c = cJSON_CreateObject();
    cJSON_AddItemToArray(choices, c);
    cJSON_AddNumberToObject(c, "index", r->choice);
    *delta = cJSON_AddObjectToObject(c, "delta");
    return root;
}

/* Produces the next events of a streamed response into r->out; false at the end. */
static bool run_stream_step(run *r) {
    if (r->done) return false;
    if (r->choice >= r->ch.n) { /* the usage, then the end */
        cJSON *root = response_head(r, "chat.completion.chunk");
        cJSON_AddArrayToObject(root, "choices");
        add_usage(root, r, r->ch.n == 1);
        out_event(r, root);
        out_add(r, "data: [DONE]\n\n", 14);
        r->done = true;
        return true;
    }
    if (!r->begun) {
        char err[256];
        if (!run_begin(r, err, sizeof err)) { r->choice = r->ch.n; return true; }
    }
    qpiece pc;
    if (!run_next(r, &pc)) {
        run_end_choice(r);
        if (r->last.finish == L1_FINISH_ABORTED && run_should_abort(r)) {
            r->done = true; /* the client is gone, or the server stops */
            return false;
        }
        cJSON *delta, *root = chunk(r, &delta);
        cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "choices"), 0);
        add_choice_result(c, &r->last);
        out_event(r, root);
        r->choice++;
        return true;
    }
    if (pc.kind != L1_PIECE_TEXT && r->sent_role) {
        free(pc.text);
        return true;
    }
    cJSON *delta, *root = chunk(r, &delta);
    if (!r->sent_role) {
        cJSON_AddStringToObject(delta, "role", "assistant");
        r->sent_role = true;
    }
    if (pc.kind == L1_PIECE_TEXT) /* NUL-terminated by queue_push */
        cJSON_AddStringToObject(delta, pc.phase == L1_PHASE_THINKING ? "reasoning_content" : "content", pc.text);
    free(pc.text);
    cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "choices"), 0);
    cJSON_AddNullToObject(c, "finish_reason");
    out_event(r, root);
    return true;
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    run *r = cls;
    while (r->out_pos == r->out_len) {
        r->out_pos = r->out_len = 0;
        if (!run_stream_step(r)) return r->done && !run_should_abort(r) ? MHD_CONTENT_READER_END_OF_STREAM
                                                                        : MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t n = r->out_len - r->out_pos;
    if (n > max) n = max;
    memcpy(buf, r->out + r->out_pos, n);
    r->out_pos += n;
    return (ssize_t)n;
}

static void run_free(run *r) {
    if (!r) return;
    if (r->slot >= 0) {
        if (r->begun) { /* the client went away mid-response: the engine aborts and ends it */
            pthread_mutex_lock(&r->srv->mu);
            r->srv->slots[r->slot].cancel = true;
            pthread_cond_signal(&r->srv->work);
            pthread_mutex_unlock(&r->srv->mu);
            run_wait_end(r, NULL);
        }
        slot_release(r->srv, r->slot);
    }
    chat_free(&r->ch);
    free(r->out);
    free(r);
}

static void stream_free(void *cls) { run_free(cls); }

/* ---- routing -------------------------------------------------------------------- */

static bool authorized(server *s, struct MHD_Connection *c) {
    if (!s->api_key) return true;
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    return h && strncmp(h, "Bearer ", 7) == 0 && strcmp(h + 7, s->api_key) == 0;
}

static enum MHD_Result handle_chat(server *s, struct MHD_Connection *c, request *rq) {
    char err[512];
    run *r = calloc(1, sizeof *r);
    if (!r) return send_error(c, 500, "out of memory");
    r->srv = s;
    r->slot = -1;
    if (!chat_parse(s, rq->body ? rq->body : "", rq->len, &r->ch, err, sizeof err)) {
        run_free(r);
        return send_error(c, 400, "%s", err);
    }
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    r->fd = ci ? ci->connect_fd : -1;
    /* The prompt's tokens, to route the request to the slot holding the
     * longest start of it (a chat re-sending its history). */
    l1_token *ids = NULL;
    int32_t n_ids = l1_prompt_tokens(s->model, r->ch.msgs, r->ch.n_msgs, &r->ch.gp, NULL, 0);
    if (n_ids < 0 && n_ids != L1_TOKEN_ERROR && (ids = malloc((size_t)-n_ids * sizeof *ids)) != NULL)
        n_ids = l1_prompt_tokens(s->model, r->ch.msgs, r->ch.n_msgs, &r->ch.gp, ids, -n_ids);
    if (!ids || n_ids < 0) n_ids = 0;
    r->slot = slot_acquire(s, ids, n_ids);
    if (r->slot >= 0) { /* remembered for the next request */
        pthread_mutex_lock(&s->mu);
        free(s->slots[r->slot].ids);
        s->slots[r->slot].ids = ids;
        s->slots[r->slot].n_ids = n_ids;
        pthread_mutex_unlock(&s->mu);
        ids = NULL;
    }
    free(ids);
    if (r->slot < 0) {
        bool stopping = r->slot == -2;
        r->slot = -1;
        run_free(r);
        return send_error(c, 503, stopping ? "the server is stopping" : "every slot is busy and the queue is full");
    }
    snprintf(r->id, sizeof r->id, "chatcmpl-l1-%lu", atomic_fetch_add(&s->next_id, 1));
    r->created = (long)time(NULL);
    if (!r->ch.stream) {
        cJSON *root = run_complete(r, err, sizeof err);
        run_free(r);
        if (!root) return send_error(c, 400, "%s", err);
        return send_json(c, MHD_HTTP_OK, root);
    }
    /* Streamed: the first response begins here, so a refusal is still a status. */
    if (!run_begin(r, err, sizeof err)) {
        run_free(r);
        return send_error(c, 400, "%s", err);
    }
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_reader, r, stream_free);
    if (!resp) { run_free(r); return MHD_NO; }
    MHD_add_response_header(resp, "Content-Type", "text/event-stream");
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_size,
                                  void **con_cls) {
    (void)version;
    server *s = cls;
    request *rq = *con_cls;
    if (!rq) { /* headers are in: refuse an announced oversized body at once */
        rq = calloc(1, sizeof *rq);
        if (!rq) return MHD_NO;
        *con_cls = rq;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > s->max_body) {
            rq->too_large = true;
            return send_error(c, 413, "the body exceeds %zu bytes", s->max_body);
        }
        return MHD_YES;
    }
    if (*upload_size) { /* more of the body */
        if (!rq->too_large && rq->len + *upload_size > s->max_body) rq->too_large = true;
        if (!rq->too_large) {
            if (rq->len + *upload_size + 1 > rq->cap) {
                size_t cap = rq->cap ? rq->cap : 4096;
                while (cap < rq->len + *upload_size + 1) cap *= 2;
                char *p = realloc(rq->body, cap);
                if (!p) return MHD_NO;
                rq->body = p;
                rq->cap = cap;
            }
            memcpy(rq->body + rq->len, upload_data, *upload_size);
            rq->len += *upload_size;
            rq->body[rq->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->too_large) return send_error(c, 413, "the body exceeds %zu bytes", s->max_body);
    bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    if (strcmp(url, "/health") == 0) {
        if (!get) return send_error(c, 405, "%s /health: use GET", method);
        cJSON *root = cJSON_CreateObject();
        pthread_mutex_lock(&s->mu);
        int idle = 0;
        for (int i = 0; i < s->n_slots; i++) idle += !s->slots[i].busy;
        int queued = s->queued;
        pthread_mutex_unlock(&s->mu);
        cJSON_AddStringToObject(root, "status", "ok");
        cJSON_AddNumberToObject(root, "slots", s->n_slots);
        cJSON_AddNumberToObject(root, "slots_idle", idle);
        cJSON_AddNumberToObject(root, "queued", queued);
        return send_json(c, MHD_HTTP_OK, root);
    }
    bool models = strcmp(url, "/v1/models") == 0, completions = strcmp(url, "/v1/chat/completions") == 0;
    if (!models && !completions) return send_error(c, 404, "no such endpoint: %.100s", url);
    if (!authorized(s, c)) return send_error(c, 401, "missing or wrong API key (Authorization: Bearer KEY)");
    if (models) {
        if (!get) return send_error(c, 405, "%s /v1/models: use GET", method);
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "object", "list");
        cJSON *data = cJSON_AddArrayToObject(root, "data");
        cJSON *m = cJSON_CreateObject();
        cJSON_AddItemToArray(data, m);
        cJSON_AddStringToObject(m, "id", s->model_id);
        cJSON_AddStringToObject(m, "object", "model");
        cJSON_AddNumberToObject(m, "created", 0);
        cJSON_AddStringToObject(m, "owned_by", "l1");
        return send_json(c, MHD_HTTP_OK, root);
    }
    if (!post) return send_error(c, 405, "%s /v1/chat/completions: use POST", method);
    return handle_chat(s, c, rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
    (void)cls, (void)c, (void)toe;
    request *rq = *con_cls;
    if (rq) {
        free(rq->body);
        free(rq);
        *con_cls = NULL;
    }
}

/* ---- command -------------------------------------------------------------------- */

static void usage(FILE *f) {
    fprintf(f, "usage: l1 serve -m MODEL [options]\n\n"
               "An OpenAI-compatible HTTP server: POST /v1/chat/completions (stream, temperature,\n"
               "top_p, max_tokens, stop, seed, n, thinking_budget, budget_mode max|exact|off),\n"
               "GET /v1/models, GET /health.  The thinking is sent as reasoning_content.\n\n"
               "options:\n"
               "  -m, --model PATH      the GGUF model\n"
               "      --host ADDR       address to bind (default 127.0.0.1)\n"
               "      --port N          port (default 8080; 0 = any free port, printed at start)\n"
               "      --parallel S      slots: requests generating at once (default 1), decoded\n"
               "                        together (one batch per step; a request joins at the next)\n"
               "      --queue Q         requests that may wait for a slot (default 16; 503 beyond)\n"
               "  -c, --ctx N           context per slot (default: the model's, at most 4096)\n"
               "  -t, --threads T       threads (default: one per physical core)\n"
               "      --api-key KEY     require \"Authorization: Bearer KEY\" on /v1/ (401 otherwise)\n"
               "      --alias NAME      the model id reported (default: the file name)\n"
               "      --max-body BYTES  largest request body (default 1048576; 413 beyond)\n"
               "      --max-messages N  most messages in a request (default 256)\n"
               "      --timeout S       seconds an idle connection is kept (default 30)\n"
               "  -h, --help            this help\n\n"
               "SIGINT or SIGTERM stops the server: running generations are aborted, then it exits 0.\n");
}

enum { O_HOST = L1CLI_OPT_LONG, O_PORT, O_PARALLEL, O_QUEUE, O_KEY, O_ALIAS, O_BODY, O_MSGS, O_TIMEOUT };

int l1cli_serve(int argc, char **argv) {
    static const struct option longopts[] = {
        {"model", required_argument, NULL, 'm'},   {"host", required_argument, NULL, O_HOST},
        {"port", required_argument, NULL, O_PORT}, {"parallel", required_argument, NULL, O_PARALLEL},
        {"queue", required_argument, NULL, O_QUEUE}, {"ctx", required_argument, NULL, 'c'},
        {"threads", required_argument, NULL, 't'}, {"api-key", required_argument, NULL, O_KEY},
        {"alias", required_argument, NULL, O_ALIAS}, {"max-body", required_argument, NULL, O_BODY},
        {"max-messages", required_argument, NULL, O_MSGS}, {"timeout", required_argument, NULL, O_TIMEOUT},
        {"help", no_argument, NULL, 'h'},          {0, 0, 0, 0}};
    const char *model_path = NULL, *host = "127.0.0.1", *key = NULL, *alias = NULL;
    int64_t port = 8080, parallel = 1, queue = 16, n_ctx = 0, threads = 0, body = 1 << 20, msgs = 256, timeout = 30;
    const char *arg;
    int c;
    while ((c = l1cli_getopt(CMD, argc, argv, "m:c:t:h", longopts, &arg)) != -1) {
        bool ok = true;
        switch (c) {
        case 'm': model_path = arg; break;
        case 'h': usage(stdout); return 0;
        case O_HOST: host = arg; break;
        case O_KEY: key = arg; break;
        case O_ALIAS: alias = arg; break;
        case O_PORT: ok = l1cli_parse_i64(CMD, "--port", arg, 0, 65535, &port); break;
        case O_PARALLEL: ok = l1cli_parse_i64(CMD, "--parallel", arg, 1, 64, &parallel); break;
        case O_QUEUE: ok = l1cli_parse_i64(CMD, "--queue", arg, 0, 4096, &queue); break;
        case 'c': ok = l1cli_parse_i64(CMD, "--ctx", arg, 0, 1 << 20, &n_ctx); break;
        case 't': ok = l1cli_parse_i64(CMD, "--threads", arg, 0, L1_MAX_THREADS, &threads); break;
        case O_BODY: ok = l1cli_parse_i64(CMD, "--max-body", arg, 64, 1 << 30, &body); break;
        case O_MSGS: ok = l1cli_parse_i64(CMD, "--max-messages", arg, 1, 1 << 16, &msgs); break;
        case O_TIMEOUT: ok = l1cli_parse_i64(CMD, "--timeout", arg, 1, 3600, &timeout); break;
        default: return 2;
        }
        if (!ok) return 2;
    }
    if (optind < argc) return l1cli_usage_err(CMD, "unexpected argument '%s'", argv[optind]);
    if (!model_path) return l1cli_usage_err(CMD, "-m MODEL is required");
    if (key && !key[0]) return l1cli_usage_err(CMD, "--api-key: the key is empty");

    struct sockaddr_storage addr;
    memset(&addr, 0, sizeof addr);
    struct sockaddr_in *a4 = (struct sockaddr_in *)&addr;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&addr;
    bool v6 = false;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
    } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        v6 = true;
    } else {
        return l1cli_usage_err(CMD, "--host: '%s' is not an IPv4 or IPv6 address", host);
    }

    server s;
    memset(&s, 0, sizeof s);
    s.api_key = key;
    s.queue_max = (int)queue;
    s.max_messages = (int)msgs;
    s.max_body = (size_t)body;
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cv, NULL);
    pthread_cond_init(&s.work, NULL);
    atomic_init(&s.stopping, 0);
    atomic_init(&s.next_id, 1);
    atomic_init(&s.next_seed, 1);
    int rc = 1;
    struct MHD_Daemon *d = NULL;
    l1_status st = l1_model_load(model_path, NULL, &s.model);
    if (st != L1_OK) { l1cli_fail(CMD, model_path, st); goto done; }
    if (alias) s.model_id = alias;
    else s.model_id = strrchr(model_path, '/') ? strrchr(model_path, '/') + 1 : model_path;
    s.slots = calloc((size_t)parallel, sizeof *s.slots);
    if (!s.slots) { l1cli_err(CMD, "out of memory"); goto done; }
    s.n_slots = (int)parallel;
    l1_ctx_params cp = l1_ctx_default_params();
    cp.n_ctx = (int32_t)n_ctx;
    cp.n_threads = (int32_t)threads;
    cp.n_seq = s.n_slots;
    if ((st = l1_ctx_new(s.model, &cp, &s.ctx)) != L1_OK) {
        l1cli_fail(CMD, "context", st);
        goto done;
    }
    for (int i = 0; i < s.n_slots; i++)
        if ((st = l1_gen_new_seq(s.ctx, i, &s.slots[i].gen)) != L1_OK) {
            l1cli_fail(CMD, "generator", st);
            goto done;
        }
    s.n_ctx = l1_ctx_n_ctx(s.ctx);

    /* The signals are taken by sigwait below; every thread started from here on blocks them. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (pthread_create(&s.engine, NULL, engine_main, &s) != 0) {
        l1cli_err(CMD, "cannot start the engine thread");
        goto done;
    }
    s.engine_started = true;

    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | (v6 ? MHD_USE_IPv6 : 0);
    d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, &s,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)timeout,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)(s.n_slots + s.queue_max + 16),
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
                         MHD_OPTION_NOTIFY_COMPLETED, on_completed, &s, MHD_OPTION_END);
    if (!d) { l1cli_err(CMD, "cannot listen on %s port %d: %s", host, (int)port, strerror(errno)); goto done; }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    fprintf(stderr, "l1 serve: listening on http://%s%s%s:%u (%d slot%s, queue %d)\n", v6 ? "[" : "", host,
            v6 ? "]" : "", di ? (unsigned)di->port : (unsigned)port, s.n_slots, s.n_slots == 1 ? "" : "s",
            s.queue_max);
    fflush(stderr);
    int sig = 0;
    sigwait(&sigs, &sig);
    fprintf(stderr, "l1 serve: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    atomic_store(&s.stopping, 1);
    pthread_mutex_lock(&s.mu);
    pthread_cond_broadcast(&s.cv);
    pthread_mutex_unlock(&s.mu);
    rc = 0;
done:
    if (d) MHD_stop_daemon(d); /* every connection has ended (its response ended by the engine) */
    if (s.engine_started) {
        pthread_mutex_lock(&s.mu);
        s.engine_quit = true;
        pthread_cond_signal(&s.work);
        pthread_mutex_unlock(&s.mu);
        pthread_join(s.engine, NULL);
    }
    for (int i = 0; i < s.n_slots; i++) {
        l1_gen_free(s.slots[i].gen);
        queue_clear(&s.slots[i]);
        free(s.slots[i].q);
        free(s.slots[i].ids);
    }
    l1_ctx_free(s.ctx);
    free(s.slots);
    l1_model_free(s.model);
    pthread_cond_destroy(&s.work);
    pthread_cond_destroy(&s.cv);
    pthread_mutex_destroy(&s.mu);
    return rc;
}

#else /* built without libmicrohttpd and cJSON (SERVE=0, or a cross build) */

int l1cli_serve(int argc, char **argv) {
    (void)argc, (void)argv;
    l1cli_err("serve", "this l1 was built without the server (SERVE=0)");
    return 1;
}

#endif
