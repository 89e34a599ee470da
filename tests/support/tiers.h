/*
 * tiers.h - for tests and benchmarks: a tier's own kernels (kernels.h
 * l1__kernels_own), NULL where the tier has none, and for the scalar tier
 * or a tier this build does not compile.  The scalar kernels are
 * l1__kernels_scalar().
 */
#ifndef L1_TEST_TIERS_H
#define L1_TEST_TIERS_H

#include "kernels/kernels.h"

static inline const l1__kernels *l1t_own(l1__tier tier) {
    if (tier <= L1_TIER_SCALAR || tier >= L1_TIER_COUNT) return NULL;
    return l1__kernels_own(tier);
}

#define L1T_ENTRY(field, type, tier) \
    (l1t_own(tier) && (uint32_t)(type) < L1_TYPE_COUNT ? l1t_own(tier)->field[type] : NULL)

static inline l1__dot_fn l1t_dot(uint32_t type, l1__tier tier) { return L1T_ENTRY(dot, type, tier); }
static inline l1__dot_rows_fn l1t_rows(uint32_t type, l1__tier tier) { return L1T_ENTRY(dot_rows, type, tier); }
static inline l1__dot_tile_fn l1t_tile(uint32_t type, l1__tier tier) { return L1T_ENTRY(dot_tile, type, tier); }
static inline l1__x8_fn l1t_x8(uint32_t type, l1__tier tier) { return L1T_ENTRY(x8, type, tier); }
static inline l1__act_quant_fn l1t_quant(uint32_t act, l1__tier tier) { return L1T_ENTRY(act_quant, act, tier); }

#endif /* L1_TEST_TIERS_H */
