/* Hand-written stand-in for a generated model header (docs/generated-api.md), used by the
 * device tests until conversion exists: 2 float32 features, 3 classes, integer compares on the
 * order-preserving keys of the float bits only. */
#ifndef TINY_H
#define TINY_H

#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* classes: 0 "low", 1 "mid", 2 "high" */
#define TINY_N_FEATURES 2
#define TINY_N_OUTPUTS 3
#define TINY_N_CLASSES 3
#define TINY_OUTPUT_FRAC_BITS 8
#define TINY_OUTPUT_ONE (1L << TINY_OUTPUT_FRAC_BITS)
#define TINY_OUTPUT_TO_REAL(v, type) ((type)(v) / (type)TINY_OUTPUT_ONE)
#define TINY_MODEL_HASH 0x1234ABCDUL

typedef float tiny_input_t;

static inline int32_t tiny_key(const tiny_input_t *x) {
    uint32_t bits;
    memcpy(&bits, x, sizeof bits);
    return (bits & 0x80000000UL) ? -(int32_t)(bits & 0x7FFFFFFFUL) : (int32_t)(bits & 0x7FFFFFFFUL);
}

static inline int32_t tiny_predict(const tiny_input_t x[TINY_N_FEATURES]) {
    if (tiny_key(&x[0]) <= 1056964608L) {          /* x0 <= 0.5 */
        return tiny_key(&x[1]) <= -1067450368L ? 0 : 1; /* x1 <= -1.25 */
    }
    return 2;
}

static inline void tiny_scores(const tiny_input_t x[TINY_N_FEATURES], int32_t scores[TINY_N_OUTPUTS]) {
    int32_t c = tiny_predict(x);
    scores[0] = c == 0 ? 256 : -17;
    scores[1] = c == 1 ? 256 : 3;
    scores[2] = c == 2 ? 256 : -70000;
}

#ifdef __cplusplus
}
#endif

#endif
