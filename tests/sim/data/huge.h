/* Hand-written test model too big for an ATmega328P: two 20,000-byte constant tables
 * (40,000 bytes of flash; one AVR array may hold at most 32,767 bytes). The rest of each
 * table is zero, but it takes its full size in flash all the same. */
#ifndef HUGE_H
#define HUGE_H
#include <stdint.h>
#ifdef __AVR__
#include <avr/pgmspace.h>
#define HUGE_STORE PROGMEM
#define HUGE_READ(p) pgm_read_byte(p)
#else
#define HUGE_STORE
#define HUGE_READ(p) (*(p))
#endif

#define HUGE_N_FEATURES 1
#define HUGE_N_OUTPUTS 1
#define HUGE_OUTPUT_FRAC_BITS 0
#define HUGE_OUTPUT_ONE (1L << HUGE_OUTPUT_FRAC_BITS)
#define HUGE_OUTPUT_TO_REAL(v, type) ((type)(v) / (type)HUGE_OUTPUT_ONE)
#define HUGE_MODEL_HASH 0x7e57a003u

#ifdef __cplusplus
extern "C" {
#endif

typedef uint16_t huge_input_t;

static const uint8_t huge_a[20000] HUGE_STORE = {1, 2, 3, 4};
static const uint8_t huge_b[20000] HUGE_STORE = {5, 6, 7, 8};

static inline int32_t huge_predict(const huge_input_t x[HUGE_N_FEATURES]) {
    uint16_t i = (uint16_t)(x[0] % 20000u);
    return (int32_t)HUGE_READ(&huge_a[i]) + (int32_t)HUGE_READ(&huge_b[i]);
}

static inline void huge_scores(const huge_input_t x[HUGE_N_FEATURES], int32_t scores[HUGE_N_OUTPUTS]) {
    scores[0] = huge_predict(x);
}

#ifdef __cplusplus
}
#endif
#endif
