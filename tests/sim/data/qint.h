/* Hand-written test model with the generated-model API: a regressor on 3 int16 features,
 * one split then an integer formula per side (the right side multiplies 16 x 16 -> 32 bits,
 * a library call on AVR), output with 0 fraction bits. */
#ifndef QINT_H
#define QINT_H
#include <stdint.h>

#define QINT_N_FEATURES 3
#define QINT_N_OUTPUTS 1
#define QINT_OUTPUT_FRAC_BITS 0
#define QINT_OUTPUT_ONE (1L << QINT_OUTPUT_FRAC_BITS)
#define QINT_OUTPUT_TO_REAL(v, type) ((type)(v) / (type)QINT_OUTPUT_ONE)
#define QINT_MODEL_HASH 0x7e57a002u

#ifdef __cplusplus
extern "C" {
#endif

typedef int16_t qint_input_t;

static inline int32_t qint_predict(const qint_input_t x[QINT_N_FEATURES]) {
    if (x[2] <= 100) {
        return 3 * (int32_t)x[0] - 2 * (int32_t)x[1];
    }
    return (int32_t)x[0] * (int32_t)x[1];
}

static inline void qint_scores(const qint_input_t x[QINT_N_FEATURES], int32_t scores[QINT_N_OUTPUTS]) {
    scores[0] = qint_predict(x);
}

#ifdef __cplusplus
}
#endif
#endif
