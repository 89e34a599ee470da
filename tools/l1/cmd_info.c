/*
 * cmd_info.c - `l1 info FILE`: what a GGUF file holds (architecture,
 * hyper-parameters, tokenizer, tensors by type), as text or one JSON
 * object, and `--dump` to write one tensor dequantized to raw f32.
 *
 * Everything shown goes through the validating reader (gguf.h), so a
 * malformed file ends with one stderr line naming the problem and exit 1.
 * Strings from the file are printed escaped: control bytes never reach the
 * terminal raw, and JSON output is valid UTF-8 whatever the file holds.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "cli.h"
#include "gguf/gguf.h"
#include "json.h"
#include "quant/quant.h"
#include "gguf/types.h"

/* Hyper-parameters shown, as suffixes of "<arch>.". */
static const char *const k_hparams[] = {
    "context_length",         "embedding_length",         "block_count",
    "feed_forward_length",    "attention.head_count",     "attention.head_count_kv",
    "rope.freq_base",         "attention.layer_norm_rms_epsilon",
};

/* general.file_type values (the GGUF convention for "mostly <type>"). */
static const char *file_type_name(uint64_t ft) {
    static const char *const names[] = {
        [0] = "F32",     [1] = "F16",     [2] = "Q4_0",    [3] = "Q4_1",    [7] = "Q8_0",
        [8] = "Q5_0",    [9] = "Q5_1",    [10] = "Q2_K",   [11] = "Q3_K_S", [12] = "Q3_K_M",
        [13] = "Q3_K_L", [14] = "Q4_K_S", [15] = "Q4_K_M", [16] = "Q5_K_S", [17] = "Q5_K_M",
        [18] = "Q6_K",   [19] = "IQ2_XXS", [20] = "IQ2_XS", [21] = "Q2_K_S", [22] = "IQ3_XS",
        [23] = "IQ3_XXS", [24] = "IQ1_S", [25] = "IQ4_NL", [26] = "IQ3_S",  [27] = "IQ3_M",
        [28] = "IQ2_S",  [29] = "IQ2_M",  [30] = "IQ4_XS", [31] = "IQ1_M",  [32] = "BF16",
        [36] = "TQ1_0",  [37] = "TQ2_0",  [38] = "MXFP4_MOE", [39] = "NVFP4", [40] = "Q1_0",
        [41] = "Q2_0",
    };
    if (ft < sizeof names / sizeof names[0] && names[ft]) return names[ft];
    return "unknown";
}

/* ---- string output ------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) len = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef) len = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4) len = 4, min = 0x10000;
    else return 0;
    if (len > n) return 0;
    unsigned cp = c & (0x3f >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

/* Writes s[0..n) for a terminal: control bytes, backslash and invalid UTF-8
 * escaped, so nothing from the file reaches the terminal raw. */
static void put_escaped(FILE *f, const char *str, size_t n) {
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t len = utf8_len(s + i, n - i);
        if (c == '\\') fputs("\\\\", f);
        else if (c == '\n') fputs("\\n", f);
        else if (c == '\t') fputs("\\t", f);
        else if (c == '\r') fputs("\\r", f);
        else if (c < 0x20 || c == 0x7f) fprintf(f, "\\u%04x", c);
        else if (len == 0) fprintf(f, "\\x%02x", c);
        else {
            fwrite(s + i, 1, len, f);
            i += len;
            continue;
        }
        i++;
    }
}

static void put_cstr(FILE *f, const char *s) { put_escaped(f, s, strlen(s)); }

/* ---- metadata helpers ------------------------------------------------------------- */

/* Prints the scalar value of `key` (number or string); false if absent or
 * not a scalar. */
static bool put_scalar(FILE *f, const l1__gguf *g, const char *key) {
    int64_t i = l1__gguf_find_key(g, key);
    if (i < 0) return false;
    int64_t iv;
    uint64_t uv;
    float fv;
    double dv;
    bool bv;
    const char *s;
    uint64_t len;
    switch (l1__gguf_kv_type(g, i)) {
    case L1_GGUF_UINT8: case L1_GGUF_UINT16: case L1_GGUF_UINT32: case L1_GGUF_UINT64:
        if (l1__gguf_get_u64(g, key, &uv) != L1_OK) return false;
        fprintf(f, "%" PRIu64, uv);
        return true;
    case L1_GGUF_INT8: case L1_GGUF_INT16: case L1_GGUF_INT32: case L1_GGUF_INT64:
        if (l1__gguf_get_i64(g, key, &iv) != L1_OK) return false;
        fprintf(f, "%" PRId64, iv);
        return true;
    case L1_GGUF_FLOAT32:
        if (l1__gguf_get_f32(g, key, &fv) != L1_OK) return false;
        fprintf(f, "%.9g", (double)fv);
        return true;
    case L1_GGUF_FLOAT64:
        if (l1__gguf_get_f64(g, key, &dv) != L1_OK) return false;
        fprintf(f, "%.17g", dv);
        return true;
    case L1_GGUF_BOOL:
        if (l1__gguf_get_bool(g, key, &bv) != L1_OK) return false;
        fputs(bv ? "true" : "false", f);
        return true;
    case L1_GGUF_STRING:
        if (l1__gguf_get_str(g, key, &s, &len) != L1_OK) return false;
        put_escaped(f, s, (size_t)len);
        return true;
    default: return false;
    }
}

/* Element count of array `key`, or -1. */
static int64_t arr_count(const l1__gguf *g, const char *key) {
    uint64_t n;
    if (l1__gguf_get_arr(g, key, NULL, &n) != L1_OK) return -1;
    return (int64_t)n;
}

/* An array's element count as a text line; absent: -. */
static void put_count(FILE *f, const char *label, int64_t n) {
    fprintf(f, "  %-34s ", label);
    if (n >= 0) fprintf(f, "%" PRId64 "\n", n);
    else fputs("-\n", f);
}

typedef struct info {
    const char *arch; /* NULL when general.architecture is absent or not a string */
    uint64_t bytes_by_type[L1_TYPE_COUNT];
    int64_t count_by_type[L1_TYPE_COUNT];
    uint64_t total_bytes;
} info;

static void gather(const l1__gguf *g, info *in) {
    memset(in, 0, sizeof *in);
    const char *s;
    if (l1__gguf_find_key(g, "general.architecture") >= 0 &&
        l1__gguf_get_str(g, "general.architecture", &s, NULL) == L1_OK)
        in->arch = s;
    for (int64_t i = 0; i < l1__gguf_n_tensors(g); i++) {
        const l1__gguf_tensor *t = l1__gguf_tensor_at(g, i);
        in->bytes_by_type[t->type] += t->nbytes; /* type ids are validated < L1_TYPE_COUNT */
        in->count_by_type[t->type]++;
        in->total_bytes += t->nbytes;
    }
}

static void hparam_key(char *buf, size_t cap, const char *arch, const char *suffix) {
    snprintf(buf, cap, "%s.%s", arch, suffix);
}

/* ---- text output ------------------------------------------------------------------------ */

static void text_field(const l1__gguf *g, const char *label, const char *key) {
    printf("  %-34s ", label);
    if (!put_scalar(stdout, g, key)) fputs("-", stdout);
    putchar('\n');
}

static void print_shape(FILE *f, const l1__gguf_tensor *t) {
    fputc('[', f);
    for (uint32_t d = 0; d < t->n_dims; d++) fprintf(f, "%s%" PRId64, d ? ", " : "", t->ne[d]);
    fputc(']', f);
}

static void print_text(const char *path, const l1__gguf *g, const info *in, bool tensors) {
    printf("file: ");
    put_cstr(stdout, path);
    printf("\n  %-34s %u\n  %-34s %" PRIu64 "\n  %-34s %" PRIu64 "\n  %-34s %" PRIu64 "\n",
           "gguf version", l1__gguf_version(g), "alignment", l1__gguf_alignment(g), "data offset",
           l1__gguf_data_offset(g), "file size", l1__gguf_file_size(g));
    printf("general:\n");
    text_field(g, "architecture", "general.architecture");
    text_field(g, "name", "general.name");
    uint64_t ft;
    if (l1__gguf_get_u64(g, "general.file_type", &ft) == L1_OK)
        printf("  %-34s %" PRIu64 " (%s)\n", "file type", ft, file_type_name(ft));
    else
        printf("  %-34s -\n", "file type");
    if (in->arch) {
        printf("hyper-parameters (");
        put_cstr(stdout, in->arch);
        printf(".*):\n");
        for (size_t i = 0; i < sizeof k_hparams / sizeof k_hparams[0]; i++) {
            char key[256];
            hparam_key(key, sizeof key, in->arch, k_hparams[i]);
            text_field(g, k_hparams[i], key);
        }
    }
    printf("tokenizer:\n");
    text_field(g, "model", "tokenizer.ggml.model");
    text_field(g, "pre", "tokenizer.ggml.pre");
    put_count(stdout, "tokens", arr_count(g, "tokenizer.ggml.tokens"));
    put_count(stdout, "merges", arr_count(g, "tokenizer.ggml.merges"));
    text_field(g, "bos id", "tokenizer.ggml.bos_token_id");
    text_field(g, "eos id", "tokenizer.ggml.eos_token_id");
    printf("  %-34s %s\n", "chat template",
           l1__gguf_find_key(g, "tokenizer.chat_template") >= 0 ? "present" : "absent");
    printf("tensors: %" PRId64 " (%" PRIu64 " bytes)\n", l1__gguf_n_tensors(g), in->total_bytes);
    for (uint32_t t = 0; t < L1_TYPE_COUNT; t++)
        if (in->count_by_type[t])
            printf("  %-8s %6" PRId64 " tensors %14" PRIu64 " bytes\n", l1__type_name(t),
                   in->count_by_type[t], in->bytes_by_type[t]);
    if (!tensors) return;
    printf("tensor list (name type shape bytes offset):\n");
    for (int64_t i = 0; i < l1__gguf_n_tensors(g); i++) {
        const l1__gguf_tensor *t = l1__gguf_tensor_at(g, i);
        put_cstr(stdout, t->name);
        printf(" %s ", l1__type_name(t->type));
        print_shape(stdout, t);
        printf(" %" PRIu64 " %" PRIu64 "\n", t->nbytes, t->offset);
    }
}

/* ---- JSON output -------------------------------------------------------------------------- */

/* Member `name`: the scalar value of `key`, or null when absent. */
static void json_field(l1cli_json *j, const l1__gguf *g, const char *name, const char *key) {
    int64_t i = l1__gguf_find_key(g, key);
    int64_t iv;
    uint64_t uv;
    float fv;
    double dv;
    bool bv;
    const char *s;
    uint64_t len;
    switch (i < 0 ? -1 : (int)l1__gguf_kv_type(g, i)) {
    case L1_GGUF_UINT8: case L1_GGUF_UINT16: case L1_GGUF_UINT32: case L1_GGUF_UINT64:
        if (l1__gguf_get_u64(g, key, &uv) == L1_OK) { l1cli_json_uint(j, name, uv); return; }
        break;
    case L1_GGUF_INT8: case L1_GGUF_INT16: case L1_GGUF_INT32: case L1_GGUF_INT64:
        if (l1__gguf_get_i64(g, key, &iv) == L1_OK) { l1cli_json_int(j, name, iv); return; }
        break;
    case L1_GGUF_FLOAT32:
        if (l1__gguf_get_f32(g, key, &fv) == L1_OK) { l1cli_json_num(j, name, (double)fv, 9); return; }
        break;
    case L1_GGUF_FLOAT64:
        if (l1__gguf_get_f64(g, key, &dv) == L1_OK) { l1cli_json_num(j, name, dv, 17); return; }
        break;
    case L1_GGUF_BOOL:
        if (l1__gguf_get_bool(g, key, &bv) == L1_OK) { l1cli_json_bool(j, name, bv); return; }
        break;
    case L1_GGUF_STRING:
        if (l1__gguf_get_str(g, key, &s, &len) == L1_OK) { l1cli_json_strn(j, name, s, (size_t)len); return; }
        break;
    default: break;
    }
    l1cli_json_null(j, name);
}

static void json_count(l1cli_json *j, const char *name, int64_t n) {
    if (n >= 0) l1cli_json_int(j, name, n);
    else l1cli_json_null(j, name);
}

static void print_json(const char *path, const l1__gguf *g, const info *in, bool tensors) {
    l1cli_json j;
    l1cli_json_init(&j, stdout, 0);
    l1cli_json_object(&j, NULL);
    l1cli_json_str(&j, "file", path);
    l1cli_json_uint(&j, "version", l1__gguf_version(g));
    l1cli_json_uint(&j, "alignment", l1__gguf_alignment(g));
    l1cli_json_uint(&j, "data_offset", l1__gguf_data_offset(g));
    l1cli_json_uint(&j, "file_size", l1__gguf_file_size(g));
    json_field(&j, g, "architecture", "general.architecture");
    json_field(&j, g, "name", "general.name");
    json_field(&j, g, "file_type", "general.file_type");
    uint64_t ft;
    if (l1__gguf_get_u64(g, "general.file_type", &ft) == L1_OK) l1cli_json_str(&j, "file_type_name", file_type_name(ft));
    else l1cli_json_null(&j, "file_type_name");
    l1cli_json_object(&j, "hparams");
    for (size_t i = 0; in->arch && i < sizeof k_hparams / sizeof k_hparams[0]; i++) {
        char key[256];
        hparam_key(key, sizeof key, in->arch, k_hparams[i]);
        json_field(&j, g, k_hparams[i], key);
    }
    l1cli_json_end(&j);
    l1cli_json_object(&j, "tokenizer");
    json_field(&j, g, "model", "tokenizer.ggml.model");
    json_field(&j, g, "pre", "tokenizer.ggml.pre");
    json_count(&j, "tokens", arr_count(g, "tokenizer.ggml.tokens"));
    json_count(&j, "merges", arr_count(g, "tokenizer.ggml.merges"));
    json_field(&j, g, "bos_id", "tokenizer.ggml.bos_token_id");
    json_field(&j, g, "eos_id", "tokenizer.ggml.eos_token_id");
    l1cli_json_bool(&j, "chat_template", l1__gguf_find_key(g, "tokenizer.chat_template") >= 0);
    l1cli_json_end(&j);
    l1cli_json_int(&j, "n_tensors", l1__gguf_n_tensors(g));
    l1cli_json_uint(&j, "tensor_bytes", in->total_bytes);
    l1cli_json_object(&j, "bytes_by_type");
    for (uint32_t t = 0; t < L1_TYPE_COUNT; t++)
        if (in->count_by_type[t]) l1cli_json_uint(&j, l1__type_name(t), in->bytes_by_type[t]);
    l1cli_json_end(&j);
    if (tensors) {
        l1cli_json_array(&j, "tensors");
        for (int64_t i = 0; i < l1__gguf_n_tensors(g); i++) {
            const l1__gguf_tensor *t = l1__gguf_tensor_at(g, i);
            l1cli_json_object(&j, NULL);
            l1cli_json_str(&j, "name", t->name);
            l1cli_json_str(&j, "type", l1__type_name(t->type));
            l1cli_json_array(&j, "shape");
            for (uint32_t d = 0; d < t->n_dims; d++) l1cli_json_int(&j, NULL, t->ne[d]);
            l1cli_json_end(&j);
            l1cli_json_uint(&j, "bytes", t->nbytes);
            l1cli_json_uint(&j, "offset", t->offset);
            l1cli_json_end(&j);
        }
        l1cli_json_end(&j);
    }
    l1cli_json_end(&j);
    l1cli_json_finish(&j);
}

/* ---- --dump ---------------------------------------------------------------------------------- */

static int dump_tensor(const char *cmd, const l1__gguf *g, const char *name, const char *out) {
    const l1__gguf_tensor *t = l1__gguf_find_tensor(g, name);
    if (!t) {
        l1cli_err(cmd, "no tensor named '%s'", name);
        return 1;
    }
    const l1__quant_traits *qt = l1__quant_traits_get(t->type);
    if (!qt || !qt->to_float) {
        l1cli_err(cmd, "tensor %s has type %s, which l1 cannot dequantize", t->name,
                  l1__type_name(t->type));
        return 1;
    }
    FILE *f = fopen(out, "wb");
    if (!f) {
        l1cli_err(cmd, "%s: cannot create", out);
        return 1;
    }
    /* Row by row in chunks: a row's bytes follow from the validated size. */
    const int64_t row_len = t->ne[0];
    const int64_t n_rows = t->n_elements / row_len;
    const uint64_t row_bytes = t->nbytes / (uint64_t)n_rows;
    int64_t rows_per_chunk = row_len >= (1 << 20) ? 1 : (1 << 20) / row_len;
    float *buf = malloc((size_t)(rows_per_chunk * row_len) * sizeof *buf);
    bool ok = buf != NULL;
    for (int64_t r = 0; ok && r < n_rows; r += rows_per_chunk) {
        int64_t nr = n_rows - r < rows_per_chunk ? n_rows - r : rows_per_chunk;
        const uint8_t *src = (const uint8_t *)t->data + (uint64_t)r * row_bytes;
        for (int64_t k = 0; k < nr; k++) qt->to_float(src + (uint64_t)k * row_bytes, buf + k * row_len, row_len);
        ok = fwrite(buf, sizeof *buf, (size_t)(nr * row_len), f) == (size_t)(nr * row_len);
    }
    free(buf);
    if (fclose(f) != 0) ok = false;
    if (!ok) {
        l1cli_err(cmd, "%s: write failed", out);
        l1cli_remove_partial(out);
        return 1;
    }
    fprintf(stderr, "l1 %s: wrote %" PRId64 " f32 values of %s (%s) to %s\n", cmd, t->n_elements,
            t->name, l1__type_name(t->type), out);
    return 0;
}

/* ---- entry ----------------------------------------------------------------------------------- */

static void usage(FILE *f) {
    fprintf(f,
            "usage: l1 info FILE [--json] [--tensors]\n"
            "       l1 info FILE --dump TENSOR -o OUT.f32\n"
            "\n"
            "Validates a GGUF file and prints its architecture, hyper-parameters,\n"
            "tokenizer summary, tensor count and bytes by type.\n"
            "\n"
            "  --json           print one JSON object instead of text\n"
            "  --tensors        also list every tensor (name, type, shape, bytes, offset)\n"
            "  --dump TENSOR    write TENSOR dequantized to raw little-endian f32 ...\n"
            "  -o, --output OUT ... into the file OUT\n"
            "  -h, --help       this help\n"
            "\n"
            "Exit status: 0 ok, 1 the file is unreadable or malformed (one line on stderr), 2 bad usage.\n");
}

int l1cli_info(int argc, char **argv) {
    enum { O_JSON = L1CLI_OPT_LONG, O_TENSORS, O_DUMP };
    static const struct option longopts[] = {
        {"json", no_argument, NULL, O_JSON},
        {"tensors", no_argument, NULL, O_TENSORS},
        {"dump", required_argument, NULL, O_DUMP},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = argv[0], *path = NULL, *dump = NULL, *out = NULL, *v;
    bool json = false, tensors = false;
    int c;
    while ((c = l1cli_getopt(cmd, argc, argv, "o:h", longopts, &v)) != -1) {
        switch (c) {
        case 'h': usage(stdout); return 0;
        case O_JSON: json = true; break;
        case O_TENSORS: tensors = true; break;
        case O_DUMP: dump = v; break;
        case 'o': out = v; break;
        default: return 2;
        }
    }
    if (optind < argc) path = argv[optind++];
    if (optind < argc) return l1cli_usage_err(cmd, "one FILE only (got '%s' and '%s')", path, argv[optind]);
    if (!path) return l1cli_usage_err(cmd, "no FILE given");
    if (dump && !out) return l1cli_usage_err(cmd, "--dump needs -o OUT");
    if (out && !dump) return l1cli_usage_err(cmd, "-o needs --dump TENSOR");
    l1__gguf *g;
    l1_status st = l1__gguf_open(path, NULL, &g);
    if (st == L1_ERR_IO) {
        l1cli_err(cmd, "%s", l1_last_error()); /* already names the path */
        return 1;
    }
    if (st != L1_OK) return l1cli_fail(cmd, "invalid GGUF file", st);
    int rc = 0;
    if (dump) {
        rc = dump_tensor(cmd, g, dump, out);
    } else {
        info in;
        gather(g, &in);
        if (json) print_json(path, g, &in, tensors);
        else print_text(path, g, &in, tensors);
    }
    l1__gguf_close(g);
    return rc;
}
