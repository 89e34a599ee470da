/*
 * repack.c - the x8 layouts of repack.h: packing and the plain-C
 * definition of the packed product.
 */
#include "kernels/repack.h"

#include <math.h>
#include <string.h>

#include "base/fp16.h"
#include "quant/quant_blocks.h"
#include "quant/quant_impl.h"
#include "gguf/types.h"

bool l1__x8_type(uint32_t type) {
    return type == L1_TYPE_Q4_0 || type == L1_TYPE_Q8_0 || type == L1_TYPE_Q4_K || type == L1_TYPE_Q6_K;
}

/* Bytes of one group-block, values per block. */
static size_t gb_bytes(uint32_t type, int64_t *qk) {
    switch (type) {
    case L1_TYPE_Q4_0: *qk = L1_QK32; return 16 + 128;
    case L1_TYPE_Q8_0: *qk = L1_QK32; return 16 + 256;
    case L1_TYPE_Q4_K: *qk = L1_QK_K; return 32 + 128 + 1024;
    case L1_TYPE_Q6_K: *qk = L1_QK_K; return 16 + 128 + 1024 + 512;
    default: *qk = 1; return 0;
    }
}

size_t l1__x8_group_bytes(uint32_t type, int64_t n) {
    int64_t qk;
    const size_t b = gb_bytes(type, &qk);
    return b ? b * (size_t)(n / qk) : 0;
}

/* Copies 4 bytes of each of the 8 rows side by side: dst[r][0..3] =
 * src_r[off .. off + 3] (xor `flip`). */
static void put4(uint8_t *dst, const uint8_t *const src[8], size_t off, uint8_t flip) {
    const uint32_t f = 0x01010101u * flip;
    for (int r = 0; r < 8; r++) {
        uint32_t v;
        memcpy(&v, src[r] + off, 4);
        v ^= f;
        memcpy(dst + 4 * r, &v, 4);
    }
}

/* put4 for off, off + 4, ..., off + 28: 32 bytes of each row. */
void l1__x8_transpose_scalar(uint8_t *dst, const uint8_t *const src[8], size_t off, uint8_t flip) {
    for (int m = 0; m < 8; m++) put4(dst + 32 * m, src, off + (size_t)(4 * m), flip);
}

static void pack_block(uint32_t type, const uint8_t *const rows[8], uint8_t *o, l1__x8_transpose_fn put32) {
    switch (type) {
    case L1_TYPE_Q4_0:
    case L1_TYPE_Q8_0: {
        const int nv = type == L1_TYPE_Q4_0 ? 4 : 8;
        const uint8_t flip = type == L1_TYPE_Q8_0 ? L1__X8_Q8_FLIP : 0;
        const size_t qs_off = offsetof(l1__block_q8_0, qs); /* the same 2 bytes in Q4_0 */
        for (int r = 0; r < 8; r++) memcpy(o + 2 * r, rows[r], 2);
        const uint8_t *q[8];
        for (int r = 0; r < 8; r++) q[r] = rows[r] + qs_off;
        if (nv == 8)
            put32(o + 16, q, 0, flip);
        else
            for (int m = 0; m < nv; m++) put4(o + 16 + 32 * m, q, (size_t)(4 * m), flip);
        break;
    }
    case L1_TYPE_Q4_K: {
        const uint8_t *q[8];
        for (int r = 0; r < 8; r++) {
            const l1__block_q4_K *b = (const l1__block_q4_K *)rows[r];
            memcpy(o + 2 * r, &b->d, 2);
            memcpy(o + 16 + 2 * r, &b->dmin, 2);
            for (int j = 0; j < 8; j++) l1__k4_scale_min(j, b->scales, &o[32 + 8 * j + r], &o[96 + 8 * j + r]);
            q[r] = b->qs;
        }
        for (int c = 0; c < 4; c++) put32(o + 160 + 256 * c, q, (size_t)(32 * c), 0);
        break;
    }
    case L1_TYPE_Q6_K: {
        const uint8_t *ql[8], *qh[8];
        for (int r = 0; r < 8; r++) {
            const l1__block_q6_K *b = (const l1__block_q6_K *)rows[r];
            memcpy(o + 2 * r, &b->d, 2);
            for (int j = 0; j < 16; j++) o[16 + 8 * j + r] = (uint8_t)b->scales[j];
            ql[r] = b->ql;
            qh[r] = b->qh;
        }
        for (int h = 0; h < 2; h++) {
            put32(o + 144 + 512 * h, ql, (size_t)(64 * h), 0);
            put32(o + 144 + 512 * h + 256, ql, (size_t)(64 * h + 32), 0);
            put32(o + 1168 + 256 * h, qh, (size_t)(32 * h), 0);
        }
        break;
    }
    default: break;
    }
}

void l1__x8_pack(uint32_t type, const void *w, size_t row_bytes, int64_t n, int64_t n_rows, void *out,
                 l1__x8_transpose_fn put32) {
    int64_t qk;
    const size_t gb = gb_bytes(type, &qk);
    const size_t src_block = row_bytes / (size_t)(n / qk);
    const int64_t nb = n / qk;
    uint8_t *o = (uint8_t *)out;
    for (int64_t g = 0; g < n_rows / 8; g++) {
        const uint8_t *base = (const uint8_t *)w + (size_t)(8 * g) * row_bytes;
        for (int64_t b = 0; b < nb; b++, o += gb) {
            const uint8_t *rows[8];
            for (int r = 0; r < 8; r++) rows[r] = base + (size_t)r * row_bytes + (size_t)b * src_block;
            pack_block(type, rows, o, put32);
        }
    }
}

/* ---- the definition ------------------------------------------------------------ */

static int32_t sum_codes(const int8_t *a, int n) {
    int32_t s = 0;
    for (int i = 0; i < n; i++) s += a[i];
    return s;
}

float l1__x8_dot_ref(uint32_t type, int64_t n, const void *w_row, const void *vy) {
    if (!l1__x8_type(type)) return NAN;
    const l1__unpack32_fn unpack32 = l1__unpack32_of(type); /* Q4_0, Q8_0 */
    const l1__unpackK_fn unpackK = l1__unpackK_of(type);    /* Q4_K, Q6_K */
    float s = 0.0f;
    for (int64_t b = 0; b < n / (unpack32 ? L1_QK32 : L1_QK_K); b++) {
        if (unpack32) {
            const l1__block_q8_0 *y = (const l1__block_q8_0 *)vy + b;
            l1__unpacked32 u;
            unpack32(w_row, b, &u);
            s = fmaf((float)l1__unpacked32_isum(&u, y->qs), u.d * l1__f16_to_f32(y->d), s);
            continue;
        }
        const l1__block_q8_K *y = (const l1__block_q8_K *)vy + b;
        l1__unpackedK u;
        unpackK(w_row, b, &u);
        s = fmaf((float)l1__unpackedK_isum(&u, y->qs), u.d * y->d, s);
        if (!u.has_min) continue;
        int32_t msum = 0;
        for (int h = 0; h < 16; h++) msum += u.m[h] * sum_codes(y->qs + 16 * h, 16);
        s = fmaf((float)msum, -(u.dmin * y->d), s);
    }
    return s;
}
