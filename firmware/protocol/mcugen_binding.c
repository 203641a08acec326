/* The one file that sees the model: wraps its API (docs/generated-api.md) into the
 * function pointers of mcugen_model, and sizes the frame buffer for it. */
#include "mcugen_binding.h"

#include "mcugen_model.h" /* written by `mcugen project`: MCUGEN_* names for the model */

static mcugen_input_t row[MCUGEN_N_FEATURES];
static int32_t scores[MCUGEN_N_OUTPUTS];
static uint8_t frame[MCUGEN_PROTO_BUFFER_SIZE(MCUGEN_N_FEATURES, sizeof(mcugen_input_t),
                                              MCUGEN_N_OUTPUTS)];

static int32_t predict(const void *x) { return MCUGEN_PREDICT((const mcugen_input_t *)x); }

static void scores_of(const void *x, int32_t *out) { MCUGEN_SCORES((const mcugen_input_t *)x, out); }

/* Float or integer input, signed or not, decided by the compiler from the type itself. */
#define INPUT_IS_FLOAT ((mcugen_input_t)1 / (mcugen_input_t)2 != (mcugen_input_t)0)
#define INPUT_IS_SIGNED ((mcugen_input_t)-1 < (mcugen_input_t)0)

static const mcugen_model model = {
    (uint32_t)MCUGEN_MODEL_HASH,
    (uint16_t)MCUGEN_N_FEATURES,
    (uint16_t)MCUGEN_N_OUTPUTS,
    (uint8_t)sizeof(mcugen_input_t),
    (uint8_t)(INPUT_IS_FLOAT ? MCUGEN_INPUT_FLOAT
                             : (INPUT_IS_SIGNED ? MCUGEN_INPUT_SIGNED : MCUGEN_INPUT_UNSIGNED)),
    row,
    scores,
    predict,
    scores_of,
};

void mcugen_binding_start(mcugen_proto *p, const mcugen_io *io) {
    mcugen_proto_init(p, &model, io, frame, (uint16_t)sizeof frame);
}
