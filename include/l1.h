/*
 * l1.h - the public interface of libl1.
 *
 * l1 is a CPU inference engine for Qwen2-architecture reasoning models stored
 * in GGUF files, above all L1-Qwen-1.5B-Max, a model trained to obey
 * "Think for maximum N tokens.".  l1 keeps that promise exactly: a response
 * generated with a budget of N tokens never exceeds N and still ends with an
 * answer.
 *
 * Usage: load a model, answer with a thinking budget of 512 tokens.
 *
 *     #include <stdio.h>
 *     #include <l1.h>
 *
 *     static int on_piece(const l1_piece *pc, void *user) {
 *         (void)user;
 *         if (pc->kind == L1_PIECE_TEXT) fwrite(pc->text, 1, pc->len, stdout);
 *         return 0; // nonzero stops the generation
 *     }
 *
 *     int main(void) {
 *         l1_model *model;
 *         l1_ctx *ctx;
 *         if (l1_model_load("model.gguf", NULL, &model) != L1_OK) {
 *             fprintf(stderr, "%s\n", l1_last_error());
 *             return 1;
 *         }
 *         if (l1_ctx_new(model, NULL, &ctx) != L1_OK) return 1;
 *         l1_gen_params p = l1_gen_default_params();
 *         p.budget_mode = L1_BUDGET_MAX; // at most 512 tokens, answer included
 *         p.budget = 512;
 *         l1_gen_result r;
 *         l1_generate(ctx, "What is 17 * 23?", &p, on_piece, NULL, &r);
 *         printf("\n%d thinking + %d answer tokens, close %s\n", r.tokens_thinking,
 *                r.tokens_answer, l1_close_name(r.close));
 *         l1_ctx_free(ctx);
 *         l1_model_free(model);
 *         return 0;
 *     }
 *
 * Thread model: every function here may be called from any thread.  An
 * l1_model is immutable once loaded and may be shared by threads; an l1_ctx
 * is used by one thread at a time.
 *
 * Error convention: functions that can fail return an l1_status (0 = L1_OK,
 * negative = error).  When a call fails, l1_last_error() on the same thread
 * returns a message naming what was wrong, e.g.
 * "tensor blk.3.attn_q.weight: data past end of file".
 *
 * Ownership convention: objects returned through an out-parameter belong to
 * the caller and are released with the matching l1_*_free function, which
 * accepts NULL.  Strings returned as `const char *` belong to l1 and stay
 * valid as each function documents.  The library never calls exit() or
 * abort() on anything a file or a caller can cause.
 */
#ifndef L1_H
#define L1_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define L1_VERSION_MAJOR 0
#define L1_VERSION_MINOR 1
#define L1_VERSION_PATCH 0
#define L1_VERSION_NUMBER (L1_VERSION_MAJOR * 10000 + L1_VERSION_MINOR * 100 + L1_VERSION_PATCH)

/* L1_API marks the public functions.  The library itself is compiled with
 * L1_BUILD defined: on Windows its DLL exports them, and a program using the
 * DLL imports them (the default).  A program linking the static library on
 * Windows defines L1_STATIC (the CMake target l1::l1_static does).  On ELF
 * and Mach-O they are the only symbols with default visibility. */
#if defined(_WIN32) || defined(__CYGWIN__)
#  if defined(L1_STATIC)
#    define L1_API
#  elif defined(L1_BUILD)
#    define L1_API __declspec(dllexport)
#  else
#    define L1_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define L1_API __attribute__((visibility("default")))
#else
#  define L1_API
#endif

/* Status codes.  Zero is success; every error is negative. */
typedef enum l1_status {
    L1_OK = 0,
    L1_ERR_IO = -1,               /* a file could not be opened or read */
    L1_ERR_FORMAT = -2,           /* a file is malformed */
    L1_ERR_UNSUPPORTED = -3,      /* valid, but l1 does not implement it */
    L1_ERR_NOMEM = -4,            /* an allocation failed */
    L1_ERR_INVALID_ARG = -5,      /* a caller passed a bad argument */
    L1_ERR_BUFFER_TOO_SMALL = -6, /* an output buffer was too small */
    L1_ERR_CONTEXT_FULL = -7,     /* the KV cache has no room left */
    L1_ERR_ABORTED = -8,          /* a callback or abort flag stopped the work */
    L1_ERR_LIMIT = -9,            /* a configured resource limit was exceeded */
    L1_ERR_NUMERIC = -10,         /* NaN or infinity where a number was needed */
    L1_ERR_INTERNAL = -11         /* a bug in l1; please report it */
} l1_status;

/* A short constant English name for `status` ("format error", ...).
 * Unknown values give "unknown status".  The string is static. */
L1_API const char *l1_status_str(l1_status status);

/* The detailed message of the last failed l1 call on this thread, or "" if
 * none failed yet.  Valid until the next l1 call on this thread. */
L1_API const char *l1_last_error(void);

/* The library version as "MAJOR.MINOR.PATCH" (static string), and as
 * L1_VERSION_NUMBER would spell it.  Compare with the macros to detect a
 * header/library mismatch. */
L1_API const char *l1_version(void);
L1_API int l1_version_number(void);

/* Logging.  l1 is silent by default.  l1_log_set installs a callback that
 * receives every message at or above the level set by l1_log_set_level
 * (default L1_LOG_INFO); NULL removes it.  The callback may be called from
 * any thread that calls into l1, including l1's worker threads; `msg` is
 * valid only during the call. */
typedef enum l1_log_level {
    L1_LOG_ERROR = 0,
    L1_LOG_WARN = 1,
    L1_LOG_INFO = 2,
    L1_LOG_DEBUG = 3
} l1_log_level;

typedef void (*l1_log_fn)(l1_log_level level, const char *msg, void *user);

L1_API void l1_log_set(l1_log_fn fn, void *user);
L1_API void l1_log_set_level(l1_log_level level);

/* ---- handles ------------------------------------------------------------ */

/* A loaded model: weights (mapped), hyper-parameters and tokenizer.
 * Immutable after l1_model_load; may be shared by any number of threads. */
typedef struct l1_model l1_model;

/* A token id, 0 <= id < n_vocab. */
typedef int32_t l1_token;

/* ---- tokenizer ------------------------------------------------------------ */

/* Flags for l1_tokenize. */
#define L1_TOKENIZE_SPECIAL 1u /* recognise special/control token strings ("<think>") in text */
#define L1_TOKENIZE_ADD_BOS 2u /* prepend the model's BOS token when it has one */

/* Returned by the buffer functions below on invalid arguments (NULL model,
 * NULL text with len > 0, negative cap, token out of range); l1_last_error()
 * says which. */
#define L1_TOKEN_ERROR INT32_MIN

/* Tokenizes `len` bytes of `text` (need not be NUL-terminated nor valid
 * UTF-8).  Writes up to `cap` ids to `out` and returns how many it wrote, or
 * minus the number needed when `cap` is too small (then `out` holds the
 * first `cap` ids).  `out` may be NULL when cap is 0. */
L1_API int32_t l1_tokenize(const l1_model *model, const char *text, size_t len, l1_token *out,
                           int32_t cap, uint32_t flags);

/* The bytes of one token (a byte-level piece may be part of a UTF-8
 * character).  Returns the byte count written to buf (no NUL), or minus the
 * size needed when `cap` is too small. */
L1_API int32_t l1_token_to_piece(const l1_model *model, l1_token token, char *buf, int32_t cap);

/* The text of n tokens, concatenated bytes; invalid UTF-8 is kept as is.
 * Returns bytes written (no NUL) or minus the size needed. */
L1_API int32_t l1_detokenize(const l1_model *model, const l1_token *tokens, int32_t n, char *buf,
                             int32_t cap);

/* Token roles read from the model's metadata. */
typedef enum l1_special {
    L1_SPECIAL_BOS = 0,
    L1_SPECIAL_EOS = 1,
    L1_SPECIAL_PAD = 2,
    L1_SPECIAL_THINK_OPEN = 3,  /* "<think>" */
    L1_SPECIAL_THINK_CLOSE = 4, /* "</think>" */
    L1_SPECIAL_USER = 5,        /* "<｜User｜>" */
    L1_SPECIAL_ASSISTANT = 6    /* "<｜Assistant｜>" */
} l1_special;

/* The id of a role's token, or -1 when the model has none. */
L1_API l1_token l1_token_special(const l1_model *model, l1_special role);

/* Vocabulary size (0 for a NULL model). */
L1_API int32_t l1_n_vocab(const l1_model *model);

/* ---- model ----------------------------------------------------------------- */

/* Load progress: called with the fraction done in [0, 1]; return nonzero to
 * cancel the load, which then fails with L1_ERR_ABORTED. */
typedef int (*l1_progress_fn)(float fraction, void *user);

typedef struct l1_model_params {
    int32_t vocab_only;      /* nonzero: metadata and tokenizer only; no weight is bound or checked */
    uint64_t memory_limit;   /* bytes the weights may take, 0 = no limit (L1_ERR_LIMIT beyond) */
    l1_progress_fn progress; /* may be NULL */
    void *progress_user;
    int32_t check_weights;   /* nonzero: read every weight once at load and refuse NaN or
                                infinity (L1_ERR_NUMERIC naming the tensor and row) */
    /* Caps on what the file may ask for, against hostile files; 0 = default
     * (16 Mi bytes per string, 16 Mi elements per array, 65536 tensors,
     * 512 MiB of parsed metadata).  Exceeding one gives L1_ERR_LIMIT. */
    uint64_t max_string_len;
    uint64_t max_array_len;
    uint64_t max_tensors;
    uint64_t max_metadata_bytes;
    /* Nonzero: use every matrix in place from the mapped file.  By default
     * the first evaluation (of any context of the model) copies the Q4_0,
     * Q8_0, Q4_K and Q6_K matrices into an 8-row interleaved layout when
     * the CPU's kernels have one for the type (faster products; the mapped
     * pages of those tensors are released after the copy, so memory use
     * stays about the same).  Loading itself only maps the file. */
    int32_t no_repack;
} l1_model_params;

/* Defaults: everything zero / NULL. */
L1_API l1_model_params l1_model_default_params(void);

/* Opens the GGUF file at `path`, maps it, checks every hyper-parameter and
 * tensor shape and type, and loads the tokenizer.  `params` may be NULL
 * (defaults).  On success *out owns the model (free with l1_model_free); on
 * failure *out is NULL and l1_last_error() names the key or tensor at
 * fault, e.g. "tensor blk.3.attn_q.weight: shape [256, 128], expected
 * [256, 256]". */
L1_API l1_status l1_model_load(const char *path, const l1_model_params *params, l1_model **out);

/* Releases the model and unmaps its file; NULL is a no-op.  Every context
 * made from it must be freed first. */
L1_API void l1_model_free(l1_model *model);

/* Memory a context would need, in bytes.  Weights are used in place from the
 * mapped file (page cache, shared between processes), except the matrices
 * repacked on the first evaluation (l1_model_params.no_repack), which the
 * model holds in memory of its own instead of their mapped pages; kv and
 * scratch are allocated by l1_ctx_new. */
typedef struct l1_memory {
    uint64_t weights; /* every weight tensor, mapped or repacked */
    uint64_t kv;      /* KV cache for n_ctx positions */
    uint64_t scratch; /* activations, quantized inputs, logits */
    uint64_t total;   /* the sum */
} l1_memory;

/* A description of a loaded model.  Strings belong to the model and are
 * valid until l1_model_free. */
typedef struct l1_model_desc {
    const char *arch;        /* "qwen2" */
    const char *name;        /* general.name, or "" */
    const char *weight_type; /* type holding most matrix bytes ("Q4_K"), "" if vocab_only */
    int32_t n_vocab;
    int32_t n_ctx_train;     /* qwen2.context_length */
    int32_t n_embd;
    int32_t n_ff;
    int32_t n_layer;
    int32_t n_head;
    int32_t n_head_kv;
    int32_t head_dim;
    float rope_theta;
    float rms_eps;
    int32_t tied_embeddings; /* nonzero: the output head reuses token_embd.weight */
    int32_t vocab_only;
    uint64_t n_params;       /* values in every weight tensor */
    uint64_t file_bytes;
    l1_memory memory;        /* for l1_ctx_default_params() */
} l1_model_desc;

/* Fills *out; L1_ERR_INVALID_ARG on NULL arguments. */
L1_API l1_status l1_model_info(const l1_model *model, l1_model_desc *out);

/* ---- context: KV cache and evaluation -------------------------------------- */

/* A context holds one token sequence's KV cache, scratch buffers and last
 * logits.  Used by one thread at a time; several contexts may share a model. */
typedef struct l1_ctx l1_ctx;

typedef enum l1_kv_type {
    L1_KV_F16 = 0, /* half the memory; what llama.cpp uses by default */
    L1_KV_F32 = 1
} l1_kv_type;

/* Polled between layers during l1_ctx_eval; return nonzero to stop it. */
typedef int (*l1_abort_fn)(void *user);

typedef struct l1_ctx_params {
    int32_t n_ctx;               /* positions the cache holds; 0 = the model's context_length,
                                    at most 4096 */
    int32_t n_batch;             /* most tokens per forward step (scratch is sized by it);
                                    longer evals are split; 0 = 512 */
    int32_t n_threads;           /* 0 = one per physical core; at most L1_MAX_THREADS
                                    (L1_ERR_INVALID_ARG) */
    l1_kv_type kv_type;
    int32_t f32_activations;     /* nonzero: matmul and attention inputs stay f32 instead of
                                    being rounded to each weight's activation type (a
                                    higher-precision reference, slower) */
    int32_t allow_ctx_over_train;/* nonzero: n_ctx may exceed the model's context_length */
    uint64_t memory_limit;       /* bytes for weights + KV + scratch, 0 = no limit */
    l1_abort_fn abort_fn;        /* may be NULL */
    void *abort_user;
    int32_t n_seq;               /* sequences the context holds, each with its own positions and
                                    n_ctx cache cells (the cache is n_seq times as large);
                                    0 = 1, at most L1_MAX_SEQ.  l1_ctx_eval and the other
                                    single-sequence calls use sequence 0 */
} l1_ctx_params;

/* Most sequences a context may hold. */
#define L1_MAX_SEQ 64

/* Most threads a context may use. */
#define L1_MAX_THREADS 256

/* Defaults: n_ctx 0 (min(4096, context_length)), n_batch 512, F16 cache, no limit. */
L1_API l1_ctx_params l1_ctx_default_params(void);

/* The memory a context with `params` (NULL = defaults) would take. */
L1_API l1_status l1_ctx_memory(const l1_model *model, const l1_ctx_params *params, l1_memory *out);

/* Creates a context (all its memory is allocated here; evaluation allocates
 * nothing per token).  Refuses n_ctx above the model's context_length
 * unless allow_ctx_over_train (L1_ERR_LIMIT), and a total above
 * memory_limit (L1_ERR_LIMIT); with memory_limit 0, a KV cache and scratch
 * above the machine's physical memory (L1_ERR_LIMIT).  The model must
 * outlive the context. */
L1_API l1_status l1_ctx_new(const l1_model *model, const l1_ctx_params *params, l1_ctx **out);

/* Releases the context; NULL is a no-op. */
L1_API void l1_ctx_free(l1_ctx *ctx);

/* Flag for l1_ctx_eval: keep the logits of every evaluated position, not
 * only the last. */
#define L1_EVAL_ALL_LOGITS 1u

/* Appends n >= 1 tokens at positions n_past .. n_past + n - 1, runs the
 * model over them and stores their logits.  When they do not fit, returns
 * L1_ERR_CONTEXT_FULL and leaves the cache unchanged.  On any failure (including
 * L1_ERR_ABORTED) n_past is unchanged and no logits are available. */
L1_API l1_status l1_ctx_eval(l1_ctx *ctx, const l1_token *tokens, int32_t n, uint32_t flags);

/* The n_vocab logits of position i of the last l1_ctx_eval (0 <= i < n;
 * -1 = its last token), or NULL when not available (i out of range, no
 * L1_EVAL_ALL_LOGITS for i < n - 1, failed or no eval).  Valid until the
 * next eval, truncate or free. */
L1_API const float *l1_ctx_logits(const l1_ctx *ctx, int32_t i);

/* Positions held in the cache (0 for NULL). */
L1_API int32_t l1_ctx_n_past(const l1_ctx *ctx);

/* Positions the cache can hold (0 for NULL). */
L1_API int32_t l1_ctx_n_ctx(const l1_ctx *ctx);

/* Forgets every position >= n_keep (0 <= n_keep <= n_past), so a shared
 * prefix can be reused.  Drops the stored logits. */
L1_API l1_status l1_ctx_truncate(l1_ctx *ctx, int32_t n_keep);

/* The model a context was made from. */
L1_API const l1_model *l1_ctx_model(const l1_ctx *ctx);

/* ---- several sequences in one context ------------------------------------------ */

/* A batch for l1_ctx_decode: n tokens, each appended to its own sequence.
 * Tokens of one sequence are taken in the order they appear, at that
 * sequence's next positions; tokens of different sequences may mix in any
 * order (the prefill of one and the decode of others in one step).  Each
 * weight is read once per step for all of them. */
typedef struct l1_batch {
    int32_t n;               /* tokens, >= 1 */
    const l1_token *tokens;  /* (n) */
    const int32_t *seq;      /* (n) sequence of each token, in [0, n_seq); NULL = all sequence 0 */
    const int32_t *pos;      /* (n) position of each token, or NULL: it must be the sequence's
                                next position (positions continue a sequence, no gaps) */
    const int8_t *logits;    /* (n) nonzero: keep this token's logits; NULL = the last token of
                                every sequence in the batch */
} l1_batch;

/* Evaluates a batch.  All or nothing: when any sequence's tokens do not
 * fit its cells, L1_ERR_CONTEXT_FULL names the sequence and no sequence
 * changes; on any failure every n_past is unchanged and no logits are
 * available.  A sequence's logits are those it would get evaluated alone
 * (same kernels and attention path per sequence), bit for bit. */
L1_API l1_status l1_ctx_decode(l1_ctx *ctx, const l1_batch *batch);

/* The logits of token i (0 <= i < n) of the last l1_ctx_decode, or NULL
 * when they were not kept.  Valid until the next eval, decode, truncate,
 * copy or free.  After l1_ctx_eval, the same as l1_ctx_logits. */
L1_API const float *l1_ctx_batch_logits(const l1_ctx *ctx, int32_t i);

/* Sequences of the context (0 for NULL). */
L1_API int32_t l1_ctx_n_seq(const l1_ctx *ctx);

/* Positions held by sequence seq (0 for NULL or seq out of range). */
L1_API int32_t l1_ctx_seq_n_past(const l1_ctx *ctx, int32_t seq);

/* Forgets positions >= n_keep of sequence seq (0 <= n_keep <= its n_past);
 * the other sequences are untouched.  Drops the stored logits. */
L1_API l1_status l1_ctx_seq_truncate(l1_ctx *ctx, int32_t seq, int32_t n_keep);

/* Makes sequence dst hold positions 0 .. n - 1 of sequence src (n <= its
 * n_past; dst's own positions are forgotten): a prompt evaluated once
 * serves several sequences.  src == dst truncates.  Drops the stored
 * logits. */
L1_API l1_status l1_ctx_seq_copy(l1_ctx *ctx, int32_t src, int32_t dst, int32_t n);

/* ---- generation -------------------------------------------------------------- */

/* Generation turns a user prompt into a streamed response: it renders the
 * prompt in the model's chat format (optionally with the LCPO instruction
 * "Think for maximum N tokens."), evaluates it, then samples token after
 * token under the budget controller, which keeps the response within N
 * tokens and makes it end with an answer:
 *
 *  - mode max: the response (thinking, `</think>` and answer, every token
 *    counted as the paper counts them) never exceeds N tokens.  N is first
 *    clamped to what can be generated: the room left in the context after
 *    the prompt (prompt + N <= n_ctx) and max_tokens when set; the result
 *    reports both (budget, budget_effective).  Before l1 acts on a
 *    response that is still thinking (at the start of the soft-landing
 *    window below, or at N - R' without one; R' the reserve, below), it
 *    looks ahead: it runs the model on (at most 256 tokens, taken back out
 *    of the cache after) to see whether the response ends by itself within
 *    N, or only its end-of-turn token would fall past N; if so, nothing is
 *    boosted or forced and the response is the model's own, token for
 *    token (the cost: probe_tokens in the result).  Otherwise, if the model is still
 *    thinking when N - R' tokens are spent, l1 waits
 *    up to 16 tokens (as the reserve allows, raising the logits of pieces
 *    that start or end a word a little more at each) for a word boundary (the last
 *    piece ends with white space, punctuation or a line, or the next
 *    sampled piece starts a new word) and writes there the close text (if any), `</think>` and the
 *    transition text itself, then lets the model answer in what is left; a
 *    close forced without a boundary is reported (close_mid_word).  In the
 *    `window` tokens before N - R' the `</think>` logit is raised
 *    progressively after sentence and line ends (less after other word
 *    ends, never inside a word), so most closes are the model's own.
 *    Reserve: an explicit R is honoured exactly, or the call fails
 *    (L1_ERR_INVALID_ARG, with the reason) when R exceeds the effective N;
 *    the default is min(64, max(N / 4, 8 + close text + transition + 17), N)
 *    (room for a wait of 8 tokens, the close and an answer of 16 tokens).
 *    A transition or close text that does not fit the reserve is dropped
 *    whole, never cut.  A forced close is always followed by at least one
 *    answer token when N >= 2.
 *  - mode exact: as max, and thinking may not close before N - R' - W'
 *    (W' = min(window, N / 4)): "Think for 100 tokens." thinks at least 46
 *    with a 4-token transition (R' = 29, W' = 25).
 *  - mode off: nothing is enforced; tokens are still counted per phase.
 *
 * A close is the `</think>` token or the text "</think>" spelled from
 * ordinary tokens (as the chat history's stripping reads it): both end the
 * thinking, and both are prevented after the close and before exact
 * mode's floor.  Stop strings apply to the model's own text only, never to
 * the close text, `</think>` or transition the controller writes.
 *
 * `<think>` and `</think>` are reported as phase markers (L1_PIECE_THINK_BEGIN
 * / L1_PIECE_THINK_END), never as text: a reader that shows the answer alone
 * needs no parsing, and a reader that wants the tags back can print them.
 * Control tokens (EOS, BOS, <｜User｜> ...) produce no text. */

typedef enum l1_budget_mode {
    L1_BUDGET_OFF = 0,  /* count only */
    L1_BUDGET_MAX = 1,  /* "Think for maximum N tokens.": never more than N */
    L1_BUDGET_EXACT = 2 /* "Think for N tokens.": at least N - tolerance thinking, at most N */
} l1_budget_mode;

typedef enum l1_phase {
    L1_PHASE_THINKING = 0, /* everything before the first `</think>` */
    L1_PHASE_ANSWER = 1
} l1_phase;

typedef enum l1_close {
    L1_CLOSE_NONE = 0,    /* thinking never closed */
    L1_CLOSE_NATURAL = 1, /* the model wrote `</think>` */
    L1_CLOSE_FORCED = 2   /* the budget controller wrote it */
} l1_close;

typedef enum l1_finish {
    L1_FINISH_NONE = 0,        /* still running */
    L1_FINISH_EOS = 1,         /* the model ended its response */
    L1_FINISH_BUDGET = 2,      /* the response reached N tokens (max, exact) */
    L1_FINISH_MAX_TOKENS = 3,  /* the caller's max_tokens */
    L1_FINISH_STOP = 4,        /* a stop string appeared (it is not emitted) */
    L1_FINISH_ABORTED = 5,     /* on_piece, abort_fn or l1_gen_abort stopped it */
    L1_FINISH_CONTEXT_FULL = 6 /* the KV cache is full */
} l1_finish;

/* How the prompt is wrapped. */
typedef enum l1_template {
    L1_TEMPLATE_AUTO = 0,  /* the family of the model's tokenizer.chat_template: DeepSeek-R1 (it names
                              <｜User｜> and <｜Assistant｜>) or ChatML (it names <|im_start|>); any
                              other template is an error (L1_ERR_UNSUPPORTED naming the choices).
                              Without a template: R1 or ChatML when the vocabulary has that
                              family's tokens, raw otherwise */
    L1_TEMPLATE_R1 = 1,    /* <｜begin▁of▁sentence｜><｜User｜>{user}<｜Assistant｜>, no system prompt */
    L1_TEMPLATE_RAW = 2,   /* the text as is: special-token strings in it are recognised, and no
                              BOS is added (write it in the text if the model wants one) */
    L1_TEMPLATE_CHATML = 3 /* <|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n (QwQ,
                              OpenThinker, Sky-T1, Qwen2.5), no system prompt */
} l1_template;

/* What is appended to each user message when budget > 0 (the paper's
 * prompt: user text, one space, then the sentences). */
typedef enum l1_think_sentence {
    L1_SENTENCE_FULL = 0,        /* " Let's think step by step and output the final answer within
                                    \boxed{}. Think for maximum N tokens." (exact: "Think for N
                                    tokens.") */
    L1_SENTENCE_BUDGET_ONLY = 1, /* " Think for maximum N tokens." alone */
    L1_SENTENCE_NONE = 2         /* nothing: the controller alone keeps the budget */
} l1_think_sentence;

/* A sparse logit bias: logits[token] += bias before sampling (-inf bans). */
typedef struct l1_logit_bias {
    l1_token token;
    float bias;
} l1_logit_bias;

/* l1_gen_params.window: no soft landing. */
#define L1_WINDOW_NONE (-1)

typedef struct l1_gen_params {
    /* Sampling.  temperature 0 = greedy (highest logit, lowest id on ties). */
    float temperature;       /* >= 0; default 0.6 */
    int32_t top_k;           /* 0 = off (default) */
    float top_p;             /* (0, 1]; default 0.95; 1 = off */
    float min_p;             /* [0, 1]; 0 = off (default) */
    float repeat_penalty;    /* > 0; 1 = off (default) */
    float presence_penalty;  /* 0 = off */
    float frequency_penalty; /* 0 = off */
    int32_t penalty_window;  /* tokens the penalties look back over; default 64 */
    uint64_t seed;           /* same seed, params and prompt: same tokens, whatever the threads */
    const l1_logit_bias *bias; /* n_bias entries (copied), or NULL */
    int32_t n_bias;

    /* Budget. */
    l1_budget_mode budget_mode; /* default L1_BUDGET_OFF */
    int32_t budget;             /* N, tokens of the whole response; 0 with mode off = no sentence */
    int32_t reserve;            /* R: tokens kept for the close and the answer; 0 = automatic
                                   (min(64, max(N / 4, ...)), see above); an explicit R > effective
                                   N is an error */
    int32_t window;             /* W: soft-landing window; L1_WINDOW_NONE = none, 0 = default 64 */
    const char *transition;     /* written after a forced `</think>`; NULL = "\n\n**Final Answer**\n",
                                   "" = nothing.  NULL on a model whose roles make the default
                                   unusable (its text holds EOS or a think tag): nothing */
    const char *close_text;     /* written before a forced `</think>` (thinking tokens, counted in
                                   N), e.g. "I have to give the final answer now."; NULL or "" =
                                   nothing */

    /* Prompt. */
    l1_template template_mode;        /* default L1_TEMPLATE_AUTO */
    l1_think_sentence think_sentence; /* default L1_SENTENCE_FULL; written when budget > 0 (mode
                                         off writes the max-mode sentence: the paper's own setting,
                                         instruction without enforcement) */
    const int32_t *msg_budget;        /* l1_gen_begin_chat: NULL, or one entry per message: for a user
                                         message, the N of the instruction it was sent with (0 = budget,
                                         -1 = no instruction), so a chat whose N changes re-renders
                                         earlier turns as they were and reuses their cache */
    int32_t think_prefix;             /* append "<think>\n" after <｜Assistant｜>: -1 = as the model's
                                         template does (default), 0 = no, 1 = yes */

    /* Limits. */
    int32_t max_tokens;       /* most tokens generated; 0 = no cap but the budget and context */
    const char *const *stop;  /* n_stop NUL-terminated strings (copied); the text stops before the
                                 first occurrence of any in the model's own text, in either phase
                                 (text the controller writes is never matched) */
    int32_t n_stop;
    l1_abort_fn abort_fn;     /* polled between layers and between tokens, also during the
                                 prompt's evaluation; nonzero = stop (finish aborted); may be NULL */
    void *abort_user;

    /* Speed. */
    int32_t draft;            /* speculative decoding by prompt lookup: the most tokens drafted per
                                 forward step from the response's own earlier text and verified
                                 together (the tokens are the ones decoding one at a time gives,
                                 sampled or greedy); L1_DRAFT_AUTO (-1, default) = adapted up to
                                 L1_DRAFT_MAX, 0 = off, 1..L1_DRAFT_MAX = at most that many.  Not
                                 used by responses stepped together (l1_gen_step, l1_generate_n) */
} l1_gen_params;

#define L1_DRAFT_AUTO (-1)
#define L1_DRAFT_MAX 16

/* Defaults as documented above: temperature 0.6, top-p 0.95, budget off. */
L1_API l1_gen_params l1_gen_default_params(void);

typedef enum l1_piece_kind {
    L1_PIECE_TEXT = 0,        /* text (UTF-8, whole characters) of the given phase */
    L1_PIECE_THINK_BEGIN = 1, /* the model opened its thinking with `<think>` */
    L1_PIECE_THINK_END = 2,   /* thinking closed (`</think>`, the model's or forced) */
    L1_PIECE_END = 3          /* l1_gen_next only: the response is over */
} l1_piece_kind;

/* One streamed event.  `text` is valid only until the callback returns or
 * the next l1_gen_next / l1_gen_end call; it is not NUL-terminated. */
typedef struct l1_piece {
    l1_piece_kind kind;
    const char *text;  /* L1_PIECE_TEXT: len bytes; "" otherwise */
    int32_t len;
    l1_phase phase;    /* the phase the text belongs to (after a marker: the new phase) */
    int32_t forced;    /* nonzero when the budget controller wrote this (close, transition) */
    int32_t used;      /* budget progress: response tokens so far ("thinking 312/512") */
    int32_t limit;     /* N, or 0 when the mode is off */
    l1_finish finish;  /* L1_PIECE_END: why the response ended */
} l1_piece;

/* Streaming callback: return nonzero to stop (finish L1_FINISH_ABORTED). */
typedef int (*l1_piece_fn)(const l1_piece *piece, void *user);

typedef struct l1_gen_result {
    l1_budget_mode budget_mode;
    int32_t budget;           /* N as requested (0 when none) */
    int32_t budget_effective; /* N enforced: min(N, n_ctx - prompt tokens, max_tokens if set); 0 when off */
    int32_t reserve_effective; /* R' (0 when off) */
    int32_t tokens_thinking;  /* up to and including `</think>` (`<think>` too if the model wrote it) */
    int32_t tokens_answer;    /* after `</think>`, transition and EOS included */
    l1_close close;
    int32_t close_mid_word;   /* nonzero: the close was forced with no word boundary in reach */
    int32_t answer_truncated; /* nonzero: the response reached the effective N before the model ended
                                 it (finish budget) */
    l1_finish finish;
    l1_template template_used; /* the family the prompt was rendered in (never AUTO) */
    int32_t prompt_tokens;    /* tokens of the rendered prompt */
    int32_t prompt_reused;    /* of which were already in the cache (l1_gen only) */
    /* Timings (model loading not included).  prefill: the prompt tokens
     * evaluated; decode: every generated token, from the end of the prefill
     * to the end of the response (evaluation and sampling). */
    int32_t prefill_tokens;
    double prefill_ms;
    int32_t decode_tokens;
    double decode_ms;
    /* Phases, in ms from the start of the call (the prompt's evaluation
     * included); 0 when the event did not happen. */
    double first_token_ms;  /* the first generated token */
    double close_ms;        /* the close (`</think>`, the model's or forced) */
    double first_answer_ms; /* the model's first answer token after the close */
    double end_ms;          /* the end of the response */
    /* Speculative decoding: tokens drafted and evaluated beside the
     * response's own, and how many of them it went on to generate. */
    int32_t draft_tokens;
    int32_t draft_accepted;
    /* The look-ahead (budget modes): tokens the model was run ahead of the
     * response to see whether it ends within N by itself (its cost; when it
     * does, they are evaluated again as the response's own). */
    int32_t probe_tokens;
} l1_gen_result;

/* Renders `prompt` as the response would see it and generates the
 * response, calling on_piece (may be NULL) for each piece.  The context's
 * cache is cleared first (l1_ctx_truncate(ctx, 0)); to reuse a shared
 * prefix across calls, keep an l1_gen.  On L1_OK *result (may be NULL)
 * holds the counts; every ending listed in l1_finish is L1_OK, including
 * aborts.  Errors: L1_ERR_INVALID_ARG (a parameter, named), L1_ERR_CONTEXT_FULL
 * (the prompt alone does not fit), L1_ERR_UNSUPPORTED (a budget mode on a
 * model without `</think>`), evaluation errors. */
L1_API l1_status l1_generate(l1_ctx *ctx, const char *prompt, const l1_gen_params *params,
                             l1_piece_fn on_piece, void *user, l1_gen_result *result);

/* Streaming callback of l1_generate_n: `seq` (0 .. k - 1) is the response
 * the piece belongs to; return nonzero to stop that response alone (its
 * finish is L1_FINISH_ABORTED, the others go on). */
typedef int (*l1_seq_piece_fn)(int32_t seq, const l1_piece *piece, void *user);

/* K responses to one prompt, decoded together (self-consistency sampling,
 * a majority vote): the prompt is evaluated once, in sequence 0, and its
 * cache copied to sequences 1 .. k - 1; response i samples with seed
 * params->seed + i and has its own budget controller, stop matcher and
 * counts; every step evaluates the next tokens of all running responses in
 * one batch (l1_ctx_decode), so the weights are read once for all of them.
 * Response i is the one l1_generate gives with seed params->seed + i (the
 * same tokens: each sequence's logits are those it would get alone).
 * Needs a context with n_seq >= k, 1 <= k <= L1_MAX_SEQ (else
 * L1_ERR_INVALID_ARG); every sequence's cache is cleared first.  results:
 * NULL or k entries.  params->abort_fn stops them all; a response whose
 * sequence fills its cells ends with L1_FINISH_CONTEXT_FULL while the
 * others go on.  Errors as l1_generate. */
L1_API l1_status l1_generate_n(l1_ctx *ctx, const char *prompt, int32_t k, const l1_gen_params *params,
                               l1_seq_piece_fn on_piece, void *user, l1_gen_result *results);

/* ---- step-wise generation and chat -------------------------------------------- */

/* A generator bound to one context.  It keeps what it built per model (the
 * sentence-end table the soft landing uses) and the tokens it placed in the
 * cache, so the next l1_gen_begin evaluates only what differs from them (a
 * chat re-sends its history).  If anything else evaluates or truncates the
 * context in between, the generator notices the changed length and starts
 * over.  Same threading rules as the context, except l1_gen_abort. */
typedef struct l1_gen l1_gen;

/* The ctx must outlive the generator.  Free with l1_gen_free (NULL is fine). */
L1_API l1_status l1_gen_new(l1_ctx *ctx, l1_gen **out);
L1_API void l1_gen_free(l1_gen *gen);

typedef enum l1_msg_role {
    L1_MSG_USER = 0,
    L1_MSG_ASSISTANT = 1 /* only the text after the last `</think>` is kept, as the R1 template does */
} l1_msg_role;

typedef struct l1_message {
    l1_msg_role role;
    const char *text; /* NUL-terminated */
} l1_message;

/* Renders `msgs` (the last must be a user message) and evaluates what is not
 * already in the cache; the response is then pulled with l1_gen_next.
 * Abortable (abort_fn, l1_gen_abort) during the evaluation: then L1_OK and
 * the first l1_gen_next returns L1_PIECE_END with L1_FINISH_ABORTED.  A
 * generation still running is ended first. */
L1_API l1_status l1_gen_begin_chat(l1_gen *gen, const l1_message *msgs, int32_t n_msgs,
                                   const l1_gen_params *params);

/* l1_gen_begin_chat with one user message. */
L1_API l1_status l1_gen_begin(l1_gen *gen, const char *prompt, const l1_gen_params *params);

/* The next piece of the response (never an empty L1_PIECE_TEXT); at the end,
 * L1_PIECE_END with its finish, again on every later call.
 * L1_ERR_INVALID_ARG before l1_gen_begin, and when the generator's sequence
 * was changed by another call (l1_ctx_eval, l1_ctx_truncate, ...) since
 * the response began: the response then ends (finish aborted). */
L1_API l1_status l1_gen_next(l1_gen *gen, l1_piece *out);

/* Ends the response (finish aborted if it was still running) and fills
 * *out (may be NULL).  The generated tokens stay in the cache for the next
 * turn (the last one too when drafting evaluated it), and nothing else. */
L1_API l1_status l1_gen_end(l1_gen *gen, l1_gen_result *out);

/* ---- continuous batching: several generators on one context ------------------ */

/* A generator on sequence seq (0 <= seq < n_seq) of a context holding
 * several (l1_ctx_params.n_seq); l1_gen_new is sequence 0.  Generators on
 * different sequences of one context run their responses at the same time:
 * each begins its own (l1_gen_begin_chat evaluates its prompt in its
 * sequence, reusing what that sequence already holds), and l1_gen_step
 * advances them together.  One thread drives all the generators of a
 * context. */
L1_API l1_status l1_gen_new_seq(l1_ctx *ctx, int32_t seq, l1_gen **out);

/* Advances the running responses of gens[0..n) (one context, distinct
 * sequences; generators with no response running or with pieces not yet
 * read are left as they are): each runs until it has a piece for its
 * reader, ends, or needs the model; then the tokens of all that need the
 * model are evaluated in one batch (l1_ctx_decode), so the weights are read
 * once per step for all the sequences.  A response joins or leaves at any
 * step.  Read the pieces with l1_gen_poll.  Each response is the one
 * l1_gen_next would give alone (same tokens).  An abort (l1_gen_abort,
 * abort_fn) stops its own response; a step's evaluation is interrupted only
 * when every response in it asks to stop.  Errors: L1_ERR_INVALID_ARG (named),
 * evaluation errors. */
L1_API l1_status l1_gen_step(l1_gen *const *gens, int32_t n);

/* The next piece of gen's response without computing anything: 1 with *out
 * filled (L1_PIECE_END once it is over, again on every later call), 0 when
 * none is ready yet (call l1_gen_step), -1 when no response was begun or an
 * argument is NULL.  The text is valid until the next call on gen. */
L1_API int32_t l1_gen_poll(l1_gen *gen, l1_piece *out);

/* Asks the running l1_gen_begin / l1_gen_next to stop as soon as possible,
 * also in the middle of the prompt's evaluation.  Safe from any thread and
 * from signal handlers.  Cleared by the next l1_gen_begin. */
L1_API void l1_gen_abort(l1_gen *gen);

/* The rendered prompt for `msgs` with `params` (NULL = defaults), as text:
 * special tokens appear as their strings.  Returns the bytes written (no
 * NUL) or minus the size needed; L1_TOKEN_ERROR on invalid arguments,
 * params included (the check l1_gen_begin makes; l1_last_error names the
 * field). */
L1_API int32_t l1_render_prompt(const l1_model *model, const l1_message *msgs, int32_t n_msgs,
                                const l1_gen_params *params, char *buf, int32_t cap);

/* The token ids of that prompt, as l1_gen_begin_chat evaluates them (the
 * format's markers as special tokens, the messages' text as plain text).
 * Returns the ids written, or minus the count needed when cap is too small
 * (out may be NULL when cap is 0); L1_TOKEN_ERROR as l1_render_prompt. */
L1_API int32_t l1_prompt_tokens(const l1_model *model, const l1_message *msgs, int32_t n_msgs,
                                const l1_gen_params *params, l1_token *out, int32_t cap);

/* Static names: "off"/"max"/"exact", "none"/"natural"/"forced",
 * "eos"/"budget"/"max_tokens"/"stop"/"aborted"/"context_full" ("" for none). */
L1_API const char *l1_budget_mode_name(l1_budget_mode mode);
L1_API const char *l1_close_name(l1_close close);
L1_API const char *l1_finish_name(l1_finish finish);

#ifdef __cplusplus
}
#endif

#endif /* L1_H */
