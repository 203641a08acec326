/*
 * Host harness: reads rows (raw harness_input_t, HARNESS_N_FEATURES per row) from stdin and
 * writes, per row, the int32 prediction, the int32 scores and, when built with
 * HARNESS_COUNT_OPS, the uint32 operation counts of the predict call, all as raw bytes.
 */
#include <stdint.h>
#include <stdio.h>

#include "harness_model.h"

#ifdef HARNESS_COUNT_OPS
uint32_t harness_op_counts[HARNESS_N_OPS];
#endif

int main(void)
{
    harness_input_t x[HARNESS_N_FEATURES];
    int32_t scores[HARNESS_N_OUTPUTS];
    int32_t prediction;

    while (fread(x, sizeof x, 1, stdin) == 1) {
#ifdef HARNESS_COUNT_OPS
        unsigned op;
        for (op = 0; op < HARNESS_N_OPS; ++op) {
            harness_op_counts[op] = 0;
        }
#endif
        prediction = HARNESS_PREDICT(x);
        fwrite(&prediction, sizeof prediction, 1, stdout);
#ifdef HARNESS_COUNT_OPS
        fwrite(harness_op_counts, sizeof harness_op_counts, 1, stdout);
#endif
        HARNESS_SCORES(x, scores);
        fwrite(scores, sizeof scores, 1, stdout);
    }
    return 0;
}
