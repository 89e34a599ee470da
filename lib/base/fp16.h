/*
 * fp16.h - scalar conversions between f32 and the two 16-bit float formats
 * GGUF stores: IEEE binary16 (F16) and bfloat16 (BF16).
 *
 * f32 -> f16 and f32 -> bf16 round to nearest, ties to even, as the hardware
 * conversion instructions do; NaN stays NaN (quiet).  f16 -> f32 and
 * bf16 -> f32 are exact, except that a signalling f16 NaN comes out quiet.
 */
#ifndef L1_FP16_H
#define L1_FP16_H

#include <stdint.h>
#include <string.h>

static inline uint32_t l1__f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static inline float l1__bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* binary16 -> f32, exact (subnormals, infinities and NaN included). */
static inline float l1__f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ff;
    if (exp == 0x1f) {
        /* Infinity, or NaN made quiet as the hardware conversion does. */
        uint32_t quiet = man ? 0x400000u : 0;
        return l1__bits_f32(sign | 0x7f800000u | quiet | (man << 13));
    }
    if (exp == 0) {
        /* Subnormal or zero: value = man * 2^-24, exact in f32. */
        float v = (float)man * 5.9604644775390625e-08f;
        return sign ? -v : v;
    }
    return l1__bits_f32(sign | ((exp + 112) << 23) | (man << 13));
}

/* f32 -> binary16, round to nearest even; overflow gives infinity. */
static inline uint16_t l1__f32_to_f16(float f) {
    uint32_t u = l1__f32_bits(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
    uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return (uint16_t)(sign | 0x7e00 | ((a >> 13) & 0x3ff)); /* NaN */
    if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00); /* rounds to >= 65520: inf */
    if (a < 0x38800000u) {
        /* Result is subnormal (or zero): round a * 2^24 to an integer. */
        if (a < 0x33000000u) return sign; /* below half the smallest subnormal */
        uint32_t e = a >> 23;
        uint32_t m = (a & 0x7fffff) | 0x800000;
        uint32_t shift = 126 - e; /* 14..24 */
        uint32_t q = m >> shift;
        uint32_t rem = m & ((1u << shift) - 1);
        uint32_t half = 1u << (shift - 1);
        if (rem > half || (rem == half && (q & 1))) q++;
        return (uint16_t)(sign | q);
    }
    /* Normal: rebias the exponent and round the mantissa to 10 bits. */
    uint32_t r = a + 0xfff + ((a >> 13) & 1);
    return (uint16_t)(sign | ((r - 0x38000000u) >> 13));
}

static inline float l1__bf16_to_f32(uint16_t h) { return l1__bits_f32((uint32_t)h << 16); }

/* f32 -> bfloat16, round to nearest even; NaN forced quiet. */
static inline uint16_t l1__f32_to_bf16(float f) {
    uint32_t u = l1__f32_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 64);
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
}

#endif /* L1_FP16_H */
