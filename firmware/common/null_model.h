/* A null model with the generated-model API (docs/generated-api.md), used to measure what
 * the harness alone costs: the model's own flash and RAM are a build with the real model
 * minus a build with this one. predict reads one feature (volatile, so the row buffer stays
 * live exactly as with a real model) and returns 0.
 * The build defines NULL_MODEL_FEATURES, NULL_MODEL_OUTPUTS and NULL_MODEL_INPUT_T to match
 * the real model, so the harness around it compiles to the same code. */
#ifndef NULL_MODEL_H
#define NULL_MODEL_H
#include <stdint.h>

#define NULL_MODEL_N_FEATURES NULL_MODEL_FEATURES
#define NULL_MODEL_N_OUTPUTS NULL_MODEL_OUTPUTS
#define NULL_MODEL_OUTPUT_FRAC_BITS 0
#define NULL_MODEL_OUTPUT_ONE 1L
#define NULL_MODEL_MODEL_HASH 0u

#ifdef __cplusplus
extern "C" {
#endif

typedef NULL_MODEL_INPUT_T null_model_input_t;

static inline int32_t null_model_predict(const null_model_input_t x[NULL_MODEL_N_FEATURES]) {
    volatile null_model_input_t first = x[0];
    (void)first;
    return 0;
}

static inline void null_model_scores(const null_model_input_t x[NULL_MODEL_N_FEATURES],
                                     int32_t scores[NULL_MODEL_N_OUTPUTS]) {
    volatile null_model_input_t first = x[0];
    (void)first;
    for (int i = 0; i < NULL_MODEL_N_OUTPUTS; ++i) {
        scores[i] = 0;
    }
}

#ifdef __cplusplus
}
#endif
#endif
