/* A null model with the generated-model API (docs/generated-api.md), used to measure what
 * the harness alone costs: the model's own flash and RAM are a build with the real model
 * minus a build with this one. predict and scores do the least
 * any model can do: they ignore x and return 0, so no model measures below it (a one-class
 * tree compiles to exactly this). The row buffer stays live without reading it here: the
 * harness passes it to an out-of-line call after a memory barrier.
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
    (void)x;
    return 0;
}

static inline void null_model_scores(const null_model_input_t x[NULL_MODEL_N_FEATURES],
                                     int32_t scores[NULL_MODEL_N_OUTPUTS]) {
    (void)x;
    for (int i = 0; i < NULL_MODEL_N_OUTPUTS; ++i) {
        scores[i] = 0;
    }
}

#ifdef __cplusplus
}
#endif
#endif
