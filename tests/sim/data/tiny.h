/* Hand-written test model with the generated-model API (docs/generated-api.md): a depth-2
 * decision tree classifier on 2 float32 features, 2 classes, scores with 8 fraction bits.
 * Floats are only read as bits (memcpy into uint32_t) and compared through the order-
 * preserving key of codegen/ir/floatkey.py; NaN (key above +inf) goes right. */
#ifndef TINY_H
#define TINY_H
#include <stdint.h>
#include <string.h>

#define TINY_N_FEATURES 2
#define TINY_N_OUTPUTS 2
#define TINY_N_CLASSES 2
#define TINY_OUTPUT_FRAC_BITS 8
#define TINY_OUTPUT_ONE (1L << TINY_OUTPUT_FRAC_BITS)
#define TINY_OUTPUT_TO_REAL(v, type) ((type)(v) / (type)TINY_OUTPUT_ONE)
#define TINY_MODEL_HASH 0x7e57a001u

#ifdef __cplusplus
extern "C" {
#endif

typedef float tiny_input_t;

static inline int32_t tiny_key(const tiny_input_t *x) {
    uint32_t bits;
    memcpy(&bits, x, sizeof bits);
    int32_t magnitude = (int32_t)(bits & 0x7FFFFFFFu);
    return (bits & 0x80000000u) ? -magnitude : magnitude;
}

static inline void tiny_scores(const tiny_input_t x[TINY_N_FEATURES], int32_t scores[TINY_N_OUTPUTS]) {
    if (tiny_key(&x[0]) <= 0x3F000000L) {          /* x0 <= 0.5f */
        if (tiny_key(&x[1]) <= -0x3FA00000L) {     /* x1 <= -1.25f */
            scores[0] = 256;
            scores[1] = 0;
        } else {
            scores[0] = 64;
            scores[1] = 192;
        }
    } else {
        scores[0] = 0;
        scores[1] = 256;
    }
}

static inline int32_t tiny_predict(const tiny_input_t x[TINY_N_FEATURES]) {
    int32_t scores[TINY_N_OUTPUTS];
    tiny_scores(x, scores);
    return scores[1] > scores[0] ? 1 : 0;
}

#ifdef __cplusplus
}
#endif
#endif
